// loactl's commands about what goes on air: programs, the schedule, overrides, the as-run log.
#include <cctype>
#include <iostream>
#include <regex>

#include "commands.hpp"
#include "loa/clients/table.hpp"

namespace loactl {
namespace {

std::string result_text(const json::value& result, const char* key) {
    const auto* o = result.if_object();
    const auto* v = o != nullptr ? o->if_contains(key) : nullptr;
    return v != nullptr ? loa::clients::cell_text(*v) : "?";
}

json::array strings(const std::vector<std::string>& items) {
    json::array out;
    for (const auto& i : items)
        out.emplace_back(i);
    return out;
}

void print_program(const json::value& program) {
    std::cout << "program " << result_text(program, "id") << " (" << result_text(program, "kind")
              << ", " << result_text(program, "approval") << "): " << result_text(program, "title")
              << "\n";
}

json::value upload_program(Context& c, const std::string& unit, const std::string& title,
                           const std::string& file) {
    auto target =
        rest_target(c.endpoint(), "/api/v1/programs?unit=" + loa::clients::url_encode(unit) +
                                      "&title=" + loa::clients::url_encode(title));
    auto reply = loa::clients::http_upload(c.endpoint(), c.options(), "POST", target, file);
    if (!reply)
        throw std::runtime_error(reply.error().message);
    if (reply->status != 200 && reply->status != 201)
        throw std::runtime_error("uploading " + file + " failed: " + rest_error(*reply));
    return parse_body(reply->body);
}

/// "started_at" -> "STARTED AT".
std::string header_of(std::string_view key) {
    std::string out;
    for (char c : key)
        out += c == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string format_duration(const json::value& v) {
    return format_duration_ms(v);
}

} // namespace

void add_targets(const Args& a, json::object& params, bool required) {
    auto units = a.values("--unit");
    auto clusters = a.values("--cluster");
    if (required && units.empty() && clusters.empty())
        throw UsageError("`" + a.command() +
                         "` needs where: --unit CODE and/or --cluster ID (each repeatable)");
    if (!units.empty())
        params["units"] = strings(units);
    if (!clusters.empty())
        params["clusters"] = strings(clusters);
}

int programs(Context& c, const Args& a) {
    a.at_most(0);
    c.print(c.call("programs.list"), [](const json::value& r) {
        print_table(r, {{"ID", "id"},
                        {"UNIT", "unit"},
                        {"KIND", "kind"},
                        {"APPROVAL", "approval"},
                        {"DURATION", "duration_ms", format_duration},
                        {"TITLE", "title"}});
    });
    return 0;
}

int program_create(Context& c, const Args& a) {
    a.at_most(0);
    auto unit = a.value("--unit");
    auto title = a.value("--title");
    if (!unit || !title)
        throw UsageError("`program create` needs --unit CODE and --title TITLE");
    int sources = static_cast<int>(a.has("--file")) + static_cast<int>(a.has("--text")) +
                  static_cast<int>(a.has("--url"));
    if (sources != 1)
        throw UsageError("`program create` needs exactly one of --file PATH (an audio file), "
                         "--text TEXT (read by speech synthesis) or --url URL (a stream)");
    json::value program;
    if (auto file = a.value("--file")) {
        program = upload_program(c, *unit, *title, *file);
    } else {
        json::object params{{"unit", *unit}, {"title", *title}};
        if (auto text = a.value("--text"))
            params["text"] = *text;
        else
            params["url"] = *a.value("--url");
        program = c.call("programs.create", std::move(params));
    }
    c.print(program, [](const json::value& p) {
        std::cout << "created ";
        print_program(p);
    });
    return 0;
}

int program_decide(Context& c, const Args& a) {
    auto id = parse_integer(a.positional(0, "the program ID"), "the program ID");
    a.at_most(1);
    const auto& verb = a.command(); // "program submit" | "program approve" | "program reject"
    std::string approval = verb.ends_with("submit")    ? "pending"
                           : verb.ends_with("approve") ? "approved"
                                                       : "rejected";
    c.print(c.call("programs.decide", {{"id", id}, {"approval", approval}}), print_program);
    return 0;
}

int entries(Context& c, const Args& a) {
    a.at_most(0);
    c.print(c.call("entries.list"), [](const json::value& r) {
        print_table(r, {{"ID", "id"},
                        {"PROGRAM", "program"},
                        {"PRIORITY", "priority"},
                        {"UNITS", "units"},
                        {"CLUSTERS", "clusters"},
                        {"START", "start"},
                        {"TIME ZONE", "time_zone"},
                        {"RULE", "rule"},
                        {"DURATION S", "duration_s"}});
    });
    return 0;
}

int schedule(Context& c, const Args& a) {
    a.at_most(0);
    auto program = a.value("--program");
    auto start = a.value("--start");
    auto duration = a.value("--duration");
    if (!program || !start || !duration)
        throw UsageError("`schedule` needs --program ID, --start YYYY-MM-DDTHH:MM:SS (local time) "
                         "and --duration SECONDS");
    static const std::regex local_time(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})");
    if (!std::regex_match(*start, local_time))
        throw UsageError("--start must be local time as YYYY-MM-DDTHH:MM:SS (e.g. "
                         "2025-03-01T06:30:00), got \"" +
                         *start + "\"");
    json::object params{{"program", parse_integer(*program, "--program")},
                        {"start", *start},
                        {"duration_s", parse_integer(*duration, "--duration")}};
    add_targets(a, params, false);
    if (auto priority = a.value("--priority"))
        params["priority"] = *priority;
    if (auto rule = a.value("--rule"))
        params["rule"] = *rule;
    c.print(c.call("entries.create", std::move(params)), [](const json::value& r) {
        std::cout << "scheduled entry " << result_text(r, "id") << "\n";
    });
    return 0;
}

int unschedule(Context& c, const Args& a) {
    auto id = parse_integer(a.positional(0, "the ENTRY id"), "the ENTRY id");
    a.at_most(1);
    c.print(c.call("entries.delete", {{"id", id}}),
            [&](const json::value&) { std::cout << "deleted entry " << id << "\n"; });
    return 0;
}

int emergency_start(Context& c, const Args& a) {
    a.at_most(0);
    json::object params;
    add_targets(a, params, true);
    if (a.has("--text") == a.has("--program"))
        throw UsageError("`emergency start` needs exactly one of --text TEXT (read by speech "
                         "synthesis) or --program ID");
    if (auto text = a.value("--text"))
        params["text"] = *text;
    else
        params["program"] = parse_integer(*a.value("--program"), "--program");
    if (auto title = a.value("--title"))
        params["title"] = *title;
    c.print(c.call("emergency.start", std::move(params)), [](const json::value& r) {
        auto id = result_text(r, "override");
        std::cout << "emergency override " << id << " on air (program " << result_text(r, "program")
                  << "); end it with `loactl emergency stop " << id << "`\n";
    });
    return 0;
}

int emergency_stop(Context& c, const Args& a) {
    auto id = parse_integer(a.positional(0, "the OVERRIDE id"), "the OVERRIDE id");
    a.at_most(1);
    c.print(c.call("emergency.stop", {{"id", id}}),
            [&](const json::value&) { std::cout << "emergency override " << id << " ended\n"; });
    return 0;
}

int stop_all(Context& c, const Args& a) {
    a.at_most(0);
    json::object params;
    add_targets(a, params, true);
    c.print(c.call("stop_all.start", std::move(params)), [](const json::value& r) {
        auto id = result_text(r, "override");
        std::cout << "stop-all override " << id << " in force; lift it with `loactl release " << id
                  << "`\n";
    });
    return 0;
}

int release(Context& c, const Args& a) {
    auto id = parse_integer(a.positional(0, "the OVERRIDE id"), "the OVERRIDE id");
    a.at_most(1);
    c.print(c.call("stop_all.release", {{"id", id}}),
            [&](const json::value&) { std::cout << "released override " << id << "\n"; });
    return 0;
}

int overrides(Context& c, const Args& a) {
    a.at_most(0);
    c.print(c.call("overrides.list"), [](const json::value& r) {
        // The shape of an override is the server's: show the keys of the first one.
        std::vector<Column> columns;
        if (const auto* rows = r.if_array(); rows != nullptr && !rows->empty())
            if (const auto* first = rows->front().if_object())
                for (const auto& member : *first)
                    columns.push_back({header_of(member.key()), std::string(member.key())});
        print_table(r, columns);
    });
    return 0;
}

int as_run(Context& c, const Args& a) {
    a.at_most(0);
    auto from = a.value("--from-ms");
    auto to = a.value("--to-ms");
    if (a.has("--csv")) {
        std::string query;
        if (from)
            query += "from_ms=" + std::to_string(parse_integer(*from, "--from-ms"));
        if (to)
            query += (query.empty() ? "" : "&") +
                     ("to_ms=" + std::to_string(parse_integer(*to, "--to-ms")));
        auto target =
            rest_target(c.endpoint(), "/api/v1/as-run.csv" + (query.empty() ? "" : "?" + query));
        auto reply = loa::clients::http_request(c.endpoint(), c.options(), "GET", target);
        if (!reply)
            throw std::runtime_error(reply.error().message);
        if (reply->status != 200)
            throw std::runtime_error("exporting the as-run log failed: " + rest_error(*reply));
        std::cout << reply->body;
        return 0;
    }
    json::object params;
    if (from)
        params["from_ms"] = parse_integer(*from, "--from-ms");
    if (to)
        params["to_ms"] = parse_integer(*to, "--to-ms");
    c.print(c.call("as_run.list", std::move(params)), [](const json::value& r) {
        print_table(r, {{"ID", "id"},
                        {"STARTED", "started_at", format_time},
                        {"ENDED", "ended_at", format_time},
                        {"PRIORITY", "priority"},
                        {"CHANNEL", "channel"},
                        {"PROGRAM", "program"},
                        {"OUTCOME", "outcome"},
                        {"RECEIVERS", "receivers"},
                        {"TITLE", "title"}});
    });
    return 0;
}

int call(Context& c, const Args& a) {
    const auto& method = a.positional(0, "a METHOD (e.g. units.list)");
    a.at_most(2);
    json::object params;
    if (a.has_positional(1)) {
        boost::system::error_code ec;
        auto parsed = json::parse(a.positional(1, "PARAMS_JSON"), ec);
        if (ec || !parsed.is_object())
            throw UsageError(R"(PARAMS_JSON must be a JSON object, e.g. '{"unit": "HN"}')" +
                             (ec ? " (" + ec.message() + ")" : std::string()));
        params = std::move(parsed.as_object());
    }
    Context::print_json(c.call(method, std::move(params)));
    return 0;
}

} // namespace loactl
