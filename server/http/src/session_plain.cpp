#include "http_session_read.hpp"
#include "http_session_write.hpp"
#include "sessions.hpp"

namespace loa::http::detail {

void start_plain_session(tcp::socket socket, Shared shared, std::string peer,
                         std::shared_ptr<void> slot) {
    std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), shared,
                                               std::move(peer), false, std::move(slot))
        ->start();
}

} // namespace loa::http::detail
