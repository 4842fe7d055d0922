// The model compiler's library API: plan a conversion path, run it over a
// model in memory or a file, check the result numerically, and write it into
// a model repository. The adlik_compiler CLI is a thin shell over
// CompileFile.
//
//   ConversionGraph graph = DefaultGraph();
//   ASSIGN_OR_RETURN(Plan plan, PlanCompile(graph, request, {"onnx"}));
//   // A model already in memory (the seed's open question):
//   ASSIGN_OR_RETURN(Artifact out, RunPlan(plan, Artifact{{"onnx"}, proto},
//                                           request, progress));
//   // Or everything, from the file the request names:
//   RuntimeRegistry runtimes(runtime_dir, cores);
//   ASSIGN_OR_RETURN(CompileResult r, CompileFile(request, runtimes,
//                                                 progress));
//
// The result is checked through the runtime plugin that will serve it (the
// server's libadlik_runtime_<name>.so, from `runtimes`): the plugin's own
// description gives the config's `backend` and the model file's name, the
// compiled model is loaded by the plugin (its signature is the one the config
// is written from) and the numeric check runs it there.
//
// Every error names what is wrong: the file, the request key, the tensor,
// the pass and what it needs.
//
// Thread-safety: the functions are reentrant; compiling the same model name
// and version into the same repository from two threads races on the files
// (see repository_writer.h).
// Ownership: `runtimes` is borrowed for the call.
#ifndef ADLIK_COMPILER_COMPILER_H_
#define ADLIK_COMPILER_COMPILER_H_

#include <onnx/onnx_pb.h>

#include <functional>
#include <optional>
#include <string>

#include "adlik/status.h"
#include "artifact.h"
#include "conversion_graph.h"
#include "numeric_check.h"
#include "repository_writer.h"
#include "request.h"
#include "runtime_host/runtime_registry.h"
#include "targets.h"

namespace adlik::compiler {

struct Plan {
  Target target;
  Path path;
  unsigned required_properties = 0;  // what the request and target asked for
};

// One step of the work, reported before and after it runs.
struct ProgressEvent {
  enum class Phase { kStart, kDone };
  Phase phase = Phase::kStart;
  int step = 0;        // 1-based pass number; 0 for the steps around the passes
  int steps = 0;       // number of passes in the path
  std::string name;    // "fp16", or "load", "numeric check", "write"
  std::string detail;  // "onnx -> onnx(fp16)"; a summary on kDone
  double seconds = 0;  // on kDone
  bool ok = true;      // on kDone: whether the step succeeded
};
using ProgressCallback = std::function<void(const ProgressEvent&)>;

// The path for `request` from a source of format `source`. Errors: an
// unknown serving_type (INVALID_ARGUMENT), a target this build cannot reach
// (UNIMPLEMENTED, naming the missing SDK), or none at all.
StatusOr<Plan> PlanCompile(const ConversionGraph& graph,
                           const CompileRequest& request, const Format& source);

// Runs the plan's passes over a model in memory. `source.format` must be the
// plan's first format. `progress` may be null.
StatusOr<Artifact> RunPlan(const Plan& plan, Artifact source,
                           const CompileRequest& request,
                           const ProgressCallback& progress);

struct CompileResult {
  std::string path;                    // DescribePath(plan.path)
  std::string runtime;                 // the runtime that serves the result
  std::string runtime_path;            // the plugin file it was checked with
  std::optional<NumericReport> check;  // when the numeric check ran
  std::string check_skipped;           // why it did not, when it did not
  WrittenModel written;
  std::vector<std::string> warnings;  // about the source model
  std::vector<std::string> notes;     // what the passes said, in order
};

// Compiles an ONNX model in memory and writes the repository the request
// names. A compiled model its runtime does not load, or a numeric check above
// the tolerance, is an error and nothing is written.
StatusOr<CompileResult> CompileModel(onnx::ModelProto model,
                                     const CompileRequest& request,
                                     RuntimeRegistry& runtimes,
                                     const ProgressCallback& progress);

// Reads request.input_model and compiles it (CompileModel).
StatusOr<CompileResult> CompileFile(const CompileRequest& request,
                                    RuntimeRegistry& runtimes,
                                    const ProgressCallback& progress);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_COMPILER_H_
