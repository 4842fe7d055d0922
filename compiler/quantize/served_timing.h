// The served side of the int8 report: a model timed through the runtime
// plugin the server loads (libadlik_runtime_<name>.so), in-process through
// the server's runtime host (runtime_host/bare_model.h: the model, one CPU
// instance, execute) with the spec the server would give it, on the
// validation samples adlik_quantize.py wrote (its --samples folder). What a
// request to adlik_serving adds on top is not in it: the network, the
// protocol's encoding, the scheduler's queue.
//
// Thread-safety: the functions are reentrant.
// Ownership: the runtime must outlive the call; the samples own their bytes.
#ifndef ADLIK_COMPILER_QUANTIZE_SERVED_TIMING_H_
#define ADLIK_COMPILER_QUANTIZE_SERVED_TIMING_H_

#include <string>
#include <vector>

#include "adlik/status.h"
#include "adlik/tensor.h"
#include "artifact.h"
#include "runtime_host/engine.h"
#include "runtime_host/runtime_plugin.h"

namespace adlik::compiler {

// A model as its runtime's files: the default model file and its side files.
struct ServedModel {
  std::string bytes;
  std::vector<SideFile> side_files;
};

// The samples of FOLDER/samples.txt: one line per sample, `FILE INPUT` for
// each of its inputs (FILE a .npy in FOLDER). An error names the file and
// line of a line without pairs, a missing or unreadable .npy, or a sample
// whose inputs differ from the first sample's; no samples is an error.
StatusOr<std::vector<std::vector<Tensor>>> ReadSamples(
    const std::string& folder);

// The mean milliseconds per sample of `model` loaded through `runtime` as
// `spec` (name, max_batch_size, declared tensors), one CPU instance, one
// request per sample, after one warm-up request of the first sample.
// Errors are the runtime's, prefixed with what failed.
StatusOr<double> TimeServed(RuntimePlugin& runtime, host::ModelSpec spec,
                            const ServedModel& model,
                            const std::vector<std::vector<Tensor>>& samples);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_QUANTIZE_SERVED_TIMING_H_
