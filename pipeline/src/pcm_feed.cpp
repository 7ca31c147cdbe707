#include "loa/pipeline/pcm_feed.hpp"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

namespace loa::pipeline {

PcmFeed::~PcmFeed() {
    std::lock_guard lock(mutex_);
    if (consumer_ != nullptr)
        gst_object_unref(consumer_);
}

void PcmFeed::attach(GstElement* appsrc) {
    std::lock_guard lock(mutex_);
    if (consumer_ != nullptr)
        gst_object_unref(consumer_);
    consumer_ = GST_ELEMENT(gst_object_ref(appsrc));
}

void PcmFeed::detach(GstElement* appsrc) {
    std::lock_guard lock(mutex_);
    if (consumer_ == appsrc) {
        gst_object_unref(consumer_);
        consumer_ = nullptr;
    }
}

void PcmFeed::push(const std::uint8_t* data, std::size_t bytes) {
    last_push_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                        std::memory_order_relaxed);
    samples_.fetch_add(bytes / 2, std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    if (consumer_ == nullptr || bytes == 0)
        return;
    // The appsrc timestamps the buffer as it arrives (do-timestamp) and drops the oldest
    // when its consumer is held (leaky): a live voice is never queued behind itself.
    GstBuffer* buffer = gst_buffer_new_memdup(data, bytes);
    (void)gst_app_src_push_buffer(GST_APP_SRC(consumer_), buffer);
}

std::chrono::steady_clock::time_point PcmFeed::last_push() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_push_ns_.load(std::memory_order_relaxed)));
}

} // namespace loa::pipeline
