#include "frontends/grpc/grpc_call.h"

#include <exception>
#include <new>
#include <string>

#include "base/logging.h"

namespace adlik::grpc_frontend {

grpc::Status ToGrpc(const Status& s) {
  grpc::StatusCode code;
  switch (s.code()) {
    case StatusCode::kOk:
      return grpc::Status::OK;
    case StatusCode::kCancelled:
      code = grpc::StatusCode::CANCELLED;
      break;
    case StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case StatusCode::kDeadlineExceeded:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      break;
    case StatusCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case StatusCode::kAlreadyExists:
      code = grpc::StatusCode::ALREADY_EXISTS;
      break;
    case StatusCode::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case StatusCode::kInternal:
      code = grpc::StatusCode::INTERNAL;
      break;
    case StatusCode::kUnimplemented:
      code = grpc::StatusCode::UNIMPLEMENTED;
      break;
    case StatusCode::kResourceExhausted:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    default:
      code = grpc::StatusCode::UNKNOWN;
  }
  return grpc::Status(code, s.message());
}

grpc::Status ExceptionStatus(std::string_view rpc) {
  const std::string where(rpc);
  try {
    throw;
  } catch (const std::bad_alloc&) {
    LOG(ERROR) << "gRPC " << where << ": out of memory";
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        where + ": out of memory while handling the request");
  } catch (const std::exception& e) {
    LOG(ERROR) << "gRPC " << where << ": " << e.what();
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        where + ": internal error: " + e.what());
  } catch (...) {
    LOG(ERROR) << "gRPC " << where << ": unknown exception";
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        where + ": internal error (unknown exception)");
  }
}

grpc::Status Authorize(
    const auth::TokenAuth* auth,
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    uint32_t needed, std::string_view rpc) {
  if (auth == nullptr) return grpc::Status::OK;
  std::string_view value;
  bool present = false;
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    value = std::string_view(it->second.data(), it->second.size());
    present = true;
  }
  switch (auth->Check(value, needed)) {
    case auth::AuthResult::kAllowed:
      return grpc::Status::OK;
    case auth::AuthResult::kUnauthenticated:
      return grpc::Status(
          grpc::StatusCode::UNAUTHENTICATED,
          present ? "the 'authorization' metadata is not 'Bearer TOKEN' with "
                    "a valid token"
                  : "this server needs 'authorization: Bearer TOKEN' "
                    "metadata");
    case auth::AuthResult::kForbidden:
      break;
  }
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      "the token does not grant " + std::string(rpc) +
                          " (it needs the group " + auth::GroupNames(needed) +
                          ")");
}

}  // namespace adlik::grpc_frontend
