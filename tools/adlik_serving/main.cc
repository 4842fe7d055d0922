// adlik_serving: serves every model of a repository over KServe v2 HTTP/REST
// and gRPC.
//
//   adlik_serving --model_base_path=/models --grpc_port=8500 --http_port=8501
//
// SIGINT or SIGTERM: drain, then exit 0. Stop taking new connections; answer
// the requests already received (over HTTP with `Connection: close`); refuse
// new requests on open connections (HTTP 503 with `Connection: close`, gRPC
// UNAVAILABLE); close what is still open at --drain_timeout_seconds.
// SIGHUP: re-read --auth_token_file (on an error the tokens in use stay).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/usage.h"
#include "base/logging.h"
#include "flags/parse_flags.h"
#include "frontends/auth/token_auth.h"
#include "frontends/grpc/adlik_grpc_service.h"
#include "frontends/grpc/grpc_server.h"
#include "frontends/grpc/tfserving_grpc_service.h"
#include "frontends/http/dashboard_handler.h"
#include "frontends/http/kserve_http_handler.h"
#include "frontends/http/metrics_http_handler.h"
#include "frontends/http/v1_http_handler.h"
#include "frontends/shared_memory/shared_memory_registry.h"
#include "frontends/ssl_config.h"
#include "metrics/prometheus_metrics.h"
#include "server/server_core.h"

ABSL_FLAG(std::string, model_base_path, "",
          "The model repository: one folder per model, numbered version "
          "folders inside.");
ABSL_FLAG(int32_t, http_port, 8501,
          "Port of the KServe v2 HTTP/REST API; 0 turns it off.");
ABSL_FLAG(int32_t, grpc_port, 8500,
          "Port of the KServe v2 gRPC API; 0 turns it off.");
ABSL_FLAG(bool, enable_adlik_api, true,
          "Also serve the original Adlik's API: gRPC adlik.serving "
          "(PredictService, ModelOperateService, ServerStatusService) and "
          "REST /v1/models/...:predict and /metadata (docs/client-apis.md).");
ABSL_FLAG(bool, enable_tfserving_api, true,
          "Also serve TensorFlow Serving's API: gRPC "
          "tensorflow.serving.PredictionService and ModelService, and REST "
          "/v1/models/... (docs/client-apis.md).");
ABSL_FLAG(std::string, address, "0.0.0.0",
          "Address both front ends listen on.");
ABSL_FLAG(
    int32_t, http_num_threads, 0,
    "Threads serving HTTP connections (event-driven; any number of connections "
    "each). 0: the number of cores.");
ABSL_FLAG(int32_t, http_max_body_mb, 64,
          "Largest HTTP request body accepted, in MiB; larger ones get 413.");
ABSL_FLAG(int32_t, http_timeout_in_ms, 30000,
          "A request's header and body must arrive within this time of its "
          "first byte (else 408 and the connection closes); also bounds the "
          "writing of a response.");
ABSL_FLAG(int32_t, http_idle_timeout_seconds, 60,
          "A keep-alive HTTP connection without a request for this long "
          "closes.");
ABSL_FLAG(int32_t, http_max_connections, 10000,
          "Most HTTP connections open at once (per port); beyond it new "
          "connections wait in the listen backlog until one closes. 0: no "
          "limit (the descriptor limit, ulimit -n, still bounds them).");
ABSL_FLAG(std::string, ssl_config_file, "",
          "TLS on the HTTP, gRPC and metrics ports: a protobuf text file of "
          "the SSLConfig message (server_key, server_cert, custom_ca: PEM "
          "text; client_verify: true for mutual TLS).");
ABSL_FLAG(int32_t, drain_timeout_seconds, 30,
          "On SIGINT/SIGTERM: the most seconds spent answering the requests "
          "already received before the connections still open are closed.");
ABSL_FLAG(int32_t, grpc_max_message_mb, 64,
          "Largest gRPC message accepted, in MiB.");
ABSL_FLAG(int32_t, metrics_port, 0,
          "Also serve GET /metrics (Prometheus) on this port; it is always on "
          "the HTTP "
          "port. 0: no separate port.");
ABSL_FLAG(
    std::string, runtime_dir, "",
    "Folder of the runtime plugins (libadlik_runtime_<name>.so). Default: the "
    "folder of this binary.");
ABSL_FLAG(int32_t, cores, 0,
          "Cores the models may use; instance thread pools are sized from it. "
          "0: all.");
ABSL_FLAG(std::string, server_name, "adlik",
          "Name reported in server metadata (some Triton examples expect "
          "\"triton\").");
ABSL_FLAG(bool, verbose, false, "Log verbose messages too.");
ABSL_FLAG(std::string, log_format, "text",
          "text: one human-readable line per message. json: one JSON object "
          "per line (time, level, file, line, model, version, request_id, "
          "message), for log collectors.");
ABSL_FLAG(
    std::string, model_control_mode, "poll",
    "poll: serve every model of the repository and follow its changes (see "
    "--fs_poll_wait_seconds). explicit: serve only --load_model models and "
    "what the "
    "repository API loads.");
ABSL_FLAG(int32_t, fs_poll_wait_seconds, 10,
          "poll mode: seconds between two reads of the repository; 0 reads it "
          "once, at start.");
ABSL_FLAG(std::vector<std::string>, load_model, {},
          "explicit mode: a model to load at start; repeat the flag or "
          "separate names with commas.");
ABSL_FLAG(int32_t, model_load_timeout_seconds, 600,
          "A model version still loading after this many seconds is "
          "UNAVAILABLE with the reason and its load abandoned; 0: no limit.");
ABSL_FLAG(
    bool, strict_readiness, false,
    "Report ready only while every model that should serve has a ready version "
    "(default: ready once the initial load is done, whatever failed).");
ABSL_FLAG(std::string, rate_limit, "execution_count",
          "execution_count: an instance runs only while it holds the "
          "resources of its config's rate_limiter; off: rate_limiter "
          "sections are ignored.");
ABSL_FLAG(std::vector<std::string>, rate_limit_resource, {},
          "Fixed rate-limiter pool sizes, NAME:COUNT[:DEVICE], separated by "
          "commas; without DEVICE the count applies to every device and to a "
          "global resource. A pool not named is the largest count any "
          "instance asks of it.");
ABSL_FLAG(std::string, trace_config, "",
          "Request tracing, Triton's --trace-config; repeat the flag: "
          "level=OFF|TIMESTAMPS, rate=N (1 of every N requests, default "
          "1000), count=N (-1: no limit), mode=triton|opentelemetry, "
          "triton,file=PATH, triton,log-frequency=N, "
          "opentelemetry,url=HOST:PORT/v1/traces (default "
          "localhost:4318/v1/traces), opentelemetry,resource=KEY=VALUE, "
          "opentelemetry,bsp_schedule_delay=MS. Settings change at runtime "
          "through /v2/trace/setting (docs/tracing.md).");

ABSL_FLAG(bool, dashboard, true,
          "Serve a web dashboard at /dashboard on the HTTP port: the models, "
          "their states, load and unload, live charts of throughput, latency, "
          "queue time and batch sizes. The page is static; its data comes "
          "from the API with the token the user enters.");

ABSL_FLAG(std::string, auth_token_file, "",
          "Bearer tokens, one a line: 'TOKEN GROUP[,GROUP...]' with groups "
          "infer, metadata, admin (repository API), metrics; '#' starts a "
          "comment. Every request but the health probes then needs "
          "'Authorization: Bearer TOKEN' (gRPC: 'authorization' metadata). "
          "SIGHUP re-reads the file. Empty: no authentication.");

namespace {

std::string BinaryDir(const char* argv0) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute(argv0);
  return self.parent_path().string();
}

bool ValidPort(int port) { return port >= 0 && port <= 65535; }

// Whether `address` only reaches this machine.
bool IsLoopback(const std::string& address) {
  return address == "localhost" || address == "::1" || address == "[::1]" ||
         address.starts_with("127.");
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "serves a model repository over KServe v2 HTTP/REST and gRPC.\n"
      "  adlik_serving --model_base_path=DIR [--http_port=8501] "
      "[--grpc_port=8500]");
  // --load_model may be repeated; absl keeps only the last, so gather them all.
  std::vector<std::string> load_models;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    for (std::string_view prefix : {"--load_model=", "-load_model="}) {
      if (!a.starts_with(prefix)) continue;
      std::string_view names = a.substr(prefix.size());
      while (!names.empty()) {
        const size_t comma = std::min(names.find(','), names.size());
        if (comma > 0) load_models.emplace_back(names.substr(0, comma));
        names.remove_prefix(std::min(comma + 1, names.size()));
      }
    }
  }
  // --trace_config is repeated and its values hold commas: gather them all.
  std::vector<std::string> trace_config;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    for (std::string_view flag : {"--trace_config", "-trace_config"}) {
      if (a == flag && i + 1 < argc) {
        trace_config.emplace_back(argv[i + 1]);
      } else if (a.starts_with(flag) && a.size() > flag.size() &&
                 a[flag.size()] == '=') {
        trace_config.emplace_back(a.substr(flag.size() + 1));
      }
    }
  }
  if (std::optional<int> done =
          adlik::tools::ParseFlags(argc, argv,
                                   {.flags_file = "tools/adlik_serving/main.cc",
                                    .version = std::string("adlik_serving ") +
                                               adlik::ServerCore::Version()})) {
    return *done;
  }
  const std::string log_format = absl::GetFlag(FLAGS_log_format);
  if (log_format == "json") adlik::SetLogFormat(adlik::LogFormat::kJson);
  if (log_format != "json" && log_format != "text") {
    LOG(ERROR) << "--log_format: '" << log_format << "' is not text or json";
    return 1;
  }
  if (absl::GetFlag(FLAGS_verbose))
    adlik::SetMinLogLevel(adlik::LogLevel::kVerbose);

  const std::string base = absl::GetFlag(FLAGS_model_base_path);
  const int http_port = absl::GetFlag(FLAGS_http_port);
  const int grpc_port = absl::GetFlag(FLAGS_grpc_port);
  if (base.empty()) {
    LOG(ERROR) << "--model_base_path is required (see --help)";
    return 2;
  }
  const int metrics_port = absl::GetFlag(FLAGS_metrics_port);
  if (!ValidPort(http_port) || !ValidPort(grpc_port) ||
      !ValidPort(metrics_port)) {
    LOG(ERROR)
        << "--http_port, --grpc_port and --metrics_port must be in 0..65535";
    return 2;
  }
  if (http_port == 0 && grpc_port == 0) {
    LOG(ERROR) << "--http_port=0 and --grpc_port=0 turn off both front ends";
    return 2;
  }
  if (absl::GetFlag(FLAGS_http_max_body_mb) < 1 ||
      absl::GetFlag(FLAGS_grpc_max_message_mb) < 1 ||
      absl::GetFlag(FLAGS_grpc_max_message_mb) > 2047) {
    LOG(ERROR) << "--http_max_body_mb must be >= 1 and --grpc_max_message_mb "
                  "in 1..2047";
    return 2;
  }

  std::unique_ptr<adlik::auth::TokenAuth> auth;
  if (const std::string path = absl::GetFlag(FLAGS_auth_token_file);
      !path.empty()) {
    auto loaded = adlik::auth::TokenAuth::FromFile(path);
    if (!loaded.ok()) {
      LOG(ERROR) << "--auth_token_file: " << loaded.status().message();
      return 2;
    }
    auth = std::move(loaded).value();
    LOG(INFO) << "authentication on: " << auth->size() << " token(s) from "
              << path;
  }
  const int http_timeout_ms = absl::GetFlag(FLAGS_http_timeout_in_ms);
  const int idle_seconds = absl::GetFlag(FLAGS_http_idle_timeout_seconds);
  const int max_connections = absl::GetFlag(FLAGS_http_max_connections);
  const int drain_seconds = absl::GetFlag(FLAGS_drain_timeout_seconds);
  if (http_timeout_ms < 1 || idle_seconds < 1) {
    LOG(ERROR) << "--http_timeout_in_ms and --http_idle_timeout_seconds must "
                  "be >= 1";
    return 2;
  }
  if (max_connections < 0 || drain_seconds < 0) {
    LOG(ERROR) << "--http_max_connections and --drain_timeout_seconds must be "
                  ">= 0";
    return 2;
  }
  std::optional<adlik::TlsOptions> tls;
  if (const std::string path = absl::GetFlag(FLAGS_ssl_config_file);
      !path.empty()) {
    auto read = adlik::ReadSslConfigFile(path);
    if (!read.ok()) {
      LOG(ERROR) << "--ssl_config_file: " << read.status().message();
      return 2;
    }
    tls = std::move(read).value();
  }
  auto http_options = [&](int port) {
    adlik::http::HttpServerOptions o;
    o.address = absl::GetFlag(FLAGS_address);
    o.port = port;
    o.request_timeout = std::chrono::milliseconds(http_timeout_ms);
    o.idle_timeout = std::chrono::seconds(idle_seconds);
    o.max_connections = static_cast<size_t>(max_connections);
    o.tls = tls;
    return o;
  };
  const char* scheme = tls ? "HTTPS" : "HTTP";

  // Signals are taken by sigwait below, never by a worker thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  adlik::ServerOptions options;
  options.model_base_path = base;
  options.runtime_dir = absl::GetFlag(FLAGS_runtime_dir);
  if (options.runtime_dir.empty()) options.runtime_dir = BinaryDir(argv[0]);
  options.cores = absl::GetFlag(FLAGS_cores);
  options.server_name = absl::GetFlag(FLAGS_server_name);
  const std::string mode = absl::GetFlag(FLAGS_model_control_mode);
  if (mode == "explicit") {
    options.control_mode = adlik::ControlMode::kExplicit;
  } else if (mode != "poll") {
    LOG(ERROR) << "--model_control_mode: '" << mode
               << "' is not poll or explicit";
    return 2;
  }
  if (!load_models.empty() &&
      options.control_mode != adlik::ControlMode::kExplicit) {
    LOG(ERROR) << "--load_model needs --model_control_mode=explicit";
    return 2;
  }
  options.startup_models = load_models;
  options.poll_seconds = absl::GetFlag(FLAGS_fs_poll_wait_seconds);
  if (options.poll_seconds < 0) {
    LOG(ERROR) << "--fs_poll_wait_seconds must be >= 0";
    return 2;
  }
  options.strict_readiness = absl::GetFlag(FLAGS_strict_readiness);
  options.load_timeout_seconds =
      absl::GetFlag(FLAGS_model_load_timeout_seconds);
  if (options.load_timeout_seconds < 0) {
    LOG(ERROR) << "--model_load_timeout_seconds must be >= 0";
    return 2;
  }
  const std::string rate_limit = absl::GetFlag(FLAGS_rate_limit);
  if (rate_limit != "execution_count" && rate_limit != "off") {
    LOG(ERROR) << "--rate_limit must be execution_count or off, not '"
               << rate_limit << "'";
    return 2;
  }
  options.rate_limit = rate_limit == "execution_count";
  // Checked by ServerCore::Create, which names a malformed one.
  options.rate_limit_resources = absl::GetFlag(FLAGS_rate_limit_resource);
  auto trace = adlik::ParseTraceConfig(trace_config);
  if (!trace.ok()) {
    LOG(ERROR) << trace.status().message();
    return 2;
  }
  options.trace = std::move(trace).value();
  auto core = adlik::ServerCore::Create(options);
  if (!core.ok()) {
    LOG(ERROR) << core.status().message();
    return 1;
  }

  if (!auth && !IsLoopback(absl::GetFlag(FLAGS_address)) &&
      options.control_mode == adlik::ControlMode::kExplicit) {
    LOG(WARNING) << "listening on " << absl::GetFlag(FLAGS_address)
                 << " with the repository API on "
                    "(--model_control_mode=explicit) and no "
                    "--auth_token_file: anyone who reaches the ports can "
                    "load and unload models (see docs/security.md)";
  }

  adlik::PrometheusMetrics prometheus(core->get());
  // The Adlik and TensorFlow Serving APIs beside KServe's, on the same ports.
  const adlik::http::V1Apis v1_apis{absl::GetFlag(FLAGS_enable_adlik_api),
                                    absl::GetFlag(FLAGS_enable_tfserving_api)};
  adlik::http::V1HttpHandler v1_handler(core->get(), v1_apis);
  std::vector<std::unique_ptr<grpc::Service>> v1_services;
  if (v1_apis.adlik) {
    for (auto& s :
         adlik::grpc_frontend::MakeAdlikServices(core->get(), auth.get()))
      v1_services.push_back(std::move(s));
  }
  if (v1_apis.tfserving) {
    for (auto& s :
         adlik::grpc_frontend::MakeTfServingServices(core->get(), auth.get()))
      v1_services.push_back(std::move(s));
  }
  adlik::shm::SharedMemoryRegistry shared_memory;
  adlik::http::KServeHttpHandler handler(
      core->get(), &prometheus, auth.get(), &shared_memory,
      v1_apis.adlik || v1_apis.tfserving ? &v1_handler : nullptr);
  adlik::http::DashboardHttpHandler with_dashboard(&handler);
  std::unique_ptr<adlik::http::HttpServer> http;
  if (http_port != 0) {
    adlik::http::HttpServerOptions ho = http_options(http_port);
    ho.threads = absl::GetFlag(FLAGS_http_num_threads);
    ho.max_body_bytes =
        static_cast<size_t>(absl::GetFlag(FLAGS_http_max_body_mb)) << 20;
    const bool dashboard = absl::GetFlag(FLAGS_dashboard);
    auto started = adlik::http::HttpServer::Start(
        ho, dashboard ? static_cast<adlik::http::HttpHandler*>(&with_dashboard)
                      : &handler);
    if (!started.ok()) {
      LOG(ERROR) << started.status().message();
      return 1;
    }
    http = std::move(started).value();
    LOG(INFO) << scheme << " (KServe v2 REST) listening on " << ho.address
              << ":" << http->port();
    if (dashboard) {
      LOG(INFO) << "Dashboard at " << (tls ? "https" : "http") << "://"
                << ho.address << ":" << http->port() << "/dashboard";
    }
  }
  std::unique_ptr<adlik::grpc_frontend::GrpcServer> grpc;
  if (grpc_port != 0) {
    adlik::grpc_frontend::GrpcServerOptions go;
    go.address = absl::GetFlag(FLAGS_address);
    go.port = grpc_port;
    go.max_message_bytes = absl::GetFlag(FLAGS_grpc_max_message_mb) << 20;
    go.auth = auth.get();
    go.shm = &shared_memory;
    go.tls = tls;
    for (auto& s : v1_services) go.services.push_back(s.get());
    auto started = adlik::grpc_frontend::GrpcServer::Start(go, core->get());
    if (!started.ok()) {
      LOG(ERROR) << started.status().message();
      return 1;
    }
    grpc = std::move(started).value();
    LOG(INFO) << "gRPC (KServe v2" << (tls ? ", TLS" : "") << ") listening on "
              << go.address << ":" << grpc->port();
  }
  adlik::http::MetricsHttpHandler metrics_handler(&prometheus, auth.get());
  std::unique_ptr<adlik::http::HttpServer> metrics;
  if (metrics_port != 0) {
    adlik::http::HttpServerOptions mo = http_options(metrics_port);
    mo.threads = 1;
    mo.max_body_bytes = 1 << 16;
    auto started = adlik::http::HttpServer::Start(mo, &metrics_handler);
    if (!started.ok()) {
      LOG(ERROR) << started.status().message();
      return 1;
    }
    metrics = std::move(started).value();
    LOG(INFO) << "Prometheus metrics on " << mo.address << ":"
              << metrics->port() << "/metrics";
  }
  LOG(INFO) << "Entering the event loop ...";

  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
    if (!auth) {
      LOG(INFO) << "SIGHUP: no --auth_token_file to re-read";
      continue;
    }
    if (adlik::Status s = auth->Reload(); !s.ok()) {
      LOG(ERROR) << "SIGHUP: --auth_token_file: " << s.message()
                 << " (keeping the " << auth->size() << " token(s) in use)";
    } else {
      LOG(INFO) << "SIGHUP: " << auth->size() << " token(s) from "
                << auth->path();
    }
  }
  LOG(INFO) << "signal " << sig
            << ": draining (answering the requests received, at most "
            << drain_seconds << " s)";
  const auto drain = std::chrono::seconds(drain_seconds);
  const auto deadline = std::chrono::steady_clock::now() + drain;
  // Both HTTP servers refuse new work at once; gRPC's Shutdown blocks.
  // Each stage is logged, so that a stop that takes long says where.
  if (http) http->Drain();
  if (metrics) metrics->Drain();
  if (grpc) {
    grpc->Shutdown(std::chrono::system_clock::now() + drain);
    LOG(INFO) << "gRPC stopped";
  }
  if (http) {
    http->Stop(deadline);
    LOG(INFO) << "HTTP stopped";
  }
  if (metrics) metrics->Stop(deadline);
  (*core)->Shutdown();
  LOG(INFO) << "stopped";
  return 0;
}
