#pragma once
/// @file
/// Probes of the machine the server runs on: the free space of its state folder, whether the
/// kernel's clock is synchronised, when its HTTPS certificate expires.

#include <chrono>
#include <optional>
#include <string>

#include "loa/server/supervision/checks.hpp"

namespace loa::server {

/// Free and total space of the file system holding `path` (statvfs); nullopt if unreadable.
std::optional<DiskSpace> disk_space(const std::string& path);

/// Whether the kernel says its clock is synchronised (adjtimex: not TIME_ERROR, as NTP, chrony
/// and systemd-timesyncd leave it); nullopt if it cannot tell.
std::optional<bool> clock_synchronised();

/// When the first certificate of the PEM file `path` stops being valid; nullopt if there is
/// none or it cannot be read.
std::optional<std::chrono::system_clock::time_point> certificate_expiry(const std::string& path);

} // namespace loa::server
