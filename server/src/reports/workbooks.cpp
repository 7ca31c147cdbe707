// The indicators as .xlsx workbooks (libxlsxwriter), in Vietnamese.
#include "loa/server/reports/workbooks.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>
#include <xlsxwriter.h>

namespace loa::server {
namespace {

namespace json = boost::json;
using common::Errc;
using common::make_error;

/// One column of figures: its header and where its value is in a row of indicators.get.
struct Column {
    const char* header;
    const char* group;
    const char* field;
    const char* sub = nullptr; ///< a field of `field` (by_priority.emergency.airings)
    const char* leaf = nullptr;
};

const Column kFigures[] = {
    {"Tổng số cụm loa", "clusters", "total"},
    {"Tỷ lệ hoạt động (%)", "clusters", "availability_percent"},
    {"Cụm loa phát xác thực", "clusters", "played"},
    {"Cụm loa có lỗi", "clusters", "faulty"},
    {"Số phút cảnh báo lỗi", "clusters", "alarm_minutes"},
    {"Số buổi phát", "broadcasts", "airings"},
    {"Thời lượng phát (phút)", "broadcasts", "minutes"},
    {"Buổi phát theo lịch", "broadcasts", "scheduled"},
    {"Buổi phát bị lỡ", "broadcasts", "missed"},
    {"Phát trực tiếp (phút)", "broadcasts", "by_source", "live", "minutes"},
    {"Phát tiếp sóng (phút)", "broadcasts", "by_source", "relay", "minutes"},
    {"Số lần phát khẩn cấp", "emergencies", "count"},
    {"Cụm loa nhận tin khẩn cấp", "emergencies", "clusters_reached"},
    {"Cụm loa được phát khẩn cấp", "emergencies", "clusters_targeted"},
    {"Bản tin soạn mới", "bulletins", "created"},
    {"Bản tin được duyệt", "bulletins", "approved"},
    {"Bản tin bị từ chối", "bulletins", "rejected"},
    {"Xã có cụm loa hoạt động", "coverage", "communes_covered"},
};
constexpr int kFigureCount = static_cast<int>(std::size(kFigures));

const json::value* figure(const json::object& row, const Column& c) {
    const auto* v = row.at(c.group).as_object().if_contains(c.field);
    if (v && c.sub)
        v = v->as_object().if_contains(c.sub);
    if (v && c.leaf)
        v = v->as_object().if_contains(c.leaf);
    return v;
}

/// A workbook written to a private temporary file, read back whole, and removed.
class Book {
public:
    Book() {
        auto pattern = (std::filesystem::temp_directory_path() / "loa-report-XXXXXX").string();
        int fd = mkstemp(pattern.data());
        if (fd >= 0) {
            ::close(fd);
            path_ = pattern;
            book_ = workbook_new(path_.c_str());
        }
        if (book_) {
            title_ = format([](lxw_format* f) {
                format_set_bold(f);
                format_set_font_size(f, 14);
                format_set_align(f, LXW_ALIGN_CENTER);
            });
            centre_ = format([](lxw_format* f) {
                format_set_bold(f);
                format_set_align(f, LXW_ALIGN_CENTER);
            });
            header_ = format([](lxw_format* f) {
                format_set_bold(f);
                format_set_border(f, LXW_BORDER_THIN);
                format_set_text_wrap(f);
                format_set_align(f, LXW_ALIGN_CENTER);
                format_set_align(f, LXW_ALIGN_VERTICAL_CENTER);
                format_set_bg_color(f, 0xDDEBF7);
            });
            cell_ = format([](lxw_format* f) { format_set_border(f, LXW_BORDER_THIN); });
            total_ = format([](lxw_format* f) {
                format_set_border(f, LXW_BORDER_THIN);
                format_set_bold(f);
            });
        }
    }
    ~Book() {
        if (book_)
            workbook_close(book_);
        if (!path_.empty())
            std::filesystem::remove(path_);
    }
    Book(const Book&) = delete;
    Book& operator=(const Book&) = delete;

    bool ok() const { return book_ != nullptr; }
    lxw_worksheet* sheet(const std::string& name) {
        return workbook_add_worksheet(book_, name.c_str());
    }

    /// The heading of a sheet (province, the country's motto, the title, the period); the row
    /// after it.
    int heading(lxw_worksheet* s, int columns, const std::string& province,
                const std::string& title, const std::string& period) {
        worksheet_merge_range(s, 0, 0, 0, 3, ("UBND TỈNH " + upper(province)).c_str(), centre_);
        worksheet_merge_range(s, 0, 4, 0, static_cast<lxw_col_t>(columns - 1),
                              "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", centre_);
        worksheet_merge_range(s, 1, 4, 1, static_cast<lxw_col_t>(columns - 1),
                              "Độc lập - Tự do - Hạnh phúc", centre_);
        worksheet_merge_range(s, 3, 0, 3, static_cast<lxw_col_t>(columns - 1), title.c_str(),
                              title_);
        worksheet_merge_range(s, 4, 0, 4, static_cast<lxw_col_t>(columns - 1), period.c_str(),
                              centre_);
        return 6;
    }
    void header(lxw_worksheet* s, int row, int col, const char* text) {
        worksheet_write_string(s, static_cast<lxw_row_t>(row), static_cast<lxw_col_t>(col), text,
                               header_);
    }
    void text(lxw_worksheet* s, int row, int col, const std::string& text, bool total = false) {
        worksheet_write_string(s, static_cast<lxw_row_t>(row), static_cast<lxw_col_t>(col),
                               text.c_str(), total ? total_ : cell_);
    }
    void value(lxw_worksheet* s, int row, int col, const json::value* v, bool total = false) {
        auto r = static_cast<lxw_row_t>(row);
        auto c = static_cast<lxw_col_t>(col);
        if (v && v->is_number())
            worksheet_write_number(s, r, c, v->to_number<double>(), total ? total_ : cell_);
        else
            worksheet_write_blank(s, r, c, total ? total_ : cell_);
    }
    /// The figures of `row` from column `col` on.
    void figures(lxw_worksheet* s, int r, int col, const json::object& row, bool total = false) {
        for (int i = 0; i < kFigureCount; ++i)
            value(s, r, col + i, figure(row, kFigures[i]), total);
    }
    void signatures(lxw_worksheet* s, int row, int columns) {
        worksheet_merge_range(s, static_cast<lxw_row_t>(row), 0, static_cast<lxw_row_t>(row), 3,
                              "NGƯỜI LẬP BIỂU", centre_);
        worksheet_merge_range(s, static_cast<lxw_row_t>(row), static_cast<lxw_col_t>(columns - 5),
                              static_cast<lxw_row_t>(row), static_cast<lxw_col_t>(columns - 1),
                              "THỦ TRƯỞNG ĐƠN VỊ", centre_);
    }

    /// Closes the workbook and reads the file's bytes.
    common::Result<std::string> bytes() {
        auto error = workbook_close(book_);
        book_ = nullptr;
        if (error != LXW_NO_ERROR)
            return make_error(Errc::io_error, std::string("the workbook could not be written: ") +
                                                  lxw_strerror(error));
        std::ifstream in(path_, std::ios::binary);
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }

private:
    template <typename Setup> lxw_format* format(Setup setup) {
        auto* f = workbook_add_format(book_);
        format_set_font_name(f, "Times New Roman");
        setup(f);
        return f;
    }
    static std::string upper(const std::string& name) {
        // ASCII letters only: Vietnamese capitals need more than toupper.
        std::string out = name;
        for (auto& ch : out)
            if (ch >= 'a' && ch <= 'z')
                ch = static_cast<char>(ch - 'a' + 'A');
        return out;
    }

    std::string path_;
    lxw_workbook* book_ = nullptr;
    lxw_format *title_ = nullptr, *centre_ = nullptr, *header_ = nullptr, *cell_ = nullptr,
               *total_ = nullptr;
};

std::string text_of(const json::value& v) {
    return v.is_string() ? std::string(v.as_string()) : std::string();
}

std::string period_text(const json::object& report) {
    return "Kỳ báo cáo: từ ngày " + text_of(report.at("from")) + " đến ngày " +
           text_of(report.at("to")) + " (ngày báo cáo kết thúc lúc " +
           text_of(report.at("cutoff")) + ")";
}

/// A sheet's name: at most 31 characters, none of []:*?/\.
std::string sheet_name(std::string name) {
    for (auto& ch : name)
        if (std::string_view("[]:*?/\\").find(ch) != std::string_view::npos)
            ch = '-';
    if (name.size() > 31) {
        name.resize(31);
        while (!name.empty() && (static_cast<unsigned char>(name.back()) & 0xC0) == 0x80)
            name.pop_back(); // never half a UTF-8 character
        if (!name.empty() && (static_cast<unsigned char>(name.back()) & 0x80) != 0)
            name.pop_back();
    }
    return name;
}

} // namespace

common::Result<std::string> stations_workbook(const json::object& report,
                                              const ReportHeading& heading) {
    Book book;
    if (!book.ok())
        return make_error(Errc::io_error, "cannot make a workbook");
    auto* s = book.sheet("Thống kê");
    constexpr int kFirst = 3; // STT, code, name
    int columns = kFirst + kFigureCount;
    int row =
        book.heading(s, columns, heading.province,
                     "BÁO CÁO THỐNG KÊ HỆ THỐNG TRUYỀN THANH CƠ SỞ THEO ĐƠN VỊ HÀNH CHÍNH CẤP XÃ",
                     period_text(report));
    book.header(s, row, 0, "STT");
    book.header(s, row, 1, "Mã đơn vị");
    book.header(s, row, 2, "Tên đơn vị");
    for (int i = 0; i < kFigureCount; ++i)
        book.header(s, row, kFirst + i, kFigures[i].header);
    worksheet_set_row(s, static_cast<lxw_row_t>(row), 60, nullptr);
    worksheet_set_column(s, 0, 0, 5, nullptr);
    worksheet_set_column(s, 1, 1, 10, nullptr);
    worksheet_set_column(s, 2, 2, 28, nullptr);
    worksheet_set_column(s, kFirst, static_cast<lxw_col_t>(columns - 1), 12, nullptr);
    const auto& rows = report.at("rows").as_array();
    // The first row is the unit asked (the province): its total goes last.
    int n = 0;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto& r = rows[i].as_object();
        ++row;
        ++n;
        json::value number(n);
        book.value(s, row, 0, &number);
        book.text(s, row, 1, text_of(r.at("unit")));
        book.text(s, row, 2, text_of(r.at("name")));
        book.figures(s, row, kFirst, r);
    }
    if (!rows.empty()) {
        ++row;
        book.text(s, row, 0, "", true);
        book.text(s, row, 1, text_of(rows[0].at("unit")), true);
        book.text(s, row, 2, "Tổng cộng: " + text_of(rows[0].at("name")), true);
        book.figures(s, row, kFirst, rows[0].as_object(), true);
    }
    book.signatures(s, row + 2, columns);
    return book.bytes();
}

common::Result<std::string> operations_workbook(const json::object& report,
                                                const json::object& month,
                                                const ReportHeading& heading) {
    Book book;
    if (!book.ok())
        return make_error(Errc::io_error, "cannot make a workbook");
    constexpr int kFirst = 1; // the day
    int columns = kFirst + kFigureCount;
    std::map<std::string, std::vector<const json::object*>> days;
    std::vector<std::pair<std::string, std::string>> units; // code, name, in the report's order
    for (const auto& r : report.at("rows").as_array()) {
        auto code = text_of(r.at("unit"));
        if (days.find(code) == days.end())
            units.emplace_back(code, text_of(r.at("name")));
        days[code].push_back(&r.as_object());
    }
    std::map<std::string, const json::object*> totals;
    for (const auto& r : month.at("rows").as_array())
        totals[text_of(r.at("unit"))] = &r.as_object();
    for (const auto& [code, name] : units) {
        std::string label = code;
        label += " ";
        label += name;
        auto* s = book.sheet(sheet_name(label));
        std::string title = "BÁO CÁO VẬN HÀNH HỆ THỐNG TRUYỀN THANH: ";
        title += name;
        title += " (";
        title += code;
        title += ")";
        int row = book.heading(s, columns, heading.province, title, period_text(report));
        book.header(s, row, 0, "Ngày");
        for (int i = 0; i < kFigureCount; ++i)
            book.header(s, row, kFirst + i, kFigures[i].header);
        worksheet_set_row(s, static_cast<lxw_row_t>(row), 60, nullptr);
        worksheet_set_column(s, 0, 0, 12, nullptr);
        worksheet_set_column(s, kFirst, static_cast<lxw_col_t>(columns - 1), 12, nullptr);
        for (const auto* day : days[code]) {
            ++row;
            book.text(s, row, 0, text_of(day->at("from")));
            book.figures(s, row, kFirst, *day);
        }
        if (auto total = totals.find(code); total != totals.end()) {
            ++row;
            book.text(s, row, 0, "Cả tháng", true);
            book.figures(s, row, kFirst, *total->second, true);
        }
        book.signatures(s, row + 2, columns);
    }
    return book.bytes();
}

} // namespace loa::server
