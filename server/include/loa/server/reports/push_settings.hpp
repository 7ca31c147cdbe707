#pragma once
/// @file
/// Where the indicators are pushed: the [indicators] push targets of the configuration.

#include <string>

namespace loa::server {

/// One system the daily snapshot (and, if asked, each emergency) is POSTed to.
struct IndicatorPushSettings {
    std::string url;          ///< http:// or https://, without credentials
    std::string secret_file;  ///< its first line is the HMAC key the signature is made with
    std::string ca_file;      ///< trusted CAs (PEM) for https; "" = the system's
    std::string unit;         ///< the unit whose rows it gets (with those under it); "" = province
    bool emergencies = false; ///< also each emergency as it starts and ends
};

} // namespace loa::server
