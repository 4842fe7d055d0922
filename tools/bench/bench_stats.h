// Summaries of one measured run: latency percentiles and throughput, the
// figures adlik_bench prints and writes.
//
// Percentiles use the nearest-rank method on the sorted latencies (p50 of
// {1,2,3,4} is 2), so every figure is one observed latency.
//
// Thread-safety: pure functions over values.
#ifndef ADLIK_TOOLS_BENCH_BENCH_STATS_H_
#define ADLIK_TOOLS_BENCH_BENCH_STATS_H_

#include <vector>

namespace adlik::bench {

struct LatencySummary {
  int requests = 0;  // timed requests
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  double wall_s = 0;  // duration of the timed phase
  // Inferences (requests x batch size) per second of the timed phase.
  double throughput = 0;
};

// The nearest-rank percentile `p` (0 < p <= 100) of `sorted` (ascending,
// not empty).
double Percentile(const std::vector<double>& sorted, double p);

// Summarizes `latencies_ms` (any order; empty gives all zeros) of requests
// of `batch_size` each, timed over `wall_s` seconds.
LatencySummary Summarize(std::vector<double> latencies_ms, double wall_s,
                         int batch_size);

}  // namespace adlik::bench

#endif  // ADLIK_TOOLS_BENCH_BENCH_STATS_H_
