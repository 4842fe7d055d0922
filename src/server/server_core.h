// The server core that every front end calls: health, metadata, the model
// config, inference, statistics, the repository index and control. It is
// protocol-neutral and speaks only its own types (base/infer_request.h,
// server/core_types.h, the ModelConfig protobuf); the lifecycle, the
// scheduler and the runtimes are behind it and not visible here. JSON and
// wire types stay in the front ends, and so does the list of protocol
// extensions.
//
// Error codes returned, for the front ends to map: NOT_FOUND (unknown model
// or version), UNAVAILABLE (model not ready, with the reason; retry later),
// INVALID_ARGUMENT (bad request), INTERNAL (engine failure), CANCELLED.
//
// Thread-safety: all methods may be called from any thread.
#ifndef ADLIK_SERVER_SERVER_CORE_H_
#define ADLIK_SERVER_SERVER_CORE_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/infer_request.h"
#include "base/model_event_bus.h"
#include "base/model_state.h"
#include "base/mutex.h"
#include "config/model_config.pb.h"
#include "server/core_types.h"
#include "server/trace_config.h"

namespace adlik {

class ModelManager;
class RuntimeRegistry;
class Tracer;
namespace repository {
class FileSystemSource;
}

struct ServerOptions {
  std::string model_base_path;
  std::string runtime_dir;  // where libadlik_runtime_<name>.so live
  int cores = 0;            // 0: the machine's
  std::string server_name = "adlik";
  ControlMode control_mode = ControlMode::kPoll;
  // kPoll: seconds between two reads of the repository; 0 reads it only at
  // start.
  int poll_seconds = 10;
  std::vector<std::string> startup_models;  // kExplicit: loaded at start
  // Ready only while every model that should serve has a READY version.
  // Otherwise (default) ready once the initial load is done, whatever failed.
  bool strict_readiness = false;
  // A model version still loading after this many seconds is UNAVAILABLE
  // with the reason (the load is abandoned); 0: no limit.
  int load_timeout_seconds = 0;
  // The configs' rate_limiter sections are honoured (Triton's
  // --rate-limit=execution_count); false ignores them (--rate-limit=off).
  bool rate_limit = true;
  // Pool sizes the server fixes, each `NAME:COUNT[:DEVICE]`
  // (--rate_limit_resource); a pool not named is the largest count an
  // instance asks of it.
  std::vector<std::string> rate_limit_resources;
  // Request tracing at start (--trace_config; server/trace_config.h).
  TraceConfig trace;
};

class ServerCore {
 public:
  // Loads every model of the repository (a model that fails is UNAVAILABLE;
  // only an unreadable repository fails Create).
  static StatusOr<std::unique_ptr<ServerCore>> Create(ServerOptions options);
  ~ServerCore();

  const std::string& name() const { return options_.server_name; }
  static const char* Version();

  bool Live() const { return true; }
  // From the end of the initial load until shutdown starts; with
  // strict_readiness, only while every model that should serve does.
  bool Ready() const;

  // Whether the version (empty: the version policy's newest) is served.
  bool ModelReady(const std::string& name, const std::string& version) const;

  // The served model's metadata, or why it is not served (NOT_FOUND,
  // UNAVAILABLE with the reason).
  StatusOr<ModelMetadata> GetModelMetadata(const std::string& name,
                                           const std::string& version) const;

  // The served model's completed config.
  StatusOr<inference::ModelConfig> GetModelConfig(
      const std::string& name, const std::string& version) const;

  // Runs an inference. `done` is called exactly once: before Infer returns
  // when the request is refused, else from the scheduler's thread. A
  // decoupled model (model_transaction_policy { decoupled: true }) is
  // refused UNIMPLEMENTED: it may answer any number of times; use
  // InferStream.
  void Infer(std::unique_ptr<InferRequest> request, InferCallback done);

  // Runs an inference whose answers may be several (a stream's): any
  // model's request gets its response (or error) with the final flag; a
  // decoupled model's gets 0..n responses, then the final flag, with the last
  // one or alone. `respond` is called from any thread, one call at a time,
  // ending with the final one (before InferStream returns when the request is
  // refused). A successful response's `encoded`, when set, is called as for
  // Infer.
  void InferStream(std::unique_ptr<InferRequest> request,
                   ResponseCallback respond);

  // Statistics of one model (all its served versions, or one), or of every
  // model when `name` is empty.
  StatusOr<std::vector<ModelStatsEntry>> Statistics(
      const std::string& name, const std::string& version) const;

  // Every model version the repository or the API has named, with its
  // state; with explicit model control, also every model of the repository
  // not loaded (UNAVAILABLE, reason "unloaded").
  std::vector<ModelIndexEntry> Index() const;

  // Calls `listener` with the present state of every listed model version,
  // then with each change of state or reason (and each model-level
  // failure), on the thread that makes the change. base/model_event_bus.h
  // says what a listener may do: read the core, not load or unload. The core
  // must outlive the subscription.
  [[nodiscard]] ModelEventBus::Subscription SubscribeModelStates(
      ModelStateListener listener);

  // The repository extension (explicit model control): load or reload a
  // model, optionally with a config that replaces the repository's, and
  // unload one. They run on the core's own control thread, one
  // at a time, never on the caller's: `done` is called exactly once, from
  // that thread (or before the call returns when the request is refused at
  // once), so that a front end's I/O thread never waits for a load.
  using ControlCallback = std::function<void(Status)>;
  void LoadModel(std::string name, std::optional<inference::ModelConfig> config,
                 ControlCallback done);
  void UnloadModel(std::string name, ControlCallback done);

  // Triton's trace extension: the trace settings in force for `model`
  // (empty: the global ones; NOT_FOUND for a model the server does not
  // know), and their update (server/trace_config.h: ApplyTraceUpdate says
  // what is refused), which returns the settings then in force. A model's
  // own values override the global ones; a cleared value follows them again.
  StatusOr<TraceSettingMap> GetTraceSettings(const std::string& model) const;
  StatusOr<TraceSettingMap> UpdateTraceSettings(
      const std::string& model, const TraceSettingUpdate& update);

  // Triton's logging extension: the process's log settings, and their
  // update (INVALID_ARGUMENT naming an unknown setting, a value of the
  // wrong type, or log_file, which a request may not choose), which takes
  // effect at once for every thread and returns the settings then in force.
  LogSettings GetLogSettings() const;
  StatusOr<LogSettings> UpdateLogSettings(const LogSettingsUpdate& update);

  // Stops taking requests (Ready turns false) and lets the ones accepted
  // finish. Idempotent.
  void Shutdown();

 private:
  explicit ServerCore(ServerOptions options);
  // Infer and InferStream: `respond` is set for a stream's request.
  void Submit(std::unique_ptr<InferRequest> request, InferCallback done,
              ResponseCallback respond);
  void PollLoop();
  void ControlLoop();
  // Queues `work` for the control thread.
  void Control(std::function<void()> work);

  // Whether the repository or the API names `model`.
  bool KnowsModel(const std::string& model) const;

  const ServerOptions options_;
  std::unique_ptr<Tracer> tracer_;
  // The name the text log format was last set by: "text", or Triton's
  // "default" or "ISO8601" (the same lines: an ISO 8601 time on each).
  std::atomic<int> text_format_name_{0};
  std::unique_ptr<RuntimeRegistry> registry_;
  std::unique_ptr<repository::FileSystemSource> source_;
  std::unique_ptr<ModelManager> manager_;
  std::atomic<bool> ready_{false};

  Mutex poll_mu_;
  std::condition_variable poll_cv_;
  bool stop_polling_ ADLIK_GUARDED_BY(poll_mu_) = false;
  std::thread poller_;

  Mutex control_mu_;
  std::condition_variable control_cv_;
  std::deque<std::function<void()>> control_queue_
      ADLIK_GUARDED_BY(control_mu_);
  bool stop_control_ ADLIK_GUARDED_BY(control_mu_) = false;
  std::thread controller_;
};

}  // namespace adlik

#endif  // ADLIK_SERVER_SERVER_CORE_H_
