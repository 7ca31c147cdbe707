#include "http_session_read.hpp"
#include "http_session_write.hpp"
#include "sessions.hpp"

namespace loa::http::detail {

void start_tls_session(tcp::socket socket, ssl::context& tls, Shared shared, std::string peer,
                       std::shared_ptr<void> slot) {
    std::make_shared<HttpSession<TlsStream>>(TlsStream(std::move(socket), tls), shared,
                                             std::move(peer), true, std::move(slot))
        ->start();
}

} // namespace loa::http::detail
