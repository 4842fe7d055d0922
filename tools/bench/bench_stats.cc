#include "bench_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace adlik::bench {

double Percentile(const std::vector<double>& sorted, double p) {
  const auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * n));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

LatencySummary Summarize(std::vector<double> latencies_ms, double wall_s,
                         int batch_size) {
  LatencySummary s;
  if (latencies_ms.empty()) return s;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  s.requests = static_cast<int>(latencies_ms.size());
  s.mean_ms = std::accumulate(latencies_ms.begin(), latencies_ms.end(), 0.0) /
              static_cast<double>(s.requests);
  s.p50_ms = Percentile(latencies_ms, 50);
  s.p90_ms = Percentile(latencies_ms, 90);
  s.p99_ms = Percentile(latencies_ms, 99);
  s.min_ms = latencies_ms.front();
  s.max_ms = latencies_ms.back();
  s.wall_s = wall_s;
  if (wall_s > 0) {
    s.throughput = static_cast<double>(s.requests) * batch_size / wall_s;
  }
  return s;
}

}  // namespace adlik::bench
