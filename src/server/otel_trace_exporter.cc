#include "server/otel_trace_exporter.h"

#include <chrono>
#include <string>
#include <utility>

#include "opentelemetry/context/context.h"
#include "opentelemetry/context/propagation/text_map_propagator.h"
#include "opentelemetry/exporters/otlp/otlp_http_exporter_factory.h"
#include "opentelemetry/exporters/otlp/otlp_http_exporter_options.h"
#include "opentelemetry/sdk/resource/resource.h"
#include "opentelemetry/sdk/trace/batch_span_processor_factory.h"
#include "opentelemetry/sdk/trace/batch_span_processor_options.h"
#include "opentelemetry/sdk/trace/tracer_provider.h"
#include "opentelemetry/trace/context.h"
#include "opentelemetry/trace/propagation/http_trace_context.h"

namespace adlik {
namespace {

namespace otel = opentelemetry;
namespace nostd = opentelemetry::nostd;

// Offers the client's traceparent to the W3C propagator.
class TraceparentCarrier : public otel::context::propagation::TextMapCarrier {
 public:
  explicit TraceparentCarrier(const std::string& value) : value_(value) {}
  nostd::string_view Get(nostd::string_view key) const noexcept override {
    return key == nostd::string_view("traceparent") ? nostd::string_view(value_)
                                                    : nostd::string_view();
  }
  void Set(nostd::string_view, nostd::string_view) noexcept override {}

 private:
  const std::string& value_;
};

class OpenTelemetryExporter : public TraceExporter {
 public:
  explicit OpenTelemetryExporter(const TraceConfig& config) {
    otel::exporter::otlp::OtlpHttpExporterOptions options;
    options.url = config.url.find("://") == std::string::npos
                      ? "http://" + config.url
                      : config.url;
    otel::sdk::trace::BatchSpanProcessorOptions batch;
    batch.schedule_delay_millis =
        std::chrono::milliseconds(config.bsp_schedule_delay_ms);
    otel::sdk::resource::ResourceAttributes attributes{
        {"service.name", "adlik_serving"}};
    for (const auto& [key, value] : config.resource)
      attributes.SetAttribute(key, value);
    provider_ = std::make_shared<otel::sdk::trace::TracerProvider>(
        otel::sdk::trace::BatchSpanProcessorFactory::Create(
            otel::exporter::otlp::OtlpHttpExporterFactory::Create(options),
            batch),
        otel::sdk::resource::Resource::Create(attributes));
    tracer_ = provider_->GetTracer("adlik_serving");
  }
  ~OpenTelemetryExporter() override { provider_->Shutdown(); }

  void Export(const RequestTrace& trace) override {
    if (trace.timestamps.empty()) return;
    auto system = [&](uint64_t ns) {
      return otel::common::SystemTimestamp(std::chrono::nanoseconds(
          static_cast<int64_t>(ns) + trace.epoch_offset_ns));
    };
    auto steady = [](uint64_t ns) {
      return otel::common::SteadyTimestamp(std::chrono::nanoseconds(ns));
    };
    otel::trace::StartSpanOptions start;
    start.start_system_time = system(trace.timestamps.front().second);
    start.start_steady_time = steady(trace.timestamps.front().second);
    start.kind = otel::trace::SpanKind::kServer;
    if (!trace.traceparent.empty()) {
      TraceparentCarrier carrier(trace.traceparent);
      otel::trace::propagation::HttpTraceContext w3c;
      otel::context::Context none;
      const otel::trace::SpanContext parent =
          otel::trace::GetSpan(w3c.Extract(carrier, none))->GetContext();
      if (parent.IsValid()) start.parent = parent;
    }
    auto span =
        tracer_->StartSpan("InferRequest",
                           {{"triton.model_name", trace.model_name},
                            {"triton.model_version", trace.model_version},
                            {"triton.request_id", trace.request_id},
                            {"triton.trace_id", trace.id}},
                           start);
    for (const auto& [name, ns] : trace.timestamps)
      span->AddEvent(name, system(ns));
    otel::trace::EndSpanOptions end;
    end.end_steady_time = steady(trace.timestamps.back().second);
    span->End(end);
  }

  void Flush() override { provider_->ForceFlush(); }

 private:
  std::shared_ptr<otel::sdk::trace::TracerProvider> provider_;
  nostd::shared_ptr<otel::trace::Tracer> tracer_;
};

}  // namespace

StatusOr<std::unique_ptr<TraceExporter>> MakeOpenTelemetryExporter(
    const TraceConfig& config) {
  return std::unique_ptr<TraceExporter>(
      std::make_unique<OpenTelemetryExporter>(config));
}

}  // namespace adlik
