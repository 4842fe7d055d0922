// What every gRPC service of the server shares: the Status mapping, the
// bearer-token check, the answer to an exception, and unary reactors that
// finish exactly once (also when the answer comes from a scheduler thread).
// The KServe service (grpc_server.cc) and the Adlik and TensorFlow Serving
// services (adlik_grpc_service.h, tfserving_grpc_service.h) answer through
// these, so that authentication and errors behave alike on all of them.
//
// Thread-safety: pure functions; a FinishOnce may be called from any thread.
#ifndef ADLIK_FRONTENDS_GRPC_GRPC_CALL_H_
#define ADLIK_FRONTENDS_GRPC_GRPC_CALL_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <string_view>

#include "adlik/status.h"
#include "frontends/auth/token_auth.h"

namespace adlik::grpc_frontend {

grpc::Status ToGrpc(const Status& s);

// The status for the exception being handled, which a handler of `rpc`
// threw: no exception may leave a handler (gRPC would answer UNIMPLEMENTED
// with no message, and a reactor already made would never finish).
grpc::Status ExceptionStatus(std::string_view rpc);

// OK when `auth` (nullptr: authentication off) lets the call's
// `authorization` metadata reach an RPC that needs one of `needed`.
grpc::Status Authorize(
    const auth::TokenAuth* auth,
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    uint32_t needed, std::string_view rpc);

// A unary reactor that marks its request cancelled when the client goes.
// `finished` is claimed (exchanged to true) by whoever calls Finish, so the
// reactor is finished exactly once; it outlives the reactor, which deletes
// itself once done.
class InferReactor : public grpc::ServerUnaryReactor {
 public:
  std::shared_ptr<std::atomic<bool>> cancelled =
      std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<bool>> finished =
      std::make_shared<std::atomic<bool>>(false);
  void OnCancel() override { cancelled->store(true); }
  void OnDone() override { delete this; }
};

// Finishes a unary call exactly once, whoever asks first: the handler, a
// completion on another thread, or the exception path. Copies share the flag,
// which outlives the reactor: once it is set the reactor (which may be gone)
// is never touched again.
class FinishOnce {
 public:
  explicit FinishOnce(grpc::ServerUnaryReactor* reactor,
                      std::shared_ptr<std::atomic<bool>> finished =
                          std::make_shared<std::atomic<bool>>(false))
      : reactor_(reactor), finished_(std::move(finished)) {}
  void operator()(const grpc::Status& status) const {
    if (!finished_->exchange(true)) reactor_->Finish(status);
  }

 private:
  grpc::ServerUnaryReactor* reactor_;
  std::shared_ptr<std::atomic<bool>> finished_;
};

// The token groups of an RPC open to anyone (the health probes).
inline constexpr uint32_t kOpenRpc = 0;

// Answers the call at once with `status`.
inline grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* ctx,
                                           const grpc::Status& status) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

// Checks the token for `needed` (kOpenRpc: none), then runs `body`, which
// answers through FinishNow; an exception it throws answers the call instead.
template <typename Body>
grpc::ServerUnaryReactor* Guard(grpc::CallbackServerContext* ctx,
                                const auth::TokenAuth* auth,
                                std::string_view rpc, uint32_t needed,
                                Body&& body) {
  try {
    if (needed != kOpenRpc) {
      grpc::Status s = Authorize(auth, ctx->client_metadata(), needed, rpc);
      if (!s.ok()) return FinishNow(ctx, s);
    }
    return body();
  } catch (...) {
    return FinishNow(ctx, ExceptionStatus(rpc));
  }
}

// Like Guard, for a body that may answer later (from a completion on
// another thread): it gets a FinishOnce of the call's reactor, and the
// exception path answers only if the body has not.
template <typename Body>
grpc::ServerUnaryReactor* GuardOnce(grpc::CallbackServerContext* ctx,
                                    const auth::TokenAuth* auth,
                                    std::string_view rpc, uint32_t needed,
                                    Body&& body) {
  if (needed != kOpenRpc) {
    grpc::Status s;
    try {
      s = Authorize(auth, ctx->client_metadata(), needed, rpc);
    } catch (...) {
      s = ExceptionStatus(rpc);
    }
    if (!s.ok()) return FinishNow(ctx, s);
  }
  auto* reactor = ctx->DefaultReactor();
  const FinishOnce finish(reactor);
  try {
    body(finish);
  } catch (...) {
    finish(ExceptionStatus(rpc));
  }
  return reactor;
}

// An inference RPC: after the infer token check, `start(cancelled, finish)`
// hands the request to the core with `cancelled` (set when the client goes)
// and answers through `finish`, from any thread; an exception it throws
// answers the call instead.
template <typename Start>
grpc::ServerUnaryReactor* GuardInfer(grpc::CallbackServerContext* ctx,
                                     const auth::TokenAuth* auth,
                                     std::string_view rpc, Start&& start) {
  InferReactor* reactor = nullptr;
  try {
    grpc::Status s = Authorize(auth, ctx->client_metadata(), auth::kInfer, rpc);
    if (!s.ok()) return FinishNow(ctx, s);
    reactor = new InferReactor();
  } catch (...) {
    return FinishNow(ctx, ExceptionStatus(rpc));
  }
  const FinishOnce finish(reactor, reactor->finished);
  try {
    start(reactor->cancelled, finish);
  } catch (...) {
    finish(ExceptionStatus(rpc));
  }
  return reactor;
}

}  // namespace adlik::grpc_frontend

#endif  // ADLIK_FRONTENDS_GRPC_GRPC_CALL_H_
