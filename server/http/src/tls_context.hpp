#pragma once
// The TLS profile the server offers.

#include "beast_support.hpp"

namespace loa::http::detail {

/// A server context with `files` loaded: TLS 1.2 and up, forward-secret AEAD suites, the
/// server's order, no renegotiation. Throws with the reason if a file does not load.
ssl::context make_tls_context(const TlsFiles& files);

} // namespace loa::http::detail
