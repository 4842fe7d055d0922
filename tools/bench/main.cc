// adlik_bench: the seed's benchmark method as a tool. In one run it measures
// a model three ways and compares them:
//
//   bare   the model's runtime called in-process (the same plugin, threads,
//          instance count and batch the server uses): the analogue of the
//          vendor's bare tool, `topsexec`;
//   grpc   the model served by adlik_serving, over KServe v2 gRPC;
//   http   the same over KServe v2 HTTP/REST with binary tensors.
//
//   adlik_bench --model_base_path=REPO --model=resnet50 --batch_size=1
//       --iterations=1200 --warmup=10 --json=resnet50.json
//
// It starts an adlik_serving of its own (the binary next to this one, on
// free loopback ports, loading only the model measured) unless --grpc_url /
// --http_url name a running server. It prints a table (mean, p50, p90, p99
// latency, throughput, served/bare ratios) and writes the same as JSON
// (--json) and CSV (--csv). Inputs are random with a fixed seed, several
// sets rotated so that no cache sees the same bytes twice in a row. The
// outputs of every served protocol for input set 0 are compared with the
// bare runtime's. With --rounds=R the timed requests are split into R rounds
// that go through the protocols in turn (the bare model stays loaded while
// the server runs).
//
// Exit status: 0 when every protocol ran, 1 when one failed (its error is
// printed), 2 on a usage error.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/usage.h"
#include "adlik/client/grpc_client.h"
#include "adlik/client/http_client.h"
#include "bare_target.h"
#include "base/logging.h"
#include "bench_report.h"
#include "bench_runner.h"
#include "flags/parse_flags.h"
#include "infer_target.h"
#include "input_sets.h"
#include "runtime_host/runtime_registry.h"
#include "server_process.h"

ABSL_FLAG(std::string, model_base_path, "",
          "The model repository (needed for the bare runtime and for a server "
          "this tool "
          "starts).");
ABSL_FLAG(std::string, model, "", "The model to measure.");
ABSL_FLAG(int64_t, version, 0,
          "The model version; 0: the highest in the repository.");
ABSL_FLAG(int32_t, batch_size, 1, "Batch size of every request.");
ABSL_FLAG(int32_t, iterations, 100,
          "Timed requests per protocol (over all workers).");
ABSL_FLAG(int32_t, warmup, 10,
          "Untimed requests per protocol before the timed ones.");
ABSL_FLAG(int32_t, concurrency, 1,
          "Requests in flight at once (one worker each).");
ABSL_FLAG(
    int32_t, rounds, 1,
    "Split the timed requests into this many rounds; each round measures every "
    "protocol in turn, so that a load that comes and goes on a shared machine "
    "falls "
    "on all of them alike.");
ABSL_FLAG(std::string, protocol, "bare,grpc,http",
          "Comma-separated: bare (in-process runtime), grpc, http.");
ABSL_FLAG(std::string, json, "", "Write the results as JSON to this file.");
ABSL_FLAG(std::string, csv, "", "Write the results as CSV to this file.");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the random inputs.");
ABSL_FLAG(int32_t, input_sets, 4,
          "Distinct input sets rotated through (fewer if they would exceed "
          "--max_input_mb).");
ABSL_FLAG(int32_t, max_input_mb, 1024,
          "Memory the input sets may take, in MiB.");
ABSL_FLAG(std::string, shape, "",
          "Shapes of inputs with variable dimensions, batch excluded: "
          "NAME:D1xD2[,NAME:...].");
ABSL_FLAG(std::string, range, "",
          "Integer value ranges (inclusive) per input: "
          "NAME:LO:HI[,NAME:LO:HI]. Default 0:99.");
ABSL_FLAG(std::string, grpc_url, "",
          "host:port of a running server's gRPC API; empty: start one.");
ABSL_FLAG(std::string, http_url, "",
          "host:port of a running server's HTTP API; empty: start one.");
ABSL_FLAG(
    std::string, server, "",
    "The adlik_serving binary to start. Default: the one next to this binary.");
ABSL_FLAG(std::string, server_args, "",
          "Extra flags for the started server, separated by spaces.");
ABSL_FLAG(std::string, server_log, "",
          "Where the started server's output goes. Default: a file in /tmp.");
ABSL_FLAG(std::string, runtime_dir, "",
          "Folder of the runtime plugins. Default: the folder of this binary.");
ABSL_FLAG(int32_t, cores, 0,
          "Cores the model may use, for the bare runtime and the started "
          "server alike "
          "(thread pools are sized from it). 0: all.");
ABSL_FLAG(int32_t, startup_timeout_s, 600,
          "How long to wait for the started server's model.");

namespace adlik::bench {
namespace {

std::string BinaryDir(const char* argv0) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute(argv0);
  return self.parent_path().string();
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string p; std::getline(in, p, sep);)
    if (!p.empty()) parts.push_back(p);
  return parts;
}

int Mib(int64_t bytes) {
  return static_cast<int>((bytes + (1 << 20) - 1) >> 20);
}

// Bytes of one response: outputs with fixed dims; variable ones count 0.
int64_t OutputBytes(const inference::ModelConfig& config, int batch) {
  int64_t total = 0;
  for (const auto& o : config.output()) {
    int64_t n = config.max_batch_size() > 0 ? batch : 1;
    for (int64_t d : o.dims()) n *= std::max<int64_t>(d, 0);
    const size_t size = DataTypeSize(static_cast<DataType>(o.data_type()));
    total += n * static_cast<int64_t>(size == 0 ? 8 : size);
  }
  return total;
}

std::vector<std::string> OutputNames(const inference::ModelConfig& config) {
  std::vector<std::string> names;
  for (const auto& o : config.output()) names.push_back(o.name());
  return names;
}

// The measured protocols, checked.
StatusOr<std::vector<std::string>> Protocols() {
  std::vector<std::string> list = Split(absl::GetFlag(FLAGS_protocol), ',');
  if (list.empty()) return InvalidArgument("--protocol is empty");
  std::set<std::string> seen;
  for (const auto& p : list) {
    if (p != "bare" && p != "grpc" && p != "http") {
      return InvalidArgument("--protocol: '" + p +
                             "' is not bare, grpc or http");
    }
    if (!seen.insert(p).second)
      return InvalidArgument("--protocol names '" + p + "' twice");
  }
  return list;
}

class Bench {
 public:
  explicit Bench(std::string binary_dir) : binary_dir_(std::move(binary_dir)) {}

  // Returns 0, 1 or 2 as main does.
  int Run() {
    Status s = RunAll();
    if (server_) {
      Status stopped = server_->Stop();
      if (s.ok()) s = stopped;
    }
    if (s.ok()) return 0;
    std::cerr << "adlik_bench: " << s.message() << "\n";
    return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }

 private:
  bool Has(const char* protocol) const {
    return std::find(protocols_.begin(), protocols_.end(), protocol) !=
           protocols_.end();
  }

  Status CheckFlags() {
    ASSIGN_OR_RETURN(protocols_, Protocols());
    if (absl::GetFlag(FLAGS_model).empty())
      return InvalidArgument("--model is required");
    const bool start_server =
        (Has("grpc") && absl::GetFlag(FLAGS_grpc_url).empty()) ||
        (Has("http") && absl::GetFlag(FLAGS_http_url).empty());
    if ((Has("bare") || start_server) &&
        absl::GetFlag(FLAGS_model_base_path).empty()) {
      return InvalidArgument(
          "--model_base_path is required (for the bare runtime or the started "
          "server)");
    }
    if (absl::GetFlag(FLAGS_iterations) < 1)
      return InvalidArgument("--iterations must be >= 1");
    if (absl::GetFlag(FLAGS_warmup) < 0)
      return InvalidArgument("--warmup must be >= 0");
    if (absl::GetFlag(FLAGS_concurrency) < 1)
      return InvalidArgument("--concurrency must be >= 1");
    if (absl::GetFlag(FLAGS_input_sets) < 1)
      return InvalidArgument("--input_sets must be >= 1");
    if (absl::GetFlag(FLAGS_rounds) < 1)
      return InvalidArgument("--rounds must be >= 1");
    ASSIGN_OR_RETURN(input_options_.shapes,
                     ParseShapes(absl::GetFlag(FLAGS_shape)));
    ASSIGN_OR_RETURN(input_options_.ranges,
                     ParseRanges(absl::GetFlag(FLAGS_range)));
    input_options_.batch_size = absl::GetFlag(FLAGS_batch_size);
    return Status::Ok();
  }

  Status RunAll() {
    RETURN_IF_ERROR(CheckFlags());
    cores_ = absl::GetFlag(FLAGS_cores);
    if (cores_ <= 0)
      cores_ =
          static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    runtime_dir_ = absl::GetFlag(FLAGS_runtime_dir);
    if (runtime_dir_.empty()) runtime_dir_ = binary_dir_;
    report_.model = absl::GetFlag(FLAGS_model);
    report_.batch_size = input_options_.batch_size;
    report_.iterations = absl::GetFlag(FLAGS_iterations);
    report_.warmup = absl::GetFlag(FLAGS_warmup);
    report_.concurrency = absl::GetFlag(FLAGS_concurrency);
    report_.seed = absl::GetFlag(FLAGS_seed);
    report_.cores = cores_;
    report_.rounds = std::min(absl::GetFlag(FLAGS_rounds), report_.iterations);

    // Every target is made (and checked with one request) before any is
    // measured, so that the measurement can go round them in turn.
    std::vector<std::unique_ptr<InferTarget>> targets;
    if (Has("bare")) RETURN_IF_ERROR(MakeBare(&targets));
    if (Has("grpc") || Has("http")) RETURN_IF_ERROR(MakeServed(&targets));
    std::sort(
        targets.begin(), targets.end(), [&](const auto& a, const auto& b) {
          return std::find(protocols_.begin(), protocols_.end(), a->name()) <
                 std::find(protocols_.begin(), protocols_.end(), b->name());
        });

    std::vector<RunSamples> samples(targets.size());
    const int rounds = report_.rounds;
    for (int r = 0; r < rounds; ++r) {
      RunOptions o;
      o.iterations = report_.iterations / rounds +
                     (r < report_.iterations % rounds ? 1 : 0);
      // Warm-up before the first round only: engines, arenas and
      // connections stay warm between rounds.
      o.warmup = r == 0 ? report_.warmup : 0;
      o.concurrency = report_.concurrency;
      for (size_t t = 0; t < targets.size(); ++t) {
        RETURN_IF_ERROR(RunBenchmark(*targets[t], sets_, o,
                                     samples[t].latencies_ms.size(),
                                     &samples[t]));
      }
    }
    for (size_t t = 0; t < targets.size(); ++t) {
      ProtocolResult& result = Result(targets[t]->name());
      result.summary = Summarize(std::move(samples[t].latencies_ms),
                                 samples[t].wall_s, report_.batch_size);
    }
    targets.clear();  // the bare target before the registry, clients before the
                      // server
    std::stable_sort(
        report_.results.begin(), report_.results.end(),
        [&](const ProtocolResult& a, const ProtocolResult& b) {
          return std::find(protocols_.begin(), protocols_.end(), a.protocol) <
                 std::find(protocols_.begin(), protocols_.end(), b.protocol);
        });

    std::cout << FormatTable(report_) << std::flush;
    if (!absl::GetFlag(FLAGS_json).empty()) {
      RETURN_IF_ERROR(
          WriteFile(absl::GetFlag(FLAGS_json), FormatJson(report_)));
    }
    if (!absl::GetFlag(FLAGS_csv).empty()) {
      RETURN_IF_ERROR(WriteFile(absl::GetFlag(FLAGS_csv), FormatCsv(report_)));
    }
    for (const auto& p : report_.results) {
      if (p.outputs_match && !*p.outputs_match) {
        return Internal(p.protocol +
                        ": the outputs differ from the bare runtime's");
      }
    }
    return Status::Ok();
  }

  ProtocolResult& Result(const std::string& protocol) {
    for (auto& p : report_.results)
      if (p.protocol == protocol) return p;
    report_.results.push_back({protocol, {}, std::nullopt, 0});
    return report_.results.back();
  }

  Status PrepareInputs(const inference::ModelConfig& config) {
    ASSIGN_OR_RETURN(specs_, InputSpecsFromConfig(config, input_options_));
    outputs_ = OutputNames(config);
    const int64_t set_bytes = std::max<int64_t>(1, InputSetBytes(specs_));
    const int64_t budget = int64_t{absl::GetFlag(FLAGS_max_input_mb)} << 20;
    const int count = static_cast<int>(std::clamp<int64_t>(
        budget / set_bytes, 1, absl::GetFlag(FLAGS_input_sets)));
    sets_ = MakeInputSets(specs_, count, report_.seed);
    report_.input_sets = count;
    report_.instances = InstanceCount(config);
    request_bytes_ = InputSetBytes(specs_);
    response_bytes_ = OutputBytes(config, input_options_.batch_size);
    return Status::Ok();
  }

  Status MakeBare(std::vector<std::unique_ptr<InferTarget>>* targets) {
    registry_ = std::make_unique<RuntimeRegistry>(runtime_dir_, cores_);
    ASSIGN_OR_RETURN(
        LoadedBareModel loaded,
        LoadBareModel(*registry_, absl::GetFlag(FLAGS_model_base_path),
                      absl::GetFlag(FLAGS_model),
                      absl::GetFlag(FLAGS_version)));
    report_.version = std::to_string(loaded.version);
    RETURN_IF_ERROR(PrepareInputs(loaded.config));
    auto target =
        std::make_unique<BareTarget>(std::move(loaded), specs_, outputs_);
    RETURN_IF_ERROR(target->Prepare(report_.concurrency));
    RETURN_IF_ERROR(target->Infer(0, sets_[0], &reference_).WithPrefix("bare"));
    Result("bare");
    targets->push_back(std::move(target));
    return Status::Ok();
  }

  StatusOr<std::unique_ptr<client::InferenceClient>> MakeClient(
      const std::string& protocol, const std::string& url) {
    if (protocol == "grpc") {
      client::GrpcClientOptions o;
      o.url = url;
      ASSIGN_OR_RETURN(auto c, client::GrpcClient::Create(o));
      return std::unique_ptr<client::InferenceClient>(std::move(c));
    }
    client::HttpClientOptions o;
    o.url = url;
    ASSIGN_OR_RETURN(auto c, client::HttpClient::Create(o));
    return std::unique_ptr<client::InferenceClient>(std::move(c));
  }

  Status MakeServed(std::vector<std::unique_ptr<InferTarget>>* targets) {
    std::string grpc_url = absl::GetFlag(FLAGS_grpc_url);
    std::string http_url = absl::GetFlag(FLAGS_http_url);
    if ((Has("grpc") && grpc_url.empty()) ||
        (Has("http") && http_url.empty())) {
      ASSIGN_OR_RETURN(server_, StartServer());
      if (grpc_url.empty()) grpc_url = server_->grpc_url();
      if (http_url.empty()) http_url = server_->http_url();
      report_.server_started = true;
      report_.server_command = server_->command();
    }
    report_.grpc_url = Has("grpc") ? grpc_url : "";
    report_.http_url = Has("http") ? http_url : "";
    const std::string model = report_.model;
    if (sets_.empty()) {
      // No bare runtime: the server tells what the model takes.
      const bool grpc = Has("grpc");
      const std::string version = FlagVersion();
      ASSIGN_OR_RETURN(auto c, MakeClient(grpc ? "grpc" : "http",
                                          grpc ? grpc_url : http_url));
      ASSIGN_OR_RETURN(auto config, c->GetModelConfig(model, version));
      ASSIGN_OR_RETURN(auto metadata, c->GetModelMetadata(model, version));
      report_.version =
          metadata.versions.empty() ? version : metadata.versions.back();
      RETURN_IF_ERROR(PrepareInputs(config));
    }
    for (const std::string& protocol : protocols_) {
      if (protocol == "bare") continue;
      const std::string url = protocol == "grpc" ? grpc_url : http_url;
      auto target = std::make_unique<ClientTarget>(
          protocol, [this, protocol, url] { return MakeClient(protocol, url); },
          model, specs_, outputs_);
      RETURN_IF_ERROR(target->Prepare(report_.concurrency));
      ProtocolResult& result = Result(protocol);
      std::vector<OwnedTensor> outputs;
      RETURN_IF_ERROR(
          target->Infer(0, sets_[0], &outputs).WithPrefix(protocol));
      if (!reference_.empty()) {
        const Status same =
            CompareOutputs(outputs, reference_, &result.max_abs_diff);
        result.outputs_match = same.ok();
        if (!same.ok())
          std::cerr << "adlik_bench: " << protocol << ": " << same.message()
                    << "\n";
      }
      targets->push_back(std::move(target));
    }
    return Status::Ok();
  }

  std::string FlagVersion() const {
    const int64_t v = absl::GetFlag(FLAGS_version);
    return v > 0 ? std::to_string(v) : "";
  }

  StatusOr<std::unique_ptr<ServerProcess>> StartServer() {
    ServerProcessOptions o;
    o.binary = absl::GetFlag(FLAGS_server);
    if (o.binary.empty()) o.binary = binary_dir_ + "/adlik_serving";
    o.model_base_path = absl::GetFlag(FLAGS_model_base_path);
    o.model = report_.model;
    o.runtime_dir = runtime_dir_;
    o.cores = absl::GetFlag(FLAGS_cores) > 0 ? cores_ : 0;
    if (sets_.empty()) {
      // Sizes unknown until the server tells the config: the largest limits.
      o.grpc_max_message_mb = 2047;
      o.http_max_body_mb = 4096;
    } else {
      // Room for the largest message either way, plus the JSON header.
      const int64_t largest = std::max(request_bytes_, response_bytes_);
      const int mb = std::max(64, Mib(largest + largest / 16 + (1 << 20)));
      o.grpc_max_message_mb = std::min(mb, 2047);
      o.http_max_body_mb = mb;
    }
    o.extra_args = Split(absl::GetFlag(FLAGS_server_args), ' ');
    o.log_path = absl::GetFlag(FLAGS_server_log);
    if (o.log_path.empty()) {
      o.log_path =
          "/tmp/adlik_bench_server_" + std::to_string(getpid()) + ".log";
    }
    o.startup_timeout_s = absl::GetFlag(FLAGS_startup_timeout_s);
    return ServerProcess::Start(std::move(o));
  }

  const std::string binary_dir_;
  std::vector<std::string> protocols_;
  InputOptions input_options_;
  int cores_ = 0;
  std::string runtime_dir_;
  // Must outlive every model it loaded (the bare target's).
  std::unique_ptr<RuntimeRegistry> registry_;
  std::unique_ptr<ServerProcess> server_;
  std::vector<InputSpec> specs_;
  std::vector<std::string> outputs_;
  std::vector<InputSet> sets_;
  int64_t request_bytes_ = 0;
  int64_t response_bytes_ = 0;
  std::vector<OwnedTensor> reference_;  // bare outputs for set 0
  BenchReport report_;
};

}  // namespace
}  // namespace adlik::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "measures a model bare (in-process runtime) and served (gRPC, HTTP) in "
      "one run.\n"
      "  adlik_bench --model_base_path=REPO --model=NAME [--batch_size=1] "
      "[--iterations=100] [--warmup=10] [--concurrency=1] "
      "[--protocol=bare,grpc,http] "
      "[--json=FILE] [--csv=FILE]");
  if (std::optional<int> done = adlik::tools::ParseFlags(
          argc, argv,
          {.flags_file = "tools/bench/main.cc", .version = "adlik_bench"})) {
    return *done;
  }
  adlik::SetMinLogLevel(adlik::LogLevel::kWarning);
  return adlik::bench::Bench(adlik::bench::BinaryDir(argv[0])).Run();
}
