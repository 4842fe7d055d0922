// The OpenTelemetry trace exporter (built with ADLIK_WITH_OPENTELEMETRY):
// each traced request becomes a span "InferRequest" (attributes
// triton.model_name, triton.model_version, triton.request_id,
// triton.trace_id; one event per Triton timestamp, REQUEST_START ..
// REQUEST_END, at its time), the child of the client's W3C traceparent when
// it sent one, and goes to the collector at `config.url` over OTLP/HTTP
// (protobuf) through opentelemetry-cpp's batch span processor.
//
// Thread-safety: Export and Flush may be called from any thread.
#ifndef ADLIK_SERVER_OTEL_TRACE_EXPORTER_H_
#define ADLIK_SERVER_OTEL_TRACE_EXPORTER_H_

#include <memory>

#include "adlik/status.h"
#include "server/trace_config.h"
#include "server/tracer.h"

namespace adlik {

StatusOr<std::unique_ptr<TraceExporter>> MakeOpenTelemetryExporter(
    const TraceConfig& config);

}  // namespace adlik

#endif  // ADLIK_SERVER_OTEL_TRACE_EXPORTER_H_
