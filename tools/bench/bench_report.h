// What adlik_bench found, and the three forms it gives it in: a table on
// stdout, a JSON document, and CSV rows.
//
// Ratios are served / bare: `latency_ratio` = served mean latency / bare mean
// latency (> 1: serving adds time), `throughput_ratio` = served throughput /
// bare throughput (the "serving efficiency"; < 1: serving costs throughput).
// Both are absent when the run did not measure the bare runtime.
//
// JSON form (one object):
//   {"model", "version", "batch_size", "iterations", "warmup", "concurrency",
//    "input_sets", "seed", "cores", "instances",
//    "server": {"started": bool, "command": [..], "grpc_url", "http_url"},
//    "results": [{"protocol": "bare"|"grpc"|"http", "requests", "mean_ms",
//                 "p50_ms", "p90_ms", "p99_ms", "min_ms", "max_ms", "wall_s",
//                 "throughput", "latency_ratio", "throughput_ratio",
//                 "outputs_match": bool|null, "max_abs_diff"}]}
// CSV: a header line, then one line per protocol with the run's settings.
//
// Thread-safety: pure functions.
#ifndef ADLIK_TOOLS_BENCH_BENCH_REPORT_H_
#define ADLIK_TOOLS_BENCH_BENCH_REPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "adlik/status.h"
#include "bench_stats.h"

namespace adlik::bench {

struct ProtocolResult {
  std::string protocol;
  LatencySummary summary;
  // Whether this protocol's outputs for input set 0 equal the bare
  // runtime's (nullopt: not compared).
  std::optional<bool> outputs_match;
  double max_abs_diff = 0;
};

struct BenchReport {
  std::string model;
  std::string version;
  int batch_size = 1;
  int iterations = 0;
  int warmup = 0;
  int concurrency = 1;
  int rounds = 1;
  int input_sets = 0;
  uint64_t seed = 0;
  int cores = 0;
  int instances = 0;
  bool server_started = false;
  std::vector<std::string> server_command;
  std::string grpc_url;
  std::string http_url;
  std::vector<ProtocolResult> results;
};

// The bare result, or null.
const ProtocolResult* FindBare(const BenchReport& report);

std::string FormatTable(const BenchReport& report);
std::string FormatJson(const BenchReport& report);
std::string FormatCsv(const BenchReport& report);

// Writes `text` to `path` (replacing it).
Status WriteFile(const std::string& path, const std::string& text);

}  // namespace adlik::bench

#endif  // ADLIK_TOOLS_BENCH_BENCH_REPORT_H_
