// Status and StatusOr: how every error in the project travels, including
// across the runtime plugin boundary (no exception ever crosses a module).
//
// A Status is either OK or a code plus a message meant for the person who sent
// the request or wrote the config, so a message names what is wrong ("input
// 'INPUT0': expected 16 elements, got 15"). Codes follow the KServe/Triton set
// and are mapped to HTTP and gRPC at the front ends only.
//
// Thread-safety: values; safe to copy and read from any thread.
#ifndef ADLIK_STATUS_H_
#define ADLIK_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace adlik {

enum class StatusCode {
  kOk = 0,
  kCancelled,          // the client went away; nothing to answer
  kUnknown,            // an error with no better code
  kInvalidArgument,    // the request, config or flag is wrong; do not retry
  kDeadlineExceeded,   // the request's timeout passed before it ran
  kNotFound,           // unknown model, version, route or file
  kAlreadyExists,      // something of that name is there already
  kUnavailable,        // try again later: model not ready, queue full
  kInternal,           // a bug or an engine failure
  kUnimplemented,      // a valid request this server does not support
  kResourceExhausted,  // a request over a size limit
};

// Returns the canonical upper-case name of `code` ("INVALID_ARGUMENT").
constexpr std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kUnknown:
      return "UNKNOWN";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
  }
  return "UNKNOWN";
}

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const {
    if (ok()) return "OK";
    return std::string(StatusCodeName(code_)) + ": " + message_;
  }

  // Returns a copy whose message is `prefix + ": " + message()`.
  Status WithPrefix(std::string_view prefix) const {
    if (ok()) return *this;
    return Status(code_, std::string(prefix) + ": " + message_);
  }

  // Says that dropping this status is deliberate.
  void IgnoreError() const {}

  bool operator==(const Status& other) const {
    return code_ == other.code_ && message_ == other.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status NotFound(std::string m) {
  return Status(StatusCode::kNotFound, std::move(m));
}
inline Status Unavailable(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}
inline Status Internal(std::string m) {
  return Status(StatusCode::kInternal, std::move(m));
}
inline Status Unimplemented(std::string m) {
  return Status(StatusCode::kUnimplemented, std::move(m));
}
inline Status Cancelled(std::string m) {
  return Status(StatusCode::kCancelled, std::move(m));
}
inline Status DeadlineExceeded(std::string m) {
  return Status(StatusCode::kDeadlineExceeded, std::move(m));
}
inline Status AlreadyExists(std::string m) {
  return Status(StatusCode::kAlreadyExists, std::move(m));
}
inline Status ResourceExhausted(std::string m) {
  return Status(StatusCode::kResourceExhausted, std::move(m));
}

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : status_(status) {  // NOLINT: implicit
    assert(!status.ok());
    if (status_.ok()) status_ = Internal("StatusOr built from an OK status");
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // Precondition: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace adlik

#define ADLIK_CONCAT_INNER_(a, b) a##b
#define ADLIK_CONCAT_(a, b) ADLIK_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define ADLIK_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::adlik::Status adlik_status_ = (expr);        \
    if (!adlik_status_.ok()) return adlik_status_; \
  } while (0)

// `ADLIK_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a StatusOr or
// returns its error.
#define ADLIK_ASSIGN_OR_RETURN(lhs, expr)                                     \
  ADLIK_ASSIGN_OR_RETURN_IMPL_(ADLIK_CONCAT_(adlik_statusor_, __LINE__), lhs, \
                               expr)
#define ADLIK_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

// The server's own code uses the short names (built with
// ADLIK_SHORT_STATUS_MACROS); the SDK defines only prefixed macros, so that it
// can be included next to other vendors' SDKs.
#ifdef ADLIK_SHORT_STATUS_MACROS
#define RETURN_IF_ERROR(expr) ADLIK_RETURN_IF_ERROR(expr)
#define ASSIGN_OR_RETURN(lhs, expr) ADLIK_ASSIGN_OR_RETURN(lhs, expr)
#endif

#endif  // ADLIK_STATUS_H_
