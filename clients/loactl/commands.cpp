// The table of loactl's commands: names, the options each accepts, and what runs them.
#include "commands.hpp"

namespace loactl {
namespace {

struct Command {
    const char* name; ///< one word, or two for a command with a subcommand ("program create")
    std::set<std::string> with_value;
    std::set<std::string> switches;
    int (*run)(Context&, const Args&);
};

const std::vector<Command>& commands() {
    static const std::vector<Command> all{
        {"login", {}, {}, login},
        {"logout", {}, {}, logout},
        {"units", {}, {}, units},
        {"receivers", {"--unit"}, {}, receivers},
        {"volume", {"--volume"}, {"--mute", "--unmute"}, volume},
        {"provision", {"--unit", "--name", "--out"}, {}, provision},
        {"programs", {}, {}, programs},
        {"program create", {"--unit", "--title", "--file", "--text", "--url"}, {}, program_create},
        {"program submit", {}, {}, program_decide},
        {"program approve", {}, {}, program_decide},
        {"program reject", {}, {}, program_decide},
        {"entries", {}, {}, entries},
        {"schedule",
         {"--program", "--start", "--duration", "--unit", "--cluster", "--priority", "--rule"},
         {},
         schedule},
        {"unschedule", {}, {}, unschedule},
        {"emergency start",
         {"--unit", "--cluster", "--text", "--program", "--title"},
         {},
         emergency_start},
        {"emergency stop", {}, {}, emergency_stop},
        {"stop-all", {"--unit", "--cluster"}, {}, stop_all},
        {"release", {}, {}, release},
        {"overrides", {}, {}, overrides},
        {"as-run", {"--from-ms", "--to-ms"}, {"--csv"}, as_run},
        {"call", {}, {}, call},
        {"live", {"--unit", "--cluster", "--from", "--priority", "--title", "--for"}, {}, live},
    };
    return all;
}

const Command* find(const std::string& name) {
    for (const auto& c : commands())
        if (name == c.name)
            return &c;
    return nullptr;
}

} // namespace

int run_command(Context& context, const std::vector<std::string>& words) {
    if (words.empty())
        throw UsageError("no command given");
    std::size_t used = 1;
    const Command* command = nullptr;
    if (words.size() >= 2)
        command = find(words[0] + " " + words[1]);
    if (command != nullptr) {
        used = 2;
    } else {
        command = find(words[0]);
    }
    if (command == nullptr) {
        if (words[0] == "program" || words[0] == "emergency")
            throw UsageError(
                "`" + words[0] + "` needs a subcommand: " +
                (words[0] == "program" ? "create, submit, approve or reject" : "start or stop"));
        throw UsageError("unknown command \"" + words[0] + "\"");
    }
    auto switches = command->switches;
    switches.insert("--json"); // also accepted after the command
    Args args(command->name,
              std::vector<std::string>(words.begin() + static_cast<long>(used), words.end()),
              command->with_value, switches);
    if (args.has("--json"))
        context.set_json_output();
    return command->run(context, args);
}

} // namespace loactl
