#include "adlik/client/grpc_client.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstring>

#include "adlik/bytes_tensor.h"
#include "adlik/tensor.h"
#include "frontends/grpc/grpc_service.grpc.pb.h"
#include "frontends/grpc/tensor_contents.h"

namespace adlik::client {
namespace {

Status FromGrpc(const grpc::Status& s, const std::string& url) {
  if (s.ok()) return Status::Ok();
  StatusCode code;
  switch (s.error_code()) {
    case grpc::StatusCode::CANCELLED:
      code = StatusCode::kCancelled;
      break;
    case grpc::StatusCode::INVALID_ARGUMENT:
      code = StatusCode::kInvalidArgument;
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      code = StatusCode::kDeadlineExceeded;
      break;
    case grpc::StatusCode::NOT_FOUND:
      code = StatusCode::kNotFound;
      break;
    case grpc::StatusCode::ALREADY_EXISTS:
      code = StatusCode::kAlreadyExists;
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      code = StatusCode::kResourceExhausted;
      break;
    case grpc::StatusCode::UNIMPLEMENTED:
      code = StatusCode::kUnimplemented;
      break;
    case grpc::StatusCode::INTERNAL:
      code = StatusCode::kInternal;
      break;
    case grpc::StatusCode::UNAVAILABLE:
      return Unavailable(url + ": " + s.error_message());
    default:
      code = StatusCode::kUnknown;
  }
  return Status(code, s.error_message());
}

// Typed contents (servers that do not answer in raw form) to the tensor's
// binary form.
template <typename To, typename Field>
std::string Pack(const Field& values) {
  std::string out(values.size() * sizeof(To), '\0');
  To* dst = reinterpret_cast<To*>(out.data());
  for (int i = 0; i < values.size(); ++i) dst[i] = static_cast<To>(values[i]);
  return out;
}

StatusOr<std::string> FromContents(const inference::InferTensorContents& c,
                                   DataType type, const std::string& where) {
  return VisitDataType(type, [&](auto tag) -> StatusOr<std::string> {
    using T = typename decltype(tag)::Element;
    if constexpr (std::is_same_v<T, std::string_view>) {
      std::string out;
      for (const std::string& e : c.bytes_contents())
        AppendBytesElement(e, &out);
      return out;
    } else if constexpr (grpc_frontend::kHasContentsField<T>) {
      return Pack<T>(grpc_frontend::ContentsField<T>(c));
    } else {
      return InvalidArgument(where + ": " + std::string(decltype(tag)::kName) +
                             " has no typed contents");
    }
  });
}

std::vector<TensorMetadata> Tensors(
    const google::protobuf::RepeatedPtrField<
        inference::ModelMetadataResponse::TensorMetadata>& list) {
  std::vector<TensorMetadata> out;
  for (const auto& t : list) {
    out.push_back(
        {t.name(), t.datatype(), {t.shape().begin(), t.shape().end()}});
  }
  return out;
}

}  // namespace

class GrpcClient::Stub {
 public:
  explicit Stub(std::shared_ptr<grpc::Channel> channel)
      : stub(inference::GRPCInferenceService::NewStub(channel)) {}
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub;
};

StatusOr<std::unique_ptr<GrpcClient>> GrpcClient::Create(
    GrpcClientOptions options) {
  if (options.url.empty()) return InvalidArgument("gRPC URL is empty");
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_message_bytes);
  args.SetMaxSendMessageSize(options.max_message_bytes);
  if (options.own_connection)
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(
      options.url, grpc::InsecureChannelCredentials(), args);
  if (!channel)
    return InvalidArgument("cannot make a channel to '" + options.url + "'");
  auto stub = std::make_unique<Stub>(std::move(channel));
  return std::unique_ptr<GrpcClient>(
      new GrpcClient(std::move(options), std::move(stub)));
}

GrpcClient::GrpcClient(GrpcClientOptions options, std::unique_ptr<Stub> stub)
    : options_(std::move(options)), stub_(std::move(stub)) {}

GrpcClient::~GrpcClient() = default;

namespace {

void SetDeadline(grpc::ClientContext* context, int timeout_ms) {
  if (timeout_ms > 0) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(timeout_ms));
  }
}

}  // namespace

StatusOr<bool> GrpcClient::IsServerLive() {
  grpc::ClientContext context;
  SetDeadline(&context, options_.timeout_ms);
  inference::ServerLiveRequest request;
  inference::ServerLiveResponse response;
  RETURN_IF_ERROR(FromGrpc(
      stub_->stub->ServerLive(&context, request, &response), options_.url));
  return response.live();
}

StatusOr<bool> GrpcClient::IsServerReady() {
  grpc::ClientContext context;
  SetDeadline(&context, options_.timeout_ms);
  inference::ServerReadyRequest request;
  inference::ServerReadyResponse response;
  RETURN_IF_ERROR(FromGrpc(
      stub_->stub->ServerReady(&context, request, &response), options_.url));
  return response.ready();
}

StatusOr<bool> GrpcClient::IsModelReady(const std::string& model,
                                        const std::string& version) {
  grpc::ClientContext context;
  SetDeadline(&context, options_.timeout_ms);
  inference::ModelReadyRequest request;
  request.set_name(model);
  request.set_version(version);
  inference::ModelReadyResponse response;
  const grpc::Status s = stub_->stub->ModelReady(&context, request, &response);
  // Some servers answer NOT_FOUND for a model that is not there.
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) return false;
  RETURN_IF_ERROR(FromGrpc(s, options_.url));
  return response.ready();
}

StatusOr<ModelMetadata> GrpcClient::GetModelMetadata(
    const std::string& model, const std::string& version) {
  grpc::ClientContext context;
  SetDeadline(&context, options_.timeout_ms);
  inference::ModelMetadataRequest request;
  request.set_name(model);
  request.set_version(version);
  inference::ModelMetadataResponse response;
  RETURN_IF_ERROR(FromGrpc(
      stub_->stub->ModelMetadata(&context, request, &response), options_.url));
  ModelMetadata m;
  m.name = response.name();
  m.versions.assign(response.versions().begin(), response.versions().end());
  m.platform = response.platform();
  m.inputs = Tensors(response.inputs());
  m.outputs = Tensors(response.outputs());
  return m;
}

StatusOr<inference::ModelConfig> GrpcClient::GetModelConfig(
    const std::string& model, const std::string& version) {
  grpc::ClientContext context;
  SetDeadline(&context, options_.timeout_ms);
  inference::ModelConfigRequest request;
  request.set_name(model);
  request.set_version(version);
  inference::ModelConfigResponse response;
  RETURN_IF_ERROR(FromGrpc(
      stub_->stub->ModelConfig(&context, request, &response), options_.url));
  return std::move(*response.mutable_config());
}

Status GrpcClient::Infer(const std::string& model,
                         std::span<const InferInput> inputs,
                         const InferOptions& options, InferResult* result) {
  inference::ModelInferRequest request;
  request.set_model_name(model);
  request.set_model_version(options.model_version);
  request.set_id(options.request_id);
  if (options.timeout_us > 0) {
    (*request.mutable_parameters())["timeout"].set_int64_param(
        options.timeout_us);
  }
  for (const InferInput& in : inputs) {
    auto* t = request.add_inputs();
    t->set_name(in.name);
    t->set_datatype(std::string(DataTypeName(in.type)));
    for (int64_t d : in.shape) t->add_shape(d);
    request.add_raw_input_contents()->assign(in.data.data(), in.data.size());
  }
  for (const std::string& name : options.outputs)
    request.add_outputs()->set_name(name);

  grpc::ClientContext context;
  SetDeadline(&context, options_.timeout_ms);
  auto response = std::make_shared<inference::ModelInferResponse>();
  RETURN_IF_ERROR(
      FromGrpc(stub_->stub->ModelInfer(&context, request, response.get()),
               options_.url));

  *result = InferResult();
  result->model_name = response->model_name();
  result->model_version = response->model_version();
  result->id = response->id();
  const bool raw = response->raw_output_contents_size() > 0;
  if (raw && response->raw_output_contents_size() != response->outputs_size()) {
    return InvalidArgument(
        "response has " + std::to_string(response->outputs_size()) +
        " outputs and " + std::to_string(response->raw_output_contents_size()) +
        " raw_output_contents");
  }
  for (int i = 0; i < response->outputs_size(); ++i) {
    const auto& o = response->outputs(i);
    InferOutput out;
    out.name = o.name();
    const std::string where = "output '" + out.name + "'";
    auto type = ParseDataType(o.datatype());
    if (!type)
      return InvalidArgument(where + ": unknown datatype '" + o.datatype() +
                             "'");
    out.type = *type;
    out.shape.assign(o.shape().begin(), o.shape().end());
    for (int64_t d : out.shape) {
      if (d < 0) return InvalidArgument(where + ": negative dimension");
    }
    if (raw) {
      out.data = response->raw_output_contents(i);
    } else {
      ASSIGN_OR_RETURN(std::string bytes,
                       FromContents(o.contents(), out.type, where));
      auto owned = std::make_shared<const std::string>(std::move(bytes));
      out.data = *owned;
      result->storage.push_back(std::move(owned));
    }
    const int64_t count = ElementCount(out.shape);
    if (out.type == DataType::kBytes) {
      RETURN_IF_ERROR(
          SplitBytesElements(out.data, count).status().WithPrefix(where));
    } else if (out.data.size() !=
               static_cast<size_t>(count) * DataTypeSize(out.type)) {
      return InvalidArgument(where + ": " + std::to_string(out.data.size()) +
                             " bytes for " + std::to_string(count) + " " +
                             o.datatype() + " elements");
    }
    result->outputs.push_back(std::move(out));
  }
  result->storage.push_back(std::move(response));
  return Status::Ok();
}

}  // namespace adlik::client
