#include "loa/common/secret.hpp"

#include <sodium.h>
#include <stdexcept>

namespace loa::common {
namespace {

void ensure_sodium() {
    static const bool ready = sodium_init() >= 0;
    if (!ready)
        throw std::runtime_error("libsodium failed to initialise");
}

} // namespace

void random_bytes(void* out, std::size_t size) {
    ensure_sodium();
    randombytes_buf(out, size);
}

std::string to_base64(const std::vector<std::uint8_t>& bytes) {
    ensure_sodium();
    std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1); // drop the terminating NUL
    return out;
}

std::optional<std::vector<std::uint8_t>> from_base64(const std::string& text) {
    ensure_sodium();
    std::vector<std::uint8_t> out(text.size());
    std::size_t len = 0;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return std::nullopt;
    out.resize(len);
    return out;
}

} // namespace loa::common
