#include "tls_context.hpp"

#include <stdexcept>

namespace loa::http::detail {

ssl::context make_tls_context(const TlsFiles& files) {
    ssl::context context(ssl::context::tls_server);
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                        ssl::context::no_compression);
    // A modern profile: TLS 1.2 with forward-secret AEAD suites only (TLS 1.3's are all
    // AEAD), the server's order, no renegotiation.
    SSL_CTX_set_options(context.native_handle(),
                        SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_set_cipher_list(context.native_handle(),
                                "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20") != 1)
        throw std::runtime_error("OpenSSL refuses the server's TLS 1.2 cipher list");
    beast::error_code ec;
    context.use_certificate_chain_file(files.certificate, ec);
    if (ec)
        throw std::runtime_error("http.tls_certificate: cannot load \"" + files.certificate +
                                 "\": " + ec.message());
    context.use_private_key_file(files.private_key, ssl::context::pem, ec);
    if (ec)
        throw std::runtime_error("http.tls_key: cannot load \"" + files.private_key +
                                 "\": " + ec.message());
    return context;
}

} // namespace loa::http::detail
