// loa-server: the province's source information system (README.md, docs/operations.md); its
// parts and how they are wired: server/src/app/server_app.cpp.
#include <iostream>
#include <stdexcept>
#include <sys/stat.h>

#include "loa/common/config.hpp"
#include "loa/common/logging.hpp"
#include "loa/server/api/method_table.hpp"
#include "loa/server/app/control_client.hpp"
#include "loa/server/app/options.hpp"
#include "loa/server/app/server_app.hpp"
#include "loa/server/backups/restore.hpp"
#include "loa/server/media/sdp.hpp"

namespace {

/// --new-key [PROFILE]: a fresh SRTP master key.
int print_new_key(const loa::server::Options& options) {
    auto name =
        options.new_key_profile.empty() ? "aes_cm_128_hmac_sha1_80" : options.new_key_profile;
    auto profile = loa::pipeline::parse_srtp_profile(name);
    if (!profile)
        throw loa::common::ConfigError("--new-key: unknown profile \"" + name + "\"");
    std::cout << loa::server::new_key(*profile) << "\n";
    return 0;
}

/// --sdp RECEIVER_ID: the SDP a standard SRTP player needs to listen as that receiver.
int print_sdp(const loa::server::Settings& settings, const std::string& receiver) {
    auto sdp = loa::server::receiver_sdp(settings, receiver);
    if (!sdp)
        throw std::runtime_error(sdp.error().message); // said as main says every error
    std::cout << *sdp;
    return 0;
}

/// --restore BACKUP_FOLDER: the backup into state_dir, the server stopped.
int restore(const loa::server::Settings& settings, const std::string& backup) {
    ::umask(077); // the restored files are the server's alone, as it keeps them
    auto restored = loa::server::restore_backup(backup, settings.state_dir,
                                                loa::server::seal_key_file(settings),
                                                std::chrono::system_clock::now());
    if (!restored)
        throw std::runtime_error(restored.error().message);
    std::cout << "restored " << restored->backup.name << " into " << settings.state_dir << " ("
              << restored->media_files << " media files)\n";
    if (!restored->moved_aside.empty())
        std::cout << "what was there before is in " << restored->moved_aside << "\n";
    std::cout << "start the server: its receivers come back by themselves, except those "
                 "provisioned or rekeyed after the backup (provision them again); users and "
                 "passwords are the backup's\n";
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        auto options = loa::server::parse_options(argc, argv);
        if (options.new_key)
            return print_new_key(options);
        if (options.methods_markdown)
            return (std::cout << loa::server::methods_markdown()) ? 0 : 1;
        auto settings = loa::server::read_settings(options);
        if (!options.call_method.empty())
            return loa::server::call_running_server(settings, options.call_method,
                                                    options.call_params);
        loa::common::init_logging(settings.log_level);
        if (!options.sdp_receiver.empty())
            return print_sdp(settings, options.sdp_receiver);
        if (!options.restore.empty())
            return restore(settings, options.restore);
        loa::server::ServerApp app(std::move(settings),
                                   [options] { return loa::server::read_settings(options); });
        return app.run();
    } catch (const std::exception& e) {
        std::cerr << "loa-server: " << e.what() << "\n";
        return 1;
    }
}
