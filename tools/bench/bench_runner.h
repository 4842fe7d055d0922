// Runs the seed's measurement on one InferTarget: warm-up requests, then
// timed requests, from `concurrency` workers at once, rotating through the
// input sets.
//
//   worker w (of C) sends its share of the warm-up requests, waits until
//   every worker is warm, then sends its share of the timed requests; request
//   j of worker w uses input set (w + j*C) mod K.
//
// Each timed request's latency is the time from sending it to having its
// outputs (for a served target: in the client, decoded). The wall time runs
// from the start of the timed phase to the end of its last request.
// A failed request stops the run: its error is the run's error.
//
// Latencies and wall times of several runs on one target (adlik_bench runs
// the protocols in turn, in rounds, so that a load that comes and goes on a
// shared machine falls on all of them alike) add up in RunSamples.
//
// Thread-safety: RunBenchmark is blocking and starts its own threads.
#ifndef ADLIK_TOOLS_BENCH_BENCH_RUNNER_H_
#define ADLIK_TOOLS_BENCH_BENCH_RUNNER_H_

#include <vector>

#include "infer_target.h"
#include "input_sets.h"

namespace adlik::bench {

struct RunOptions {
  int iterations = 100;  // timed requests, over all workers
  int warmup = 10;       // untimed requests first, over all workers
  int concurrency = 1;   // workers sending at once
};

struct RunSamples {
  std::vector<double> latencies_ms;  // one per timed request
  double wall_s = 0;                 // summed over the runs
};

// Runs once on `target` and appends to `*samples`. `target` must have been
// Prepare()d for options.concurrency workers; `sets` must not be empty.
// `first_set` offsets the rotation (so that consecutive runs continue it).
Status RunBenchmark(InferTarget& target, const std::vector<InputSet>& sets,
                    const RunOptions& options, size_t first_set,
                    RunSamples* samples);

}  // namespace adlik::bench

#endif  // ADLIK_TOOLS_BENCH_BENCH_RUNNER_H_
