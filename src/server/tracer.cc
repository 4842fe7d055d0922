#include "server/tracer.h"

#include <cstdio>
#include <utility>

#include "base/logging.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#ifdef ADLIK_WITH_OPENTELEMETRY
#include "server/otel_trace_exporter.h"
#endif

namespace adlik {
namespace {

class TritonFileExporter : public TraceExporter {
 public:
  explicit TritonFileExporter(std::string file) : file_(std::move(file)) {}
  ~TritonFileExporter() override { Flush(); }

  void Export(const RequestTrace& trace) override {
    rapidjson::StringBuffer text;
    rapidjson::Writer<rapidjson::StringBuffer> w(text);
    w.StartObject();
    w.Key("id");
    w.Uint64(trace.id);
    w.Key("model_name");
    w.String(trace.model_name.c_str(), trace.model_name.size());
    w.Key("model_version");
    w.String(trace.model_version.c_str(), trace.model_version.size());
    w.Key("request_id");
    w.String(trace.request_id.c_str(), trace.request_id.size());
    w.Key("timestamps");
    w.StartArray();
    for (const auto& [name, ns] : trace.timestamps) {
      w.StartObject();
      w.Key("name");
      w.String(name);
      w.Key("ns");
      w.Uint64(ns);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    MutexLock lock(&mu_);
    buffered_.emplace_back(text.GetString(), text.GetSize());
    indexed_ = indexed_ || trace.log_frequency > 0;
    if (trace.log_frequency > 0 &&
        buffered_.size() >= static_cast<size_t>(trace.log_frequency)) {
      WriteLocked();
    }
  }

  void Flush() override {
    MutexLock lock(&mu_);
    if (!buffered_.empty()) WriteLocked();
  }

 private:
  void WriteLocked() ADLIK_REQUIRES(mu_) {
    const std::string path =
        indexed_ ? file_ + "." + std::to_string(index_++) : file_;
    std::string out = "[";
    for (size_t i = 0; i < buffered_.size(); ++i) {
      if (i > 0) out += ",\n";
      out += buffered_[i];
    }
    out += "]\n";
    buffered_.clear();
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr ||
        std::fwrite(out.data(), 1, out.size(), f) != out.size()) {
      LOG(ERROR) << "trace file " << path << ": can't write it";
    }
    if (f != nullptr) std::fclose(f);
  }

  const std::string file_;
  Mutex mu_;
  std::vector<std::string> buffered_ ADLIK_GUARDED_BY(mu_);
  bool indexed_ ADLIK_GUARDED_BY(mu_) = false;
  int index_ ADLIK_GUARDED_BY(mu_) = 0;
};

}  // namespace

std::unique_ptr<TraceExporter> MakeTritonFileExporter(std::string file) {
  return std::make_unique<TritonFileExporter>(std::move(file));
}

StatusOr<std::unique_ptr<Tracer>> Tracer::Create(const TraceConfig& config) {
  std::unique_ptr<TraceExporter> exporter;
  if (config.mode == TraceMode::kOpenTelemetry) {
#ifdef ADLIK_WITH_OPENTELEMETRY
    auto made = MakeOpenTelemetryExporter(config);
    if (!made.ok()) return made.status();
    exporter = std::move(made).value();
#else
    return Unimplemented(
        "--trace_config mode=opentelemetry: this server was built without "
        "OpenTelemetry (ADLIK_WITH_OPENTELEMETRY=1 scripts/setup.sh, then "
        "scripts/build.sh -DADLIK_WITH_OPENTELEMETRY=ON); mode=triton "
        "writes traces to a file");
#endif
  } else if (!config.settings.file.empty()) {
    exporter = MakeTritonFileExporter(config.settings.file);
  }
  return std::make_unique<Tracer>(config, std::move(exporter));
}

Tracer::Tracer(const TraceConfig& config,
               std::unique_ptr<TraceExporter> exporter)
    : startup_(config.settings),
      mode_(config.mode),
      exporter_(std::move(exporter)) {
  MutexLock lock(&mu_);
  RefreshLocked();
}

Tracer::~Tracer() { Flush(); }

void Tracer::Flush() {
  if (exporter_) exporter_->Flush();
}

void Tracer::Export(const RequestTrace& trace) {
  if (exporter_) exporter_->Export(trace);
}

TraceSettings Tracer::EffectiveLocked(const std::string& model) const {
  TraceSettings s = global_.own.Apply(startup_);
  if (auto it = models_.find(model); !model.empty() && it != models_.end())
    s = it->second.own.Apply(s);
  return s;
}

void Tracer::RefreshLocked() {
  bool on = false;
  const TraceSettings global = EffectiveLocked("");
  on = global.timestamps && global.count != 0;
  for (const auto& [name, scope] : models_) {
    const TraceSettings s = scope.own.Apply(global);
    on = on || (s.timestamps && s.count != 0);
  }
  on_.store(on && exporter_ != nullptr, std::memory_order_relaxed);
}

std::unique_ptr<RequestTrace> Tracer::SampleSlow(const std::string& model) {
  MutexLock lock(&mu_);
  auto it = models_.find(model);
  Scope& scope = it != models_.end() ? it->second : global_;
  const TraceSettings s = EffectiveLocked(model);
  if (!s.timestamps || s.count == 0) return nullptr;
  if (++scope.seen % static_cast<uint64_t>(s.rate) != 0) return nullptr;
  if (s.count > 0) {
    // The count is the model's own, or the global one it follows.
    Scope& counted =
        it != models_.end() && it->second.own.count ? it->second : global_;
    counted.own.count = s.count - 1;
    if (s.count == 1) RefreshLocked();
  }
  auto trace = std::make_unique<RequestTrace>();
  trace->id = ++next_id_;
  trace->log_frequency = s.log_frequency;
  return trace;
}

TraceSettingMap Tracer::Get(const std::string& model) const {
  MutexLock lock(&mu_);
  return RenderTraceSettings(EffectiveLocked(model), mode_);
}

StatusOr<TraceSettingMap> Tracer::Update(const std::string& model,
                                         const TraceSettingUpdate& update) {
  MutexLock lock(&mu_);
  Scope& scope = model.empty() ? global_ : models_[model];
  TraceSettingsOverride next = scope.own;
  Status s = ApplyTraceUpdate(update, &next);
  if (s.ok() && exporter_ == nullptr && next.timestamps.value_or(false)) {
    s = InvalidArgument(
        "trace_level TIMESTAMPS: the server has nowhere to write traces "
        "(start it with --trace_config=triton,file=PATH or "
        "--trace_config=mode=opentelemetry)");
  }
  if (!s.ok()) {
    if (!model.empty() && scope.own.empty()) models_.erase(model);
    return s;
  }
  if (next.count != scope.own.count) scope.seen = 0;
  scope.own = next;
  if (!model.empty() && scope.own.empty()) models_.erase(model);
  RefreshLocked();
  return RenderTraceSettings(EffectiveLocked(model), mode_);
}

}  // namespace adlik
