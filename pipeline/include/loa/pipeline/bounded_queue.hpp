#pragma once
/// @file
/// A fixed-capacity multi-producer queue with a blocking consumer. Slots are allocated once;
/// a full queue refuses (the caller counts a drop) rather than grow.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

namespace loa::pipeline {

/// Ring of `capacity` preallocated items.
template <class T> class BoundedQueue {
public:
    explicit BoundedQueue(std::size_t capacity) : slots_(capacity) {}

    /// Copies `fill` into the next slot through a callback, so large items are written once.
    /// Returns false if the queue is full or closed.
    template <class Fill> bool push_with(Fill&& fill) {
        {
            std::lock_guard lock(mutex_);
            if (closed_ || size_ == slots_.size())
                return false;
            fill(slots_[(head_ + size_) % slots_.size()]);
            ++size_;
        }
        ready_.notify_one();
        return true;
    }

    /// Waits up to `timeout` for an item and hands it to `consume` while holding the slot.
    /// Returns false on timeout or when closed and empty.
    template <class Consume> bool pop_with(std::chrono::milliseconds timeout, Consume&& consume) {
        std::unique_lock lock(mutex_);
        if (!ready_.wait_for(lock, timeout, [this] { return size_ > 0 || closed_; }) || size_ == 0)
            return false;
        T& item = slots_[head_];
        // The consumer runs unlocked: producers only write to free slots, never to this one.
        lock.unlock();
        consume(item);
        lock.lock();
        head_ = (head_ + 1) % slots_.size();
        --size_;
        return true;
    }

    /// Wakes the consumer and refuses further pushes.
    void close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        ready_.notify_all();
    }

    /// True once close() was called.
    bool closed() const {
        std::lock_guard lock(mutex_);
        return closed_;
    }

    /// Items waiting.
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return size_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::vector<T> slots_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
    bool closed_ = false;
};

} // namespace loa::pipeline
