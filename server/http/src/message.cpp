#include "loa/http/message.hpp"

#include <boost/asio/ip/address.hpp>

namespace loa::http {

HttpResponse text_response(int status, std::string body) {
    return {status, "text/plain; charset=utf-8", std::move(body), {}};
}

HttpResponse json_response(int status, std::string body) {
    return {status, "application/json", std::move(body), {}};
}

std::optional<std::string> url_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%') {
            if (i + 2 >= text.size())
                return std::nullopt;
            auto hex = [](char h) -> int {
                if (h >= '0' && h <= '9')
                    return h - '0';
                if (h >= 'a' && h <= 'f')
                    return h - 'a' + 10;
                if (h >= 'A' && h <= 'F')
                    return h - 'A' + 10;
                return -1;
            };
            int high = hex(text[i + 1]), low = hex(text[i + 2]);
            if (high < 0 || low < 0)
                return std::nullopt;
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::string HttpRequest::path() const {
    return target.substr(0, target.find('?'));
}

std::optional<std::string> HttpRequest::query(const std::string& name) const {
    auto q = target.find('?');
    if (q == std::string::npos)
        return std::nullopt;
    std::string_view rest(target);
    rest.remove_prefix(q + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        auto pair = rest.substr(0, amp);
        auto eq = pair.find('=');
        auto key = url_decode(pair.substr(0, eq));
        if (key && *key == name)
            return eq == std::string_view::npos ? std::optional<std::string>("")
                                                : url_decode(pair.substr(eq + 1));
        if (amp == std::string_view::npos)
            break;
        rest.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

std::string HttpRequest::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
}

std::string HttpRequest::peer_address() const {
    std::string host = peer.substr(0, peer.rfind(':'));
    if (!host.empty() && host.front() == '[')
        host = host.substr(1, host.size() - 2);
    return host;
}

bool HttpRequest::from_loopback() const {
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(peer_address(), ec);
    return !ec && address.is_loopback();
}

} // namespace loa::http
