// Linked with loa::http alone: if the transport used any other Loa library, this would not
// link. Serves on a free port of 127.0.0.1 and stops.
#include <cstdio>

#include "loa/http/server.hpp"

int main() {
    loa::http::HttpServer server("127.0.0.1", 0, [](const loa::http::HttpRequest&) {
        return loa::http::text_response(200, "ok\n");
    });
    server.start();
    std::printf("served on 127.0.0.1:%u without any other Loa library\n", server.port());
    server.stop();
    return 0;
}
