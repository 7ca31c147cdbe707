#pragma once
/// @file
/// Expected failures between modules: an error code plus a message that says what to fix.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace loa::common {

/// What kind of expected failure happened; the API layer maps these to protocol errors.
enum class Errc {
    invalid_argument, ///< the caller passed something malformed or out of range
    not_found,        ///< a named thing does not exist
    already_exists,   ///< a thing with that name exists already
    io_error,         ///< the operating system refused (file, socket)
    media_error,      ///< GStreamer or libsrtp refused
    unauthorized,     ///< credentials missing or wrong
};

/// A failure with a human-readable message naming the offending input.
struct Error {
    Errc code;
    std::string message;
};

/// Either a value or an Error. Minimal stand-in for std::expected (C++23).
template <class T> class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}     // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::move(error)) {} // NOLINT(google-explicit-constructor)

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(v_));
    }
    /// The value, or `fallback` on an error (as std::expected::value_or).
    T value_or(T fallback) const& { return ok() ? std::get<0>(v_) : std::move(fallback); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T operator*() && { return std::move(*this).value(); }

    const Error& error() const {
        assert(!ok());
        return std::get<1>(v_);
    }

private:
    std::variant<T, Error> v_;
};

/// Result of an operation that yields nothing but may fail.
template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {} // NOLINT

    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const Error& error() const {
        assert(failed_);
        return error_;
    }

private:
    Error error_{Errc::invalid_argument, {}};
    bool failed_ = false;
};

/// Shorthand to build a failed Result.
inline Error make_error(Errc code, std::string message) {
    return Error{code, std::move(message)};
}

} // namespace loa::common
