#include "server/server_core.h"

#include <chrono>
#include <thread>

#include "base/clock.h"
#include "base/logging.h"
#include "lifecycle/model_manager.h"
#include "runtime_host/runtime_registry.h"
#include "scheduler/rate_limiter.h"
#include "server/classification.h"
#include "server/request_validator.h"
#include "server/tracer.h"

namespace adlik {

const char* ServerCore::Version() { return "0.1.0"; }

ServerCore::ServerCore(ServerOptions options) : options_(std::move(options)) {}

StatusOr<std::unique_ptr<ServerCore>> ServerCore::Create(
    ServerOptions options) {
  if (options.cores <= 0) {
    options.cores = std::max(1u, std::thread::hardware_concurrency());
  }
  // Checked before anything starts, so that a bad one leaves nothing behind.
  std::vector<RateLimiter::ResourceCount> fixed;
  for (const std::string& text : options.rate_limit_resources) {
    ASSIGN_OR_RETURN(RateLimiter::ResourceCount r, ParseResourceCount(text));
    fixed.push_back(std::move(r));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Tracer> tracer,
                   Tracer::Create(options.trace));
  std::unique_ptr<ServerCore> core(new ServerCore(std::move(options)));
  ServerCore* c = core.get();
  c->tracer_ = std::move(tracer);
  c->registry_ = std::make_unique<RuntimeRegistry>(c->options_.runtime_dir,
                                                   c->options_.cores);
  c->source_ = std::make_unique<repository::FileSystemSource>(
      c->options_.model_base_path);
  ModelManagerOptions mo;
  mo.source = c->source_.get();
  LoadOptions load;
  load.registry = c->registry_.get();
  if (c->options_.rate_limit) {
    load.rate_limiter = std::make_shared<RateLimiter>(std::move(fixed));
  }
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
  MutexLock lock(&poll_mu_);
  for (;;) {
    const auto next = std::chrono::steady_clock::now() +
                      std::chrono::seconds(options_.poll_seconds);
    while (!stop_polling_ &&
           lock.WaitUntil(poll_cv_, next) == std::cv_status::no_timeout) {
    }
    if (stop_polling_) return;
    lock.Unlock();
    if (Status s = manager_->Poll(); !s.ok()) {
      LOG(ERROR) << "polling the repository: " << s.message();
    }
    lock.Lock();
  }
}

void ServerCore::ControlLoop() {
  MutexLock lock(&control_mu_);
  while (true) {
    while (!stop_control_ && control_queue_.empty()) lock.Wait(control_cv_);
    if (control_queue_.empty()) return;  // stopping, and nothing left
    auto work = std::move(control_queue_.front());
    control_queue_.pop_front();
    lock.Unlock();
    work();
    lock.Lock();
  }
}

void ServerCore::Control(std::function<void()> work) {
  {
    MutexLock lock(&control_mu_);
    control_queue_.push_back(std::move(work));
  }
  control_cv_.notify_one();
}

void ServerCore::Shutdown() {
  ready_ = false;
  {
    MutexLock lock(&poll_mu_);
    stop_polling_ = true;
  }
  poll_cv_.notify_all();
  if (poller_.joinable()) poller_.join();
  {
    MutexLock lock(&control_mu_);
    stop_control_ = true;
  }
  control_cv_.notify_all();
  if (controller_.joinable()) controller_.join();
  manager_->UnloadAll();
  tracer_->Flush();  // Triton's trace file is written now
}

bool ServerCore::Ready() const {
  if (!ready_.load()) return false;
  return !options_.strict_readiness || manager_->AllReady();
}

void ServerCore::LoadModel(std::string name,
                           std::optional<inference::ModelConfig> config,
                           ControlCallback done) {
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

bool ServerCore::ModelReady(const std::string& name,
                            const std::string& version) const {
  return manager_->Get(name, version).ok();
}

StatusOr<ModelMetadata> ServerCore::GetModelMetadata(
    const std::string& name, const std::string& version) const {
  ASSIGN_OR_RETURN(auto model, manager_->Get(name, version));
  const inference::ModelConfig& config = model->config();
  ModelMetadata m;
  m.name = model->name();
  if (version.empty()) {
    for (int64_t v : manager_->ReadyVersions(name))
      m.versions.push_back(std::to_string(v));
  } else {
    m.versions.push_back(model->version_string());
  }
  m.platform = config.platform();
  const bool batched = config.max_batch_size() > 0;
  auto tensors = [batched](const auto& list) {
    std::vector<TensorMetadata> out;
    out.reserve(list.size());
    for (const auto& t : list) {
      TensorMetadata& tm = out.emplace_back();
      tm.name = t.name();
      tm.type = static_cast<DataType>(t.data_type());
      if (batched) tm.shape.push_back(-1);
      tm.shape.insert(tm.shape.end(), t.dims().begin(), t.dims().end());
    }
    return out;
  };
  m.inputs = tensors(config.input());
  m.outputs = tensors(config.output());
  return m;
}

StatusOr<inference::ModelConfig> ServerCore::GetModelConfig(
    const std::string& name, const std::string& version) const {
  ASSIGN_OR_RETURN(auto model, manager_->Get(name, version));
  return model->config();
}

std::vector<ModelIndexEntry> ServerCore::Index() const {
  return manager_->Index();
}

ModelEventBus::Subscription ServerCore::SubscribeModelStates(
    ModelStateListener listener) {
  return manager_->Subscribe(std::move(listener));
}

void ServerCore::Infer(std::unique_ptr<InferRequest> request,
                       InferCallback done) {
  Submit(std::move(request), std::move(done), nullptr);
}

void ServerCore::InferStream(std::unique_ptr<InferRequest> request,
                             ResponseCallback respond) {
  InferCallback done = [respond](StatusOr<InferResponse> result) {
    respond(std::move(result), true);
  };
  Submit(std::move(request), std::move(done), std::move(respond));
}

namespace {

// What the completion needs of the request, which the scheduler consumes.
struct Echo {
  std::string id;
  std::vector<std::pair<size_t, uint32_t>> classify;  // output index, K
};

// Names a response after its model (its request's id is the caller's to
// set) and classifies the outputs asked for so.
Status Finish(const ServedModel& served, const Echo& echo,
              InferResponse* response) {
  response->model_name = served.name();
  response->model_version = served.version_string();
  const bool batched = served.config().max_batch_size() > 0;
  for (const auto& [index, k] : echo.classify) {
    Tensor& out = response->outputs[index];
    ASSIGN_OR_RETURN(out, Classify(out, k, batched, served.labels(out.name)));
  }
  return Status::Ok();
}

void AddComputeTimestamps(const ComputeTimestamps& t, RequestTrace* trace) {
  const std::pair<const char*, uint64_t> steps[] = {
      {"QUEUE_START", t.queue_start_ns},
      {"COMPUTE_START", t.compute_start_ns},
      {"COMPUTE_INPUT_END", t.compute_input_end_ns},
      {"COMPUTE_OUTPUT_START", t.compute_output_start_ns},
      {"COMPUTE_END", t.compute_end_ns}};
  for (const auto& step : steps) {
    if (step.second != 0) trace->timestamps.push_back(step);
  }
}

}  // namespace

void ServerCore::Submit(std::unique_ptr<InferRequest> request,
                        InferCallback done, ResponseCallback respond) {
  auto model = manager_->Get(request->model_name, request->model_version);
  if (!model.ok()) {
    done(model.status());
    return;
  }
  std::shared_ptr<ServedModel> served = std::move(model).value();
  const Clock& clock = *Clock::Real();
  if (request->received_ns == 0) request->received_ns = clock.NowNs();
  const uint64_t received_ns = request->received_ns;
  const inference::ModelConfig& config = served->config();
  const bool decoupled = config.model_transaction_policy().decoupled();
  if (decoupled && !respond) {
    done(Unimplemented(
        "model '" + served->name() +
        "': unary inference doesn't support models with decoupled "
        "transaction policy (it may send any number of responses to a "
        "request); use the gRPC ModelStreamInfer stream"));
    return;
  }
  if (Status s = ValidateRequest(config, request.get()); !s.ok()) {
    served->stats().RecordFailure(clock.NowNs() - received_ns);
    done(s);
    return;
  }
  // Null unless this request is traced (one atomic load when tracing is
  // off). A decoupled model's answers are not traced.
  std::shared_ptr<RequestTrace> trace =
      decoupled ? nullptr : tracer_->Sample(request->model_name);
  if (trace) {
    trace->model_name = served->name();
    trace->model_version = served->version_string();
    trace->request_id = request->id;
    trace->traceparent = std::move(request->traceparent);
    trace->epoch_offset_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count() -
        static_cast<int64_t>(clock.NowNs());
    trace->timestamps.emplace_back("REQUEST_START", received_ns);
  }
  Echo echo{request->id, {}};
  for (size_t i = 0; i < request->outputs.size(); ++i) {
    if (request->outputs[i].classification > 0)
      echo.classify.emplace_back(i, request->outputs[i].classification);
  }
  // The runtime's own responses to a decoupled model's request; the
  // scheduler counts them in the statistics.
  ResponseCallback runtime_responses;
  if (decoupled) {
    runtime_responses = [served, echo, respond = std::move(respond)](
                            std::optional<StatusOr<InferResponse>> response,
                            bool final) {
      if (response && response->ok()) {
        (*response)->id = echo.id;
        if (Status s = Finish(*served, echo, &**response); !s.ok())
          *response = s;
      }
      respond(std::move(response), final);
    };
  }
  // This frame keeps its own handle until Enqueue has returned: the
  // completion may run, and release its copy, inside Enqueue (a request run
  // on this thread), while Enqueue still uses the scheduler.
  Scheduler& scheduler = served->scheduler();
  scheduler.Enqueue(
      std::move(request),
      [served, echo = std::move(echo), done = std::move(done), received_ns,
       trace = std::move(trace),
       tracer = tracer_.get()](StatusOr<InferResponse> result) mutable {
        if (result.ok()) {
          result->id = std::move(echo.id);
          if (Status s = Finish(*served, echo, &*result); !s.ok()) {
            served->stats().RecordFailure(Clock::Real()->NowNs() - received_ns);
            result = s;
          }
        }
        if (!result.ok()) {
          if (trace) {
            trace->timestamps.emplace_back("REQUEST_END",
                                           Clock::Real()->NowNs());
            tracer->Export(*trace);
          }
          done(std::move(result));
          return;
        }
        // The statistics are shared: they outlive the served model, which
        // may be destroyed before the front end has sent the answer.
        if (!trace) {
          result->encoded = [stats = served->shared_stats(), received_ns] {
            stats->RecordSuccess(Clock::Real()->NowNs() - received_ns);
          };
          done(std::move(result));
          return;
        }
        AddComputeTimestamps(result->timestamps, trace.get());
        result->encoded = [stats = served->shared_stats(), received_ns, trace,
                           tracer] {
          const uint64_t now = Clock::Real()->NowNs();
          stats->RecordSuccess(now - received_ns);
          trace->timestamps.emplace_back("REQUEST_END", now);
          tracer->Export(*trace);
        };
        done(std::move(result));
      },
      std::move(runtime_responses));
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

bool ServerCore::KnowsModel(const std::string& model) const {
  for (const ModelIndexEntry& e : Index()) {
    if (e.name == model) return true;
  }
  return false;
}

StatusOr<TraceSettingMap> ServerCore::GetTraceSettings(
    const std::string& model) const {
  if (!model.empty() && !KnowsModel(model))
    return NotFound("trace settings: unknown model '" + model + "'");
  return tracer_->Get(model);
}

StatusOr<TraceSettingMap> ServerCore::UpdateTraceSettings(
    const std::string& model, const TraceSettingUpdate& update) {
  if (!model.empty() && !KnowsModel(model))
    return NotFound("trace settings: unknown model '" + model + "'");
  return tracer_->Update(model, update);
}

namespace {
// The names of the text log format: ours, and Triton's two (whose lines, like
// ours, start with the severity and an ISO 8601 time).
constexpr const char* kTextFormatNames[] = {"text", "default", "ISO8601"};

int TextFormatName(const std::string& name) {
  for (int i = 0; i < 3; ++i) {
    if (name == kTextFormatNames[i]) return i;
  }
  return -1;
}
}  // namespace

LogSettings ServerCore::GetLogSettings() const {
  LogSettings s;
  s.log_info = LogEnabled(LogLevel::kInfo);
  s.log_warning = LogEnabled(LogLevel::kWarning);
  s.log_error = LogEnabled(LogLevel::kError);
  s.log_verbose_level = VerboseLevel();
  s.log_format = GetLogFormat() == LogFormat::kJson
                     ? "json"
                     : kTextFormatNames[text_format_name_.load()];
  return s;
}

StatusOr<LogSettings> ServerCore::UpdateLogSettings(
    const LogSettingsUpdate& update) {
  // Everything is checked before anything changes.
  for (const auto& [name, value] : update) {
    if (name == "log_file") {
      return InvalidArgument(
          "log_file can't be updated through the API: a request may not "
          "choose a file the server writes (the log goes to stderr)");
    }
    if (name == "log_info" || name == "log_warning" || name == "log_error") {
      if (!std::holds_alternative<bool>(value))
        return InvalidArgument(name + ": expected a boolean");
    } else if (name == "log_verbose_level") {
      const int64_t* level = std::get_if<int64_t>(&value);
      if (level == nullptr || *level < 0 || *level > UINT32_MAX)
        return InvalidArgument(name + ": expected an integer >= 0");
    } else if (name == "log_format") {
      const std::string* format = std::get_if<std::string>(&value);
      if (format == nullptr ||
          (*format != "json" && TextFormatName(*format) < 0)) {
        return InvalidArgument(name +
                               ": expected \"text\", \"json\", or Triton's "
                               "\"default\" or \"ISO8601\" (both text)");
      }
    } else {
      return InvalidArgument("unknown log setting '" + name +
                             "' (expected log_file, log_info, log_warning, "
                             "log_error, log_verbose_level, log_format)");
    }
  }
  for (const auto& [name, value] : update) {
    if (name == "log_info")
      SetLogEnabled(LogLevel::kInfo, std::get<bool>(value));
    if (name == "log_warning")
      SetLogEnabled(LogLevel::kWarning, std::get<bool>(value));
    if (name == "log_error")
      SetLogEnabled(LogLevel::kError, std::get<bool>(value));
    if (name == "log_verbose_level")
      SetVerboseLevel(static_cast<uint32_t>(std::get<int64_t>(value)));
    if (name == "log_format") {
      const std::string& format = std::get<std::string>(value);
      if (format != "json") text_format_name_ = TextFormatName(format);
      SetLogFormat(format == "json" ? LogFormat::kJson : LogFormat::kText);
    }
  }
  return GetLogSettings();
}

}  // namespace adlik
