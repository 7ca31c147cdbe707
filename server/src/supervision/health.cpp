#include "loa/server/supervision/health.hpp"

#include <ctime>
#include <memory>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/statvfs.h>
#include <sys/timex.h>

namespace loa::server {

std::optional<DiskSpace> disk_space(const std::string& path) {
    struct statvfs fs {};
    if (statvfs(path.c_str(), &fs) != 0)
        return std::nullopt;
    // f_bavail: what an unprivileged writer may still use, as df shows it.
    return DiskSpace{static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize,
                     static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize};
}

std::optional<bool> clock_synchronised() {
    timex now{};
    int state = adjtimex(&now); // modes 0: reads only
    if (state < 0)
        return std::nullopt;
    return state != TIME_ERROR;
}

std::optional<std::chrono::system_clock::time_point> certificate_expiry(const std::string& path) {
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "re"), &std::fclose);
    if (!file)
        return std::nullopt;
    std::unique_ptr<X509, void (*)(X509*)> cert(
        PEM_read_X509(file.get(), nullptr, nullptr, nullptr), &X509_free);
    if (!cert)
        return std::nullopt;
    std::tm tm{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1)
        return std::nullopt;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

} // namespace loa::server
