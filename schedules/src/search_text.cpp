#include "loa/schedules/search_text.hpp"

#include <cstdint>
#include <map>
#include <optional>

namespace loa::schedules {
namespace {

/// Decodes the UTF-8 sequence at text[at]; nullopt if it is not one (then one byte is kept).
std::optional<std::pair<char32_t, std::size_t>> decode(std::string_view text, std::size_t at) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(at);
    std::size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
    if (length == 0 || at + length > text.size())
        return std::nullopt;
    char32_t point = lead & (0x7f >> length);
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(at + i) & 0xc0) != 0x80)
            return std::nullopt;
        point = (point << 6) | (byte(at + i) & 0x3f);
    }
    return std::pair{point, length};
}

/// Every Vietnamese letter with a diacritic, upper and lower case, by the letter it reduces to.
const std::map<char32_t, char>& base_letters() {
    static const auto table = [] {
        const std::pair<char, std::string_view> letters[] = {
            {'a', "àáảãạăằắẳẵặâầấẩẫậÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ"},
            {'e', "èéẻẽẹêềếểễệÈÉẺẼẸÊỀẾỂỄỆ"},
            {'i', "ìíỉĩịÌÍỈĨỊ"},
            {'o', "òóỏõọôồốổỗộơờớởỡợÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ"},
            {'u', "ùúủũụưừứửữựÙÚỦŨỤƯỪỨỬỮỰ"},
            {'y', "ỳýỷỹỵỲÝỶỸỴ"},
            {'d', "đĐ"},
        };
        std::map<char32_t, char> out;
        for (const auto& [base, variants] : letters)
            for (std::size_t at = 0; at < variants.size();) {
                auto [point, length] = *decode(variants, at);
                out.emplace(point, base);
                at += length;
            }
        return out;
    }();
    return table;
}

bool combining_mark(char32_t point) {
    return point >= 0x300 && point <= 0x36f;
}

} // namespace

std::string search_key(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t at = 0; at < text.size();) {
        auto c = static_cast<unsigned char>(text[at]);
        if (c < 0x80) {
            out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a')
                                               : static_cast<char>(c));
            ++at;
            continue;
        }
        auto decoded = decode(text, at);
        if (!decoded) {
            out.push_back(static_cast<char>(c));
            ++at;
            continue;
        }
        auto [point, length] = *decoded;
        if (auto base = base_letters().find(point); base != base_letters().end())
            out.push_back(base->second);
        else if (!combining_mark(point))
            out.append(text.substr(at, length));
        at += length;
    }
    return out;
}

} // namespace loa::schedules
