#include "frontends/grpc/tfserving_grpc_service.h"

#include "base/clock.h"
#include "frontends/grpc/grpc_call.h"
#include "frontends/tfserving/model_spec.h"
#include "frontends/tfserving/tfs_protocol.h"
#include "tensorflow_serving/apis/model_service.grpc.pb.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"

namespace adlik::grpc_frontend {
namespace {

namespace tfs = tensorflow::serving;

class PredictionService final : public tfs::PredictionService::CallbackService {
 public:
  PredictionService(ServerCore* core, const auth::TokenAuth* auth)
      : core_(core), auth_(auth) {}

  grpc::ServerUnaryReactor* Predict(grpc::CallbackServerContext* ctx,
                                    const tfs::PredictRequest* req,
                                    tfs::PredictResponse* res) override {
    const uint64_t received_ns = Clock::Real()->NowNs();
    return GuardInfer(
        ctx, auth_, "Predict",
        [&](const std::shared_ptr<std::atomic<bool>>& cancelled,
            const FinishOnce& finish) {
          auto parsed = tfserving::FromPredictRequest(*req);
          if (!parsed.ok()) return finish(ToGrpc(parsed.status()));
          (*parsed)->cancelled = cancelled;
          (*parsed)->received_ns = received_ns;
          core_->Infer(
              std::move(parsed).value(),
              [res, finish](StatusOr<InferResponse> result) {
                grpc::Status status;
                try {
                  if (result.ok()) {
                    status = ToGrpc(tfserving::ToPredictResponse(*result, res));
                    if (result->encoded) result->encoded();
                  } else {
                    status = ToGrpc(result.status());
                  }
                } catch (...) {
                  res->Clear();
                  status = ExceptionStatus("Predict");
                }
                finish(status);
              });
        });
  }

  grpc::ServerUnaryReactor* GetModelMetadata(
      grpc::CallbackServerContext* ctx, const tfs::GetModelMetadataRequest* req,
      tfs::GetModelMetadataResponse* res) override {
    return Guard(ctx, auth_, "GetModelMetadata", auth::kMetadata, [&] {
      auto version = tfserving::SpecVersion(req->model_spec());
      if (!version.ok()) return FinishNow(ctx, ToGrpc(version.status()));
      if (req->metadata_field_size() == 0) {
        return FinishNow(ctx, ToGrpc(InvalidArgument(
                                  "GetModelMetadata: metadata_field is empty; "
                                  "ask for \"signature_def\"")));
      }
      for (const std::string& field : req->metadata_field()) {
        if (field != "signature_def") {
          return FinishNow(
              ctx, ToGrpc(InvalidArgument(
                       "GetModelMetadata: metadata_field '" + field +
                       "' is not supported (only \"signature_def\" is)")));
        }
      }
      auto metadata =
          core_->GetModelMetadata(req->model_spec().name(), *version);
      if (!metadata.ok()) return FinishNow(ctx, ToGrpc(metadata.status()));
      tfserving::RenderModelMetadata(*metadata, res);
      return FinishNow(ctx, grpc::Status::OK);
    });
  }

  grpc::ServerUnaryReactor* Classify(grpc::CallbackServerContext* ctx,
                                     const tfs::ClassificationRequest*,
                                     tfs::ClassificationResponse*) override {
    return Refuse(ctx, "Classify");
  }
  grpc::ServerUnaryReactor* Regress(grpc::CallbackServerContext* ctx,
                                    const tfs::RegressionRequest*,
                                    tfs::RegressionResponse*) override {
    return Refuse(ctx, "Regress");
  }
  grpc::ServerUnaryReactor* MultiInference(
      grpc::CallbackServerContext* ctx, const tfs::MultiInferenceRequest*,
      tfs::MultiInferenceResponse*) override {
    return Refuse(ctx, "MultiInference");
  }

 private:
  grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx,
                                   std::string_view rpc) {
    return Guard(ctx, auth_, rpc, auth::kInfer, [&] {
      return FinishNow(
          ctx, ToGrpc(Unimplemented(
                   "tensorflow.serving.PredictionService/" + std::string(rpc) +
                   " is not supported: the models served here have no "
                   "tf.Example signatures; use Predict")));
    });
  }

  ServerCore* const core_;
  const auth::TokenAuth* const auth_;
};

class ModelService final : public tfs::ModelService::CallbackService {
 public:
  ModelService(ServerCore* core, const auth::TokenAuth* auth)
      : core_(core), auth_(auth) {}

  grpc::ServerUnaryReactor* GetModelStatus(
      grpc::CallbackServerContext* ctx, const tfs::GetModelStatusRequest* req,
      tfs::GetModelStatusResponse* res) override {
    return Guard(ctx, auth_, "GetModelStatus", auth::kMetadata, [&] {
      auto version = tfserving::SpecVersion(req->model_spec());
      if (!version.ok()) return FinishNow(ctx, ToGrpc(version.status()));
      auto status = tfserving::ModelStatus(req->model_spec().name(), *version,
                                           core_->Index());
      if (!status.ok()) return FinishNow(ctx, ToGrpc(status.status()));
      *res = std::move(status).value();
      return FinishNow(ctx, grpc::Status::OK);
    });
  }

 private:
  ServerCore* const core_;
  const auth::TokenAuth* const auth_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeTfServingServices(
    ServerCore* core, const auth::TokenAuth* auth) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<PredictionService>(core, auth));
  services.push_back(std::make_unique<ModelService>(core, auth));
  return services;
}

}  // namespace adlik::grpc_frontend
