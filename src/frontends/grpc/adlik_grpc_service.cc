#include "frontends/grpc/adlik_grpc_service.h"

#include "adlik_serving/apis/model_operate_service.grpc.pb.h"
#include "adlik_serving/apis/predict_service.grpc.pb.h"
#include "adlik_serving/apis/server_status.grpc.pb.h"
#include "adlik_serving/apis/task_service.grpc.pb.h"
#include "base/clock.h"
#include "frontends/adlik/adlik_protocol.h"
#include "frontends/grpc/grpc_call.h"
#include "frontends/tfserving/model_spec.h"

namespace adlik::grpc_frontend {
namespace {

namespace as = ::adlik::serving;

class PredictService final : public as::PredictService::CallbackService {
 public:
  PredictService(ServerCore* core, const auth::TokenAuth* auth)
      : core_(core), auth_(auth) {}

  grpc::ServerUnaryReactor* predict(grpc::CallbackServerContext* ctx,
                                    const as::PredictRequest* req,
                                    as::PredictResponse* res) override {
    const uint64_t received_ns = Clock::Real()->NowNs();
    return GuardInfer(
        ctx, auth_, "predict",
        [&](const std::shared_ptr<std::atomic<bool>>& cancelled,
            const FinishOnce& finish) {
          auto version = tfserving::SpecVersion(req->model_spec());
          if (!version.ok()) return finish(ToGrpc(version.status()));
          auto metadata =
              core_->GetModelMetadata(req->model_spec().name(), *version);
          if (!metadata.ok()) return finish(ToGrpc(metadata.status()));
          auto parsed = adlik_api::FromPredictRequest(*req, *metadata);
          if (!parsed.ok()) return finish(ToGrpc(parsed.status()));
          (*parsed)->model_version = *version;
          (*parsed)->cancelled = cancelled;
          (*parsed)->received_ns = received_ns;
          core_->Infer(std::move(parsed).value(),
                       [req, res, finish](StatusOr<InferResponse> result) {
                         grpc::Status status;
                         try {
                           if (result.ok()) {
                             status = ToGrpc(adlik_api::ToPredictResponse(
                                 *result, *req, res));
                             if (result->encoded) result->encoded();
                           } else {
                             status = ToGrpc(result.status());
                           }
                         } catch (...) {
                           res->Clear();
                           status = ExceptionStatus("predict");
                         }
                         finish(status);
                       });
        });
  }

  grpc::ServerUnaryReactor* getModelMeta(
      grpc::CallbackServerContext* ctx, const as::GetModelMetaRequest* req,
      as::GetModelMetaResponse* res) override {
    return Guard(ctx, auth_, "getModelMeta", auth::kMetadata, [&] {
      auto version = tfserving::SpecVersion(req->model_spec());
      if (!version.ok()) return FinishNow(ctx, ToGrpc(version.status()));
      auto config = core_->GetModelConfig(req->model_spec().name(), *version);
      if (!config.ok()) return FinishNow(ctx, ToGrpc(config.status()));
      adlik_api::RenderModelMeta(*config, core_->Index(), res);
      return FinishNow(ctx, grpc::Status::OK);
    });
  }

 private:
  ServerCore* const core_;
  const auth::TokenAuth* const auth_;
};

class ModelOperateService final
    : public as::ModelOperateService::CallbackService {
 public:
  ModelOperateService(ServerCore* core, const auth::TokenAuth* auth)
      : core_(core), auth_(auth) {}

  grpc::ServerUnaryReactor* addModel(grpc::CallbackServerContext* ctx,
                                     const as::ModelOperateRequest* req,
                                     as::ModelOperateResponse* res) override {
    return Operate(ctx, "addModel", true, req, res);
  }
  grpc::ServerUnaryReactor* activateModel(
      grpc::CallbackServerContext* ctx, const as::ModelOperateRequest* req,
      as::ModelOperateResponse* res) override {
    return Operate(ctx, "activateModel", true, req, res);
  }
  grpc::ServerUnaryReactor* deleteModel(
      grpc::CallbackServerContext* ctx, const as::ModelOperateRequest* req,
      as::ModelOperateResponse* res) override {
    return Operate(ctx, "deleteModel", false, req, res);
  }
  grpc::ServerUnaryReactor* addModelVersion(
      grpc::CallbackServerContext* ctx, const as::ModelOperateRequest*,
      as::ModelOperateResponse* res) override {
    return Refuse(ctx, "addModelVersion", res);
  }
  grpc::ServerUnaryReactor* deleteModelVersion(
      grpc::CallbackServerContext* ctx, const as::ModelOperateRequest*,
      as::ModelOperateResponse* res) override {
    return Refuse(ctx, "deleteModelVersion", res);
  }
  grpc::ServerUnaryReactor* queryModel(grpc::CallbackServerContext* ctx,
                                       const as::ModelOperateRequest* req,
                                       as::ModelOperateResponse* res) override {
    return Guard(ctx, auth_, "queryModel", auth::kMetadata, [&] {
      adlik_api::RenderModels(core_->Index(), req->model_name(), res);
      if (!req->model_name().empty() && res->models().empty()) {
        return FinishNow(
            ctx, Answer(NotFound("queryModel: model '" + req->model_name() +
                                 "' is not known"),
                        res));
      }
      return FinishNow(ctx, Answer(Status::Ok(), res));
    });
  }

 private:
  // As the original service answers: the call itself succeeds (gRPC OK) and
  // the operation's outcome is in the response, `status` "SUCCESS", or
  // "ERROR" with `error_message`. Only a refused token is a gRPC error.
  static grpc::Status Answer(const Status& outcome,
                             as::ModelOperateResponse* res) {
    if (outcome.ok()) {
      res->set_status("SUCCESS");
    } else {
      res->set_status("ERROR");
      res->set_error_message(outcome.message());
    }
    return grpc::Status::OK;
  }

  grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx,
                                   std::string_view rpc,
                                   as::ModelOperateResponse* res) {
    return Guard(ctx, auth_, rpc, auth::kAdmin, [&] {
      return FinishNow(
          ctx, Answer(Unimplemented(
                          std::string(rpc) +
                          ": a model's versions are the numbered folders of "
                          "its repository folder; add or remove the folder, "
                          "then activateModel (or let polling find it)"),
                      res));
    });
  }

  // Loads (`load`) or unloads the model; answers with the model's versions.
  grpc::ServerUnaryReactor* Operate(grpc::CallbackServerContext* ctx,
                                    std::string_view rpc, bool load,
                                    const as::ModelOperateRequest* req,
                                    as::ModelOperateResponse* res) {
    return GuardOnce(
        ctx, auth_, rpc, auth::kAdmin, [&](const FinishOnce& finish) {
          if (req->model_name().empty()) {
            return finish(Answer(
                InvalidArgument(std::string(rpc) + ": model_name is missing"),
                res));
          }
          if (!req->path().empty()) {
            return finish(Answer(
                Unimplemented(std::string(rpc) + ": path '" + req->path() +
                              "': models are not copied in; put the model in "
                              "the repository and leave path empty"),
                res));
          }
          auto done = [this, req, res, finish](Status s) {
            if (!s.ok()) return finish(Answer(s, res));
            try {
              adlik_api::RenderModels(core_->Index(), req->model_name(), res);
              finish(Answer(Status::Ok(), res));
            } catch (...) {
              finish(ExceptionStatus("model operation"));
            }
          };
          if (load) {
            core_->LoadModel(req->model_name(), std::nullopt, std::move(done));
          } else {
            core_->UnloadModel(req->model_name(), std::move(done));
          }
        });
  }

  ServerCore* const core_;
  const auth::TokenAuth* const auth_;
};

class ServerStatusService final
    : public as::ServerStatusService::CallbackService {
 public:
  ServerStatusService(ServerCore* core, const auth::TokenAuth* auth)
      : core_(core), auth_(auth) {}

  grpc::ServerUnaryReactor* serverStatus(
      grpc::CallbackServerContext* ctx, const as::ServerStatusRequest*,
      as::ServerStatusResponse* res) override {
    return Guard(ctx, auth_, "serverStatus", auth::kMetadata, [&] {
      res->set_status(core_->Ready() ? "running" : "not ready");
      return FinishNow(ctx, grpc::Status::OK);
    });
  }

 private:
  ServerCore* const core_;
  const auth::TokenAuth* const auth_;
};

class TaskService final : public as::TaskService::CallbackService {
 public:
  explicit TaskService(const auth::TokenAuth* auth) : auth_(auth) {}

  grpc::ServerUnaryReactor* create(grpc::CallbackServerContext* ctx,
                                   const as::CreateTaskRequest*,
                                   as::CreateTaskResponse*) override {
    return Guard(ctx, auth_, "create", auth::kInfer, [&] {
      return FinishNow(ctx,
                       ToGrpc(adlik_api::RefuseTask("TaskService.create")));
    });
  }

 private:
  const auth::TokenAuth* const auth_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeAdlikServices(
    ServerCore* core, const auth::TokenAuth* auth) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<PredictService>(core, auth));
  services.push_back(std::make_unique<ModelOperateService>(core, auth));
  services.push_back(std::make_unique<ServerStatusService>(core, auth));
  services.push_back(std::make_unique<TaskService>(auth));
  return services;
}

}  // namespace adlik::grpc_frontend
