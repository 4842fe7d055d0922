#include "server/server_core.h"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <thread>

#include "base/logging.h"
#include "server/classification.h"
#include "server/request_validator.h"

namespace adlik {

const char* ServerCore::Version() { return "0.1.0"; }

const std::vector<std::string>& ServerCore::Extensions() {
  static const std::vector<std::string> kExtensions = {
      "binary_tensor_data",
      "classification",
      "model_configuration",
      "model_repository",
      "model_repository(unload_dependents)",
      "schedule_policy",
      "statistics"};
  return kExtensions;
}

ServerCore::ServerCore(ServerOptions options) : options_(std::move(options)) {}

StatusOr<std::unique_ptr<ServerCore>> ServerCore::Create(
    ServerOptions options) {
  if (options.cores <= 0) {
    options.cores = std::max(1u, std::thread::hardware_concurrency());
  }
  std::unique_ptr<ServerCore> core(new ServerCore(std::move(options)));
  ServerCore* c = core.get();
  c->registry_ = std::make_unique<RuntimeRegistry>(c->options_.runtime_dir,
                                                   c->options_.cores);
  c->source_ = std::make_unique<repository::FileSystemSource>(
      c->options_.model_base_path);
  ModelManagerOptions mo;
  mo.source = c->source_.get();
  LoadOptions load;
  load.registry = c->registry_.get();
  mo.loader = [load](const repository::ModelSnapshot& snapshot, int64_t version,
                     inference::ModelConfig config, SharedStatistics stats) {
    return ServedModel::Load(snapshot, version, std::move(config), load,
                             std::move(stats));
  };
  mo.mode = c->options_.control_mode;
  mo.startup_models = c->options_.startup_models;
  mo.load_threads = std::max(2, c->options_.cores);
  mo.load_timeout = std::chrono::seconds(c->options_.load_timeout_seconds);
  c->manager_ = std::make_unique<ModelManager>(std::move(mo));
  c->controller_ = std::thread([c] { c->ControlLoop(); });
  RETURN_IF_ERROR(c->manager_->Start());
  c->ready_ = true;
  if (c->options_.control_mode == ControlMode::kPoll &&
      c->options_.poll_seconds > 0) {
    c->poller_ = std::thread([c] { c->PollLoop(); });
  }
  return core;
}

ServerCore::~ServerCore() {
  Shutdown();
  manager_.reset();  // before the registry that made the runtimes
}

void ServerCore::PollLoop() {
  std::unique_lock<std::mutex> lock(poll_mu_);
  while (!poll_cv_.wait_for(lock, std::chrono::seconds(options_.poll_seconds),
                            [this] { return stop_polling_; })) {
    lock.unlock();
    if (Status s = manager_->Poll(); !s.ok()) {
      LOG(ERROR) << "polling the repository: " << s.message();
    }
    lock.lock();
  }
}

void ServerCore::ControlLoop() {
  std::unique_lock<std::mutex> lock(control_mu_);
  while (true) {
    control_cv_.wait(
        lock, [this] { return stop_control_ || !control_queue_.empty(); });
    if (control_queue_.empty()) return;  // stopping, and nothing left
    auto work = std::move(control_queue_.front());
    control_queue_.pop_front();
    lock.unlock();
    work();
    lock.lock();
  }
}

void ServerCore::Control(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(control_mu_);
    control_queue_.push_back(std::move(work));
  }
  control_cv_.notify_one();
}

void ServerCore::Shutdown() {
  ready_ = false;
  {
    std::lock_guard<std::mutex> lock(poll_mu_);
    stop_polling_ = true;
  }
  poll_cv_.notify_all();
  if (poller_.joinable()) poller_.join();
  {
    std::lock_guard<std::mutex> lock(control_mu_);
    stop_control_ = true;
  }
  control_cv_.notify_all();
  if (controller_.joinable()) controller_.join();
  manager_->UnloadAll();
}

bool ServerCore::Ready() const {
  if (!ready_.load()) return false;
  return !options_.strict_readiness || manager_->AllReady();
}

void ServerCore::LoadModel(std::string name, std::string config_json,
                           ControlCallback done) {
  std::optional<inference::ModelConfig> config;
  if (!config_json.empty()) {
    inference::ModelConfig parsed;
    auto s = google::protobuf::util::JsonStringToMessage(config_json, &parsed);
    if (!s.ok()) {
      return done(InvalidArgument("load '" + name +
                                  "': the 'config' parameter is not a "
                                  "ModelConfig in JSON: " +
                                  s.ToString()));
    }
    config = std::move(parsed);
  }
  Control([this, name = std::move(name), config = std::move(config),
           done = std::move(done)]() mutable {
    done(manager_->Load(name, std::move(config)));
  });
}

void ServerCore::UnloadModel(std::string name, ControlCallback done) {
  Control([this, name = std::move(name), done = std::move(done)] {
    done(manager_->Unload(name));
  });
}

StatusOr<std::shared_ptr<ServedModel>> ServerCore::GetModel(
    const std::string& name, const std::string& version) const {
  return manager_->Get(name, version);
}

std::vector<std::string> ServerCore::ReadyVersions(
    const std::string& name) const {
  std::vector<std::string> versions;
  for (int64_t v : manager_->ReadyVersions(name))
    versions.push_back(std::to_string(v));
  return versions;
}

void ServerCore::Infer(std::unique_ptr<InferRequest> request,
                       InferCallback done) {
  auto model = manager_->Get(request->model_name, request->model_version);
  if (!model.ok()) {
    done(model.status());
    return;
  }
  std::shared_ptr<ServedModel> served = std::move(model).value();
  const inference::ModelConfig& config = served->config();
  if (Status s = ValidateRequest(config, request.get()); !s.ok()) {
    served->stats().RecordFailure(0);
    done(s);
    return;
  }
  // What the completion needs of the request, which the scheduler consumes.
  struct Echo {
    std::string id;
    std::vector<std::pair<size_t, uint32_t>> classify;  // output index, K
  };
  Echo echo{request->id, {}};
  for (size_t i = 0; i < request->outputs.size(); ++i) {
    if (request->outputs[i].classification > 0)
      echo.classify.emplace_back(i, request->outputs[i].classification);
  }
  Scheduler& scheduler = served->scheduler();
  scheduler.Enqueue(
      std::move(request),
      [served = std::move(served), echo = std::move(echo),
       done = std::move(done)](StatusOr<InferResponse> result) mutable {
        if (!result.ok()) {
          done(std::move(result));
          return;
        }
        InferResponse& response = *result;
        response.model_name = served->name();
        response.model_version = served->version_string();
        response.id = std::move(echo.id);
        const bool batched = served->config().max_batch_size() > 0;
        for (const auto& [index, k] : echo.classify) {
          Tensor& out = response.outputs[index];
          auto classified = Classify(out, k, batched, served->labels(out.name));
          if (!classified.ok()) {
            done(classified.status());
            return;
          }
          out = std::move(classified).value();
        }
        done(std::move(result));
      });
}

StatusOr<std::vector<ModelStatsEntry>> ServerCore::Statistics(
    const std::string& name, const std::string& version) const {
  std::vector<ModelStatsEntry> entries;
  if (!name.empty()) {
    ASSIGN_OR_RETURN(auto model, manager_->Get(name, version));
    if (!version.empty()) {
      entries.push_back({model->name(), model->version_string(),
                         model->stats().Snapshot(),
                         model->scheduler().pending()});
      return entries;
    }
  }
  for (const auto& model : manager_->ReadyModels()) {
    if (!name.empty() && model->name() != name) continue;
    entries.push_back({model->name(), model->version_string(),
                       model->stats().Snapshot(),
                       model->scheduler().pending()});
  }
  return entries;
}

}  // namespace adlik
