#pragma once
// The application's side of a streaming response, and the registry that lets stop() refuse
// every sink's writes before the sessions go away.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "loa/http/message.hpp"

namespace loa::http::detail {

/// The application's side of a streaming response: refuses writes once the stream is over
/// and bounds what waits to be written. The session does the writing (StreamSink).
class StreamSinkBase : public HttpStreamSink {
public:
    bool write(std::string bytes) override;
    void end() override;
    bool open() const override;
    /// The session has written `bytes` of what was queued (network thread).
    void written(std::size_t bytes);
    /// No more writes: the connection is over or the server is stopping.
    void shut();

protected:
    // Called with the lock held; they only post to the session's executor.
    virtual void post_write(std::string bytes) = 0;
    virtual void post_end() = 0;
    virtual void post_drop() = 0;

private:
    mutable std::mutex mutex_;
    bool closed_ = false;
    std::size_t backlog_ = 0;
};

/// Every streaming sink, so that stop() refuses their writes before the sessions go away.
class SinkRegistry {
public:
    void add(const std::shared_ptr<StreamSinkBase>& sink);
    void shut_all();

private:
    std::mutex mutex_;
    std::vector<std::weak_ptr<StreamSinkBase>> sinks_;
    bool stopped_ = false;
};

} // namespace loa::http::detail
