#include "frontends/grpc/grpc_server.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <limits>
#include <optional>

#include "adlik/bytes_tensor.h"
#include "base/logging.h"
#include "frontends/grpc/grpc_service.grpc.pb.h"
#include "frontends/grpc/health.grpc.pb.h"

namespace adlik::grpc_frontend {
namespace {

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

template <typename T, typename Field>
Status Narrow(const Field& values, const std::string& where, std::string* out) {
  out->resize(values.size() * sizeof(T));
  T* dst = reinterpret_cast<T*>(out->data());
  for (int i = 0; i < values.size(); ++i) {
    const auto v = values[i];
    if (v < std::numeric_limits<T>::min() ||
        v > std::numeric_limits<T>::max()) {
      return InvalidArgument(where + ": element " + std::to_string(i) + " (" +
                             std::to_string(v) + ") is out of range");
    }
    dst[i] = static_cast<T>(v);
  }
  return Status::Ok();
}

template <typename Field>
void Borrow(const Field& values, InferInput* in) {
  in->data = reinterpret_cast<const char*>(values.data());
  in->byte_size = values.size() * sizeof(values[0]);
}

// Typed contents to the tensor's bytes: the protocol's native widths are
// read in place, narrower types converted.
Status FromContents(const inference::InferTensorContents& c, InferInput* in) {
  const std::string where = "input '" + in->name + "'";
  switch (in->type) {
    case DataType::kBool:
      Borrow(c.bool_contents(), in);
      return Status::Ok();
    case DataType::kInt32:
      Borrow(c.int_contents(), in);
      return Status::Ok();
    case DataType::kInt64:
      Borrow(c.int64_contents(), in);
      return Status::Ok();
    case DataType::kUint32:
      Borrow(c.uint_contents(), in);
      return Status::Ok();
    case DataType::kUint64:
      Borrow(c.uint64_contents(), in);
      return Status::Ok();
    case DataType::kFp32:
      Borrow(c.fp32_contents(), in);
      return Status::Ok();
    case DataType::kFp64:
      Borrow(c.fp64_contents(), in);
      return Status::Ok();
    case DataType::kInt8:
      RETURN_IF_ERROR(Narrow<int8_t>(c.int_contents(), where, &in->owned));
      break;
    case DataType::kInt16:
      RETURN_IF_ERROR(Narrow<int16_t>(c.int_contents(), where, &in->owned));
      break;
    case DataType::kUint8:
      RETURN_IF_ERROR(Narrow<uint8_t>(c.uint_contents(), where, &in->owned));
      break;
    case DataType::kUint16:
      RETURN_IF_ERROR(Narrow<uint16_t>(c.uint_contents(), where, &in->owned));
      break;
    case DataType::kBytes:
      for (const std::string& e : c.bytes_contents())
        AppendBytesElement(e, &in->owned);
      break;
    default:
      return InvalidArgument(
          where + ": " + std::string(DataTypeName(in->type)) +
          " has no typed contents field; send it in raw_input_contents");
  }
  in->UseOwned();
  return Status::Ok();
}

StatusOr<std::unique_ptr<InferRequest>> FromProto(
    const inference::ModelInferRequest& m) {
  auto req = std::make_unique<InferRequest>();
  req->model_name = m.model_name();
  req->model_version = m.model_version();
  req->id = m.id();
  // Clients send these as int64 or uint64 (tritonclient: uint64).
  auto non_negative =
      [](const inference::InferParameter& p) -> std::optional<uint64_t> {
    if (p.parameter_choice_case() == inference::InferParameter::kUint64Param)
      return p.uint64_param();
    if (p.parameter_choice_case() == inference::InferParameter::kInt64Param &&
        p.int64_param() >= 0)
      return static_cast<uint64_t>(p.int64_param());
    return std::nullopt;
  };
  for (const auto& [key, p] : m.parameters()) {
    if (key == "priority") {
      auto v = non_negative(p);
      if (!v)
        return InvalidArgument("parameter 'priority' must be an integer >= 0");
      req->priority = static_cast<int64_t>(*v);
    } else if (key == "timeout") {
      auto v = non_negative(p);
      if (!v)
        return InvalidArgument(
            "parameter 'timeout' must be an integer >= 0 (microseconds)");
      req->timeout_us = *v;
    }
  }
  const bool raw = m.raw_input_contents_size() > 0;
  if (raw && m.raw_input_contents_size() != m.inputs_size()) {
    return InvalidArgument("raw_input_contents has " +
                           std::to_string(m.raw_input_contents_size()) +
                           " entries but there are " +
                           std::to_string(m.inputs_size()) + " inputs");
  }
  req->inputs.resize(m.inputs_size());
  for (int i = 0; i < m.inputs_size(); ++i) {
    const auto& t = m.inputs(i);
    InferInput& in = req->inputs[i];
    in.name = t.name();
    auto type = ParseDataType(t.datatype());
    if (!type || t.datatype().starts_with("TYPE_")) {
      return InvalidArgument("input '" + t.name() + "': unknown datatype '" +
                             t.datatype() + "'");
    }
    in.type = *type;
    for (int64_t d : t.shape()) {
      if (d < 0)
        return InvalidArgument("input '" + t.name() +
                               "': shape entries must be >= 0");
      in.shape.push_back(d);
    }
    if (raw) {
      if (t.has_contents()) {
        return InvalidArgument(
            "input '" + t.name() +
            "': contents given together with raw_input_contents");
      }
      in.data = m.raw_input_contents(i).data();
      in.byte_size = m.raw_input_contents(i).size();
    } else {
      RETURN_IF_ERROR(FromContents(t.contents(), &in));
    }
  }
  for (const auto& o : m.outputs()) {
    RequestedOutput out{o.name(), 0};
    if (auto it = o.parameters().find("classification");
        it != o.parameters().end()) {
      if (it->second.parameter_choice_case() !=
              inference::InferParameter::kInt64Param ||
          it->second.int64_param() < 1)
        return InvalidArgument("output '" + o.name() +
                               "': classification must be an int64 >= 1");
      out.classification = static_cast<uint32_t>(it->second.int64_param());
    }
    req->outputs.push_back(std::move(out));
  }
  return req;
}

void ToProto(const InferResponse& r, inference::ModelInferResponse* m) {
  m->set_model_name(r.model_name);
  m->set_model_version(r.model_version);
  m->set_id(r.id);
  for (const Tensor& t : r.outputs) {
    auto* out = m->add_outputs();
    out->set_name(t.name);
    out->set_datatype(std::string(DataTypeName(t.type)));
    for (int64_t d : t.shape) out->add_shape(d);
    m->add_raw_output_contents()->assign(t.data, t.byte_size);
  }
}

void ToProto(const DurationStat& d, inference::StatisticDuration* m) {
  m->set_count(d.count);
  m->set_ns(d.ns);
}

// A unary reactor that marks its request cancelled when the client goes.
class InferReactor : public grpc::ServerUnaryReactor {
 public:
  std::shared_ptr<std::atomic<bool>> cancelled =
      std::make_shared<std::atomic<bool>>(false);
  void OnCancel() override { cancelled->store(true); }
  void OnDone() override { delete this; }
};

}  // namespace

class InferenceService final
    : public inference::GRPCInferenceService::CallbackService {
 public:
  explicit InferenceService(ServerCore* core) : core_(core) {}

  grpc::ServerUnaryReactor* ServerLive(
      grpc::CallbackServerContext* ctx, const inference::ServerLiveRequest*,
      inference::ServerLiveResponse* res) override {
    res->set_live(core_->Live());
    return Done(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ServerReady(
      grpc::CallbackServerContext* ctx, const inference::ServerReadyRequest*,
      inference::ServerReadyResponse* res) override {
    res->set_ready(core_->Ready());
    return Done(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelReady(
      grpc::CallbackServerContext* ctx, const inference::ModelReadyRequest* req,
      inference::ModelReadyResponse* res) override {
    res->set_ready(core_->GetModel(req->name(), req->version()).ok());
    return Done(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ServerMetadata(
      grpc::CallbackServerContext* ctx, const inference::ServerMetadataRequest*,
      inference::ServerMetadataResponse* res) override {
    res->set_name(core_->name());
    res->set_version(ServerCore::Version());
    for (const auto& e : ServerCore::Extensions()) res->add_extensions(e);
    return Done(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelMetadata(
      grpc::CallbackServerContext* ctx,
      const inference::ModelMetadataRequest* req,
      inference::ModelMetadataResponse* res) override {
    auto model = core_->GetModel(req->name(), req->version());
    if (!model.ok()) return Done(ctx, ToGrpc(model.status()));
    const auto& config = (*model)->config();
    res->set_name((*model)->name());
    if (req->version().empty()) {
      for (const auto& v : core_->ReadyVersions(req->name()))
        res->add_versions(v);
    } else {
      res->add_versions((*model)->version_string());
    }
    res->set_platform(config.platform());
    auto fill = [&](const auto& list, auto* out) {
      for (const auto& t : list) {
        auto* m = out->Add();
        m->set_name(t.name());
        m->set_datatype(
            std::string(DataTypeName(static_cast<DataType>(t.data_type()))));
        if (config.max_batch_size() > 0) m->add_shape(-1);
        for (int64_t d : t.dims()) m->add_shape(d);
      }
    };
    fill(config.input(), res->mutable_inputs());
    fill(config.output(), res->mutable_outputs());
    return Done(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelConfig(
      grpc::CallbackServerContext* ctx,
      const inference::ModelConfigRequest* req,
      inference::ModelConfigResponse* res) override {
    auto model = core_->GetModel(req->name(), req->version());
    if (!model.ok()) return Done(ctx, ToGrpc(model.status()));
    *res->mutable_config() = (*model)->config();
    return Done(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelStatistics(
      grpc::CallbackServerContext* ctx,
      const inference::ModelStatisticsRequest* req,
      inference::ModelStatisticsResponse* res) override {
    auto entries = core_->Statistics(req->name(), req->version());
    if (!entries.ok()) return Done(ctx, ToGrpc(entries.status()));
    for (const auto& e : *entries) {
      auto* m = res->add_model_stats();
      m->set_name(e.name);
      m->set_version(e.version);
      m->set_last_inference(e.stats.last_inference_ms);
      m->set_inference_count(e.stats.inference_count);
      m->set_execution_count(e.stats.execution_count);
      auto* s = m->mutable_inference_stats();
      ToProto(e.stats.success, s->mutable_success());
      ToProto(e.stats.fail, s->mutable_fail());
      ToProto(e.stats.queue, s->mutable_queue());
      ToProto(e.stats.compute_input, s->mutable_compute_input());
      ToProto(e.stats.compute_infer, s->mutable_compute_infer());
      ToProto(e.stats.compute_output, s->mutable_compute_output());
      s->mutable_cache_hit();
      s->mutable_cache_miss();
      for (const auto& [size, b] : e.stats.batch_stats) {
        auto* bs = m->add_batch_stats();
        bs->set_batch_size(size);
        ToProto(b.compute_input, bs->mutable_compute_input());
        ToProto(b.compute_infer, bs->mutable_compute_infer());
        ToProto(b.compute_output, bs->mutable_compute_output());
      }
    }
    return Done(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* RepositoryIndex(
      grpc::CallbackServerContext* ctx,
      const inference::RepositoryIndexRequest* req,
      inference::RepositoryIndexResponse* res) override {
    for (const auto& e : core_->Index()) {
      if (req->ready() && e.state != ModelState::kReady) continue;
      auto* m = res->add_models();
      m->set_name(e.name);
      m->set_version(e.version);
      m->set_state(std::string(ModelStateName(e.state)));
      m->set_reason(e.reason);
    }
    return Done(ctx, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* RepositoryModelLoad(
      grpc::CallbackServerContext* ctx,
      const inference::RepositoryModelLoadRequest* req,
      inference::RepositoryModelLoadResponse*) override {
    std::string config;
    for (const auto& [key, p] : req->parameters()) {
      if (key == "config") {
        if (p.parameter_choice_case() !=
            inference::ModelRepositoryParameter::kStringParam)
          return Done(
              ctx,
              ToGrpc(InvalidArgument("parameter 'config' must be a string")));
        config = p.string_param();
      } else if (key.starts_with("file:")) {
        return Done(ctx, ToGrpc(Unimplemented("load: file overrides ('" + key +
                                              "') are not supported")));
      }
    }
    return Done(ctx, ToGrpc(core_->LoadModel(req->model_name(), config)));
  }

  grpc::ServerUnaryReactor* RepositoryModelUnload(
      grpc::CallbackServerContext* ctx,
      const inference::RepositoryModelUnloadRequest* req,
      inference::RepositoryModelUnloadResponse*) override {
    // unload_dependents is accepted: no model here has dependents.
    return Done(ctx, ToGrpc(core_->UnloadModel(req->model_name())));
  }

  grpc::ServerUnaryReactor* ModelInfer(
      grpc::CallbackServerContext* ctx, const inference::ModelInferRequest* req,
      inference::ModelInferResponse* res) override {
    auto* reactor = new InferReactor();
    auto parsed = FromProto(*req);
    if (!parsed.ok()) {
      reactor->Finish(ToGrpc(parsed.status()));
      return reactor;
    }
    (*parsed)->cancelled = reactor->cancelled;
    core_->Infer(std::move(parsed).value(),
                 [reactor, res](StatusOr<InferResponse> result) {
                   if (!result.ok()) {
                     reactor->Finish(ToGrpc(result.status()));
                     return;
                   }
                   ToProto(*result, res);
                   reactor->Finish(grpc::Status::OK);
                 });
    return reactor;
  }

 private:
  static grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* ctx,
                                        const grpc::Status& status) {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  ServerCore* const core_;
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
  explicit Impl(ServerCore* core) : service(core), health(core) {}
  InferenceService service;
  HealthService health;
  std::unique_ptr<grpc::Server> server;
};

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    GrpcServerOptions options, ServerCore* core) {
  std::unique_ptr<GrpcServer> s(new GrpcServer());
  s->impl_ = std::make_unique<Impl>(core);
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
