#pragma once
/// @file
/// loactl's saved login: the server it logged in to and the bearer token, in a file only its
/// owner can read.

#include <string>

#include "loa/common/result.hpp"

namespace loa::clients {

/// What `loactl login` keeps between runs.
struct SavedSession {
    std::string server; ///< the URL logged in to
    std::string token;  ///< bearer token for that server only
};

/// $LOA_CONFIG_DIR/session.json, else $HOME/.config/loa/session.json.
std::string session_file();

/// Reads a saved session; not_found when there is none, invalid_argument when it is unreadable.
common::Result<SavedSession> load_session(const std::string& path);

/// Writes the session with mode 0600 (replacing the file atomically), creating its folder with
/// mode 0700 if needed.
common::Result<void> save_session(const std::string& path, const SavedSession& session);

/// Deletes the saved session; true if there was one.
bool remove_session(const std::string& path);

/// Writes `text` to `path` with mode 0600, replacing the file atomically (for secrets).
common::Result<void> write_private_file(const std::string& path, const std::string& text);

} // namespace loa::clients
