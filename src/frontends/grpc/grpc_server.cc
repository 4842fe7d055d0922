#include "frontends/grpc/grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <chrono>
#include <exception>
#include <limits>
#include <new>
#include <optional>

#include "adlik/bytes_tensor.h"
#include "base/clock.h"
#include "base/logging.h"
#include "frontends/auth/token_auth.h"
#include "frontends/grpc/grpc_call.h"
#include "frontends/grpc/grpc_infer_request.h"
#include "frontends/grpc/grpc_service.grpc.pb.h"
#include "frontends/grpc/grpc_stream.h"
#include "frontends/grpc/health.grpc.pb.h"
#include "frontends/kserve/kserve_protocol.h"
#include "frontends/kserve/kserve_render.h"
#include "frontends/kserve/kserve_settings.h"
#include "frontends/shared_memory/shared_memory_tensors.h"

namespace adlik::grpc_frontend {
namespace {

// A request whose bytes are not a protobuf message of the method's request
// type never reaches the handler: gRPC answers it UNIMPLEMENTED with no
// message. This sees the failed parse (no received message) and makes that
// answer INVALID_ARGUMENT naming the method (UNAUTHENTICATED first when the
// call has no valid token).
class UnparsedRequestInterceptor : public grpc::experimental::Interceptor {
 public:
  UnparsedRequestInterceptor(grpc::experimental::ServerRpcInfo* info,
                             const auth::TokenAuth* auth)
      : info_(info), auth_(auth) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    using grpc::experimental::InterceptionHookPoints;
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE) &&
        m->GetRecvMessage() == nullptr) {
      unparsed_ = true;
    }
    if (unparsed_ && m->QueryInterceptionHookPoint(
                         InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status sent = m->GetSendStatus();
      if (sent.error_code() == grpc::StatusCode::UNIMPLEMENTED &&
          sent.error_message().empty()) {
        grpc::Status s =
            Authorize(auth_, info_->server_context()->client_metadata(),
                      auth::kAnyGroup, info_->method());
        if (s.ok()) {
          s = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                           std::string(info_->method()) +
                               ": the request is not a valid protobuf message "
                               "of the method's request type");
        }
        m->ModifySendStatus(s);
      }
    }
    m->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* const info_;
  const auth::TokenAuth* const auth_;
  bool unparsed_ = false;
};

class UnparsedRequestInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit UnparsedRequestInterceptorFactory(const auth::TokenAuth* auth)
      : auth_(auth) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    if (info->type() != grpc::experimental::ServerRpcInfo::Type::UNARY)
      return nullptr;
    return new UnparsedRequestInterceptor(info, auth_);
  }

 private:
  const auth::TokenAuth* const auth_;
};

}  // namespace

class InferenceService final
    : public inference::GRPCInferenceService::CallbackService {
 public:
  InferenceService(ServerCore* core, const auth::TokenAuth* auth,
                   shm::SharedMemoryRegistry* shm)
      : core_(core), auth_(auth), shm_(shm) {}

  // Open to probes, like /v2/health/live and /ready.
  grpc::ServerUnaryReactor* ServerLive(
      grpc::CallbackServerContext* ctx, const inference::ServerLiveRequest*,
      inference::ServerLiveResponse* res) override {
    return Guard(ctx, "ServerLive", kOpen, [&] {
      res->set_live(core_->Live());
      return Done(ctx, grpc::Status::OK);
    });
  }

  grpc::ServerUnaryReactor* ServerReady(
      grpc::CallbackServerContext* ctx, const inference::ServerReadyRequest*,
      inference::ServerReadyResponse* res) override {
    return Guard(ctx, "ServerReady", kOpen, [&] {
      res->set_ready(core_->Ready());
      return Done(ctx, grpc::Status::OK);
    });
  }

  grpc::ServerUnaryReactor* ModelReady(
      grpc::CallbackServerContext* ctx, const inference::ModelReadyRequest* req,
      inference::ModelReadyResponse* res) override {
    return Guard(ctx, "ModelReady", auth::kMetadata, [&] {
      if (Status v = kserve::CheckModelVersion(req->version()); !v.ok())
        return Done(ctx, ToGrpc(v));
      res->set_ready(core_->ModelReady(req->name(), req->version()));
      return Done(ctx, grpc::Status::OK);
    });
  }

  grpc::ServerUnaryReactor* ServerMetadata(
      grpc::CallbackServerContext* ctx, const inference::ServerMetadataRequest*,
      inference::ServerMetadataResponse* res) override {
    return Guard(ctx, "ServerMetadata", auth::kMetadata, [&] {
      kserve::RenderServerMetadata(core_->name(), ServerCore::Version(), res);
      return Done(ctx, grpc::Status::OK);
    });
  }

  grpc::ServerUnaryReactor* ModelMetadata(
      grpc::CallbackServerContext* ctx,
      const inference::ModelMetadataRequest* req,
      inference::ModelMetadataResponse* res) override {
    return Guard(ctx, "ModelMetadata", auth::kMetadata, [&] {
      if (Status v = kserve::CheckModelVersion(req->version()); !v.ok())
        return Done(ctx, ToGrpc(v));
      auto metadata = core_->GetModelMetadata(req->name(), req->version());
      if (!metadata.ok()) return Done(ctx, ToGrpc(metadata.status()));
      kserve::RenderModelMetadata(*metadata, res);
      return Done(ctx, grpc::Status::OK);
    });
  }

  grpc::ServerUnaryReactor* ModelConfig(
      grpc::CallbackServerContext* ctx,
      const inference::ModelConfigRequest* req,
      inference::ModelConfigResponse* res) override {
    return Guard(ctx, "ModelConfig", auth::kMetadata, [&] {
      if (Status v = kserve::CheckModelVersion(req->version()); !v.ok())
        return Done(ctx, ToGrpc(v));
      auto config = core_->GetModelConfig(req->name(), req->version());
      if (!config.ok()) return Done(ctx, ToGrpc(config.status()));
      *res->mutable_config() = std::move(config).value();
      return Done(ctx, grpc::Status::OK);
    });
  }

  grpc::ServerUnaryReactor* ModelStatistics(
      grpc::CallbackServerContext* ctx,
      const inference::ModelStatisticsRequest* req,
      inference::ModelStatisticsResponse* res) override {
    return Guard(ctx, "ModelStatistics", auth::kMetadata, [&] {
      if (Status v = kserve::CheckModelVersion(req->version()); !v.ok())
        return Done(ctx, ToGrpc(v));
      auto entries = core_->Statistics(req->name(), req->version());
      if (!entries.ok()) return Done(ctx, ToGrpc(entries.status()));
      kserve::RenderStatistics(*entries, res);
      return Done(ctx, grpc::Status::OK);
    });
  }

  grpc::ServerUnaryReactor* RepositoryIndex(
      grpc::CallbackServerContext* ctx,
      const inference::RepositoryIndexRequest* req,
      inference::RepositoryIndexResponse* res) override {
    return Guard(ctx, "RepositoryIndex", auth::kAdmin, [&] {
      kserve::RenderIndex(core_->Index(), req->ready(), res);
      return Done(ctx, grpc::Status::OK);
    });
  }

  grpc::ServerUnaryReactor* RepositoryModelLoad(
      grpc::CallbackServerContext* ctx,
      const inference::RepositoryModelLoadRequest* req,
      inference::RepositoryModelLoadResponse*) override {
    return GuardOnce(
        ctx, "RepositoryModelLoad", auth::kAdmin,
        [&](const FinishOnce& finish) {
          std::optional<inference::ModelConfig> config;
          for (const auto& [key, p] : req->parameters()) {
            if (key == "config") {
              if (p.parameter_choice_case() !=
                  inference::ModelRepositoryParameter::kStringParam) {
                return finish(ToGrpc(
                    InvalidArgument("parameter 'config' must be a string")));
              }
              auto parsed = kserve::ParseConfigOverride(req->model_name(),
                                                        p.string_param());
              if (!parsed.ok()) return finish(ToGrpc(parsed.status()));
              config = std::move(parsed).value();
            } else if (key.starts_with("file:")) {
              return finish(ToGrpc(Unimplemented(
                  "load: file overrides ('" + key + "') are not supported")));
            }
          }
          core_->LoadModel(req->model_name(), std::move(config),
                           [finish](Status s) { finish(ToGrpc(s)); });
        });
  }

  grpc::ServerUnaryReactor* RepositoryModelUnload(
      grpc::CallbackServerContext* ctx,
      const inference::RepositoryModelUnloadRequest* req,
      inference::RepositoryModelUnloadResponse*) override {
    return GuardOnce(ctx, "RepositoryModelUnload", auth::kAdmin,
                     [&](const FinishOnce& finish) {
                       // unload_dependents is accepted: no model here has
                       // dependents.
                       core_->UnloadModel(
                           req->model_name(),
                           [finish](Status s) { finish(ToGrpc(s)); });
                     });
  }

  grpc::ServerUnaryReactor* ModelInfer(
      grpc::CallbackServerContext* ctx, const inference::ModelInferRequest* req,
      inference::ModelInferResponse* res) override {
    const uint64_t received_ns = Clock::Real()->NowNs();
    InferReactor* reactor = nullptr;
    try {
      grpc::Status s =
          Authorize(auth_, ctx->client_metadata(), auth::kInfer, "ModelInfer");
      if (!s.ok()) return Done(ctx, s);
      reactor = new InferReactor();
    } catch (...) {
      return Done(ctx, ExceptionStatus("ModelInfer"));
    }
    // Shared with the completion, which may run (and the reactor be deleted)
    // before this returns.
    const std::shared_ptr<std::atomic<bool>> finished = reactor->finished;
    try {
      kserve::SharedMemoryRefs refs;
      auto parsed = FromProto(*req, &refs);
      StatusOr<std::vector<std::optional<shm::Block>>> blocks = parsed.status();
      if (parsed.ok()) blocks = shm::PlaceTensors(shm_, refs, parsed->get());
      if (!blocks.ok()) {
        finished->store(true);
        reactor->Finish(ToGrpc(blocks.status()));
        return reactor;
      }
      (*parsed)->cancelled = reactor->cancelled;
      (*parsed)->received_ns = received_ns;
      if (auto tp = ctx->client_metadata().find("traceparent");
          tp != ctx->client_metadata().end()) {
        (*parsed)->traceparent.assign(tp->second.data(), tp->second.size());
      }
      core_->Infer(
          std::move(parsed).value(),
          [reactor, res, finished, shm = std::move(refs.outputs),
           blocks = std::move(blocks).value()](StatusOr<InferResponse> result) {
            if (finished->exchange(true)) return;
            grpc::Status status = grpc::Status::OK;
            try {
              if (result.ok()) {
                if (Status s = shm::WriteOutputs(blocks, *result); !s.ok())
                  result = s;
              }
              if (result.ok()) {
                ToProto(*result, res, shm);
                if (result->encoded) result->encoded();
              } else {
                status = ToGrpc(result.status());
              }
            } catch (...) {
              res->Clear();
              status = ExceptionStatus("ModelInfer");
            }
            reactor->Finish(status);
          });
    } catch (...) {
      grpc::Status status = ExceptionStatus("ModelInfer");
      if (!finished->exchange(true)) reactor->Finish(status);
    }
    return reactor;
  }

  grpc::ServerBidiReactor<inference::ModelInferRequest,
                          inference::ModelStreamInferResponse>*
  ModelStreamInfer(grpc::CallbackServerContext* ctx) override {
    grpc::Status s;
    try {
      s = Authorize(auth_, ctx->client_metadata(), auth::kInfer,
                    "ModelStreamInfer");
      if (s.ok()) return StartInferStream(core_, shm_);
    } catch (...) {
      s = ExceptionStatus("ModelStreamInfer");
    }
    return RefuseInferStream(s);
  }

  grpc::ServerUnaryReactor* SystemSharedMemoryStatus(
      grpc::CallbackServerContext* ctx,
      const inference::SystemSharedMemoryStatusRequest* req,
      inference::SystemSharedMemoryStatusResponse* res) override {
    return Guard(ctx, "SystemSharedMemoryStatus", auth::kAdmin, [&] {
      if (shm_ == nullptr)
        return Done(ctx, ToGrpc(kserve::NoSystemSharedMemory()));
      auto regions = shm_->List(req->name());
      if (!regions.ok()) return Done(ctx, ToGrpc(regions.status()));
      for (const shm::RegionStatus& r : *regions) {
        auto& out = (*res->mutable_regions())[r.name];
        out.set_name(r.name);
        out.set_key(r.key);
        out.set_offset(r.offset);
        out.set_byte_size(r.byte_size);
      }
      return Done(ctx, grpc::Status::OK);
    });
  }

  grpc::ServerUnaryReactor* SystemSharedMemoryRegister(
      grpc::CallbackServerContext* ctx,
      const inference::SystemSharedMemoryRegisterRequest* req,
      inference::SystemSharedMemoryRegisterResponse*) override {
    return Guard(ctx, "SystemSharedMemoryRegister", auth::kAdmin, [&] {
      if (shm_ == nullptr)
        return Done(ctx, ToGrpc(kserve::NoSystemSharedMemory()));
      return Done(ctx, ToGrpc(shm_->Register(req->name(), req->key(),
                                             req->offset(), req->byte_size())));
    });
  }

  grpc::ServerUnaryReactor* SystemSharedMemoryUnregister(
      grpc::CallbackServerContext* ctx,
      const inference::SystemSharedMemoryUnregisterRequest* req,
      inference::SystemSharedMemoryUnregisterResponse*) override {
    return Guard(ctx, "SystemSharedMemoryUnregister", auth::kAdmin, [&] {
      if (shm_ == nullptr)
        return Done(ctx, ToGrpc(kserve::NoSystemSharedMemory()));
      if (req->name().empty()) {
        shm_->UnregisterAll();
        return Done(ctx, grpc::Status::OK);
      }
      return Done(ctx, ToGrpc(shm_->Unregister(req->name())));
    });
  }

  // No CUDA in this server: no region to list, none to register.
  grpc::ServerUnaryReactor* CudaSharedMemoryStatus(
      grpc::CallbackServerContext* ctx,
      const inference::CudaSharedMemoryStatusRequest* req,
      inference::CudaSharedMemoryStatusResponse*) override {
    return Guard(ctx, "CudaSharedMemoryStatus", auth::kAdmin, [&] {
      if (req->name().empty()) return Done(ctx, grpc::Status::OK);
      return Done(ctx, ToGrpc(NotFound("CUDA shared-memory region '" +
                                       req->name() + "' is not registered")));
    });
  }

  grpc::ServerUnaryReactor* CudaSharedMemoryRegister(
      grpc::CallbackServerContext* ctx,
      const inference::CudaSharedMemoryRegisterRequest*,
      inference::CudaSharedMemoryRegisterResponse*) override {
    return Guard(ctx, "CudaSharedMemoryRegister", auth::kAdmin, [&] {
      return Done(ctx, ToGrpc(kserve::NoCudaSharedMemory()));
    });
  }

  grpc::ServerUnaryReactor* CudaSharedMemoryUnregister(
      grpc::CallbackServerContext* ctx,
      const inference::CudaSharedMemoryUnregisterRequest* req,
      inference::CudaSharedMemoryUnregisterResponse*) override {
    return Guard(ctx, "CudaSharedMemoryUnregister", auth::kAdmin, [&] {
      if (req->name().empty()) return Done(ctx, grpc::Status::OK);
      return Done(ctx, ToGrpc(kserve::NoCudaSharedMemory()));
    });
  }

  grpc::ServerUnaryReactor* TraceSetting(
      grpc::CallbackServerContext* ctx,
      const inference::TraceSettingRequest* req,
      inference::TraceSettingResponse* res) override {
    return Guard(ctx, "TraceSetting", auth::kAdmin, [&] {
      auto settings =
          req->settings().empty()
              ? core_->GetTraceSettings(req->model_name())
              : core_->UpdateTraceSettings(req->model_name(),
                                           kserve::TraceUpdateFromProto(*req));
      if (!settings.ok()) return Done(ctx, ToGrpc(settings.status()));
      kserve::RenderTraceSettings(*settings, res);
      return Done(ctx, grpc::Status::OK);
    });
  }

  grpc::ServerUnaryReactor* LogSettings(
      grpc::CallbackServerContext* ctx,
      const inference::LogSettingsRequest* req,
      inference::LogSettingsResponse* res) override {
    return Guard(ctx, "LogSettings", auth::kAdmin, [&] {
      StatusOr<adlik::LogSettings> settings = core_->GetLogSettings();
      if (!req->settings().empty()) {
        auto update = kserve::LogUpdateFromProto(*req);
        settings =
            update.ok() ? core_->UpdateLogSettings(*update) : update.status();
      }
      if (!settings.ok()) return Done(ctx, ToGrpc(settings.status()));
      kserve::RenderLogSettings(*settings, res);
      return Done(ctx, grpc::Status::OK);
    });
  }

 private:
  static constexpr uint32_t kOpen = kOpenRpc;

  static grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* ctx,
                                        const grpc::Status& status) {
    return FinishNow(ctx, status);
  }

  template <typename Body>
  grpc::ServerUnaryReactor* Guard(grpc::CallbackServerContext* ctx,
                                  std::string_view rpc, uint32_t needed,
                                  Body&& body) {
    return grpc_frontend::Guard(ctx, auth_, rpc, needed,
                                std::forward<Body>(body));
  }

  template <typename Body>
  grpc::ServerUnaryReactor* GuardOnce(grpc::CallbackServerContext* ctx,
                                      std::string_view rpc, uint32_t needed,
                                      Body&& body) {
    return grpc_frontend::GuardOnce(ctx, auth_, rpc, needed,
                                    std::forward<Body>(body));
  }

  ServerCore* const core_;
  const auth::TokenAuth* const auth_;     // nullptr: no authentication
  shm::SharedMemoryRegistry* const shm_;  // nullptr: no shared memory
};

namespace {
class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  explicit HealthService(ServerCore* core) : core_(core) {}
  grpc::ServerUnaryReactor* Check(
      grpc::CallbackServerContext* ctx,
      const grpc::health::v1::HealthCheckRequest*,
      grpc::health::v1::HealthCheckResponse* res) override {
    res->set_status(core_->Ready()
                        ? grpc::health::v1::HealthCheckResponse::SERVING
                        : grpc::health::v1::HealthCheckResponse::NOT_SERVING);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  ServerCore* const core_;
};
}  // namespace

class GrpcServer::Impl {
 public:
  Impl(ServerCore* core, const auth::TokenAuth* auth,
       shm::SharedMemoryRegistry* shm)
      : service(core, auth, shm), health(core) {}
  InferenceService service;
  HealthService health;
  std::unique_ptr<grpc::Server> server;
};

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    GrpcServerOptions options, ServerCore* core) {
  std::unique_ptr<GrpcServer> s(new GrpcServer());
  s->impl_ = std::make_unique<Impl>(core, options.auth, options.shm);
  grpc::ServerBuilder builder;
  const std::string address =
      options.address + ":" + std::to_string(options.port);
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  if (options.tls) {
    grpc::SslServerCredentialsOptions ssl(
        options.tls->client_verify
            ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    if (options.tls->client_verify) ssl.pem_root_certs = options.tls->custom_ca;
    ssl.pem_key_cert_pairs.push_back(
        {options.tls->server_key, options.tls->server_cert});
    credentials = grpc::SslServerCredentials(ssl);
  }
  builder.AddListeningPort(address, credentials, &s->port_);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.RegisterService(&s->impl_->service);
  builder.RegisterService(&s->impl_->health);
  for (grpc::Service* service : options.services)
    builder.RegisterService(service);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<UnparsedRequestInterceptorFactory>(options.auth));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  s->impl_->server = builder.BuildAndStart();
  if (!s->impl_->server || s->port_ == 0) {
    return Unavailable("cannot listen for gRPC on " + address);
  }
  return s;
}

GrpcServer::~GrpcServer() { Shutdown(); }

void GrpcServer::Shutdown(std::chrono::system_clock::time_point deadline) {
  if (impl_ && impl_->server) {
    impl_->server->Shutdown(deadline);
    impl_->server->Wait();
    impl_->server.reset();
  }
}

}  // namespace adlik::grpc_frontend
