// The conversion graph: formats are nodes, passes are edges.
//
// A pass reads one base format and writes another (or the same one with a
// property added: "onnx" -> "onnx(static)"). Each pass declares whether it is
// available in this build; a pass that needs an SDK the build lacks is still
// declared, with `needs` saying what is missing, so that asking for its target
// names the missing piece instead of claiming the target does not exist, and
// so that adding the SDK is the only step left.
//
// FindPath does a breadth-first search over formats (base + properties) from
// the source to the target: the shortest path of available passes, ties
// broken by the order passes were added; it asks a pass whether it is
// available only once the pass applies to a format the search reached. When
// only unavailable passes lead there, the error names them and the path they
// would take.
//
//   ConversionGraph graph = DefaultGraph();
//   ASSIGN_OR_RETURN(Path path, graph.FindPath({"onnx"}, "onnxruntime",
//   kFp16)); DescribePath(path);  // "onnx -> onnx(fp16) -> onnxruntime"
//
// Thread-safety: Add is not thread-safe; const methods are. Paths point into
// the graph, which must outlive them and not change while they are used.
#ifndef ADLIK_COMPILER_CONVERSION_GRAPH_H_
#define ADLIK_COMPILER_CONVERSION_GRAPH_H_

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adlik/status.h"
#include "artifact.h"
#include "request.h"

namespace adlik::compiler {

// Runs one pass: takes the model, returns the converted one. Must not throw.
using PassFunction =
    std::function<StatusOr<Artifact>(Artifact, const CompileRequest&)>;

struct Pass {
  std::string name;                  // "fix_shapes"
  std::string from;                  // base format read
  std::string to;                    // base format written
  unsigned requires_properties = 0;  // the input must have these
  // Properties the output gains. A pass is never applied to a format that
  // already has all of them (fp16 twice is not a step forward).
  unsigned adds_properties = 0;
  std::string description;  // one line, for --list_passes
  std::string needs;        // what is missing here; empty: nothing known
  // For a pass whose availability costs work to find out (starting a
  // process): what is missing here, asked on the pass's first Missing() call
  // rather than when the graph is built, so that a search that never reaches
  // the pass's source format never pays for it. Must remember its answer and
  // be callable from several threads.
  std::function<std::string()> probe;
  PassFunction run;  // set iff it can run when nothing is missing

  // What is missing here: `needs`, else what `probe` says; empty: available.
  std::string Missing() const {
    return needs.empty() && probe ? probe() : needs;
  }
  bool available() const { return run != nullptr && Missing().empty(); }
};

struct Path {
  std::vector<const Pass*> passes;
  std::vector<Format> formats;  // formats[i] --passes[i]--> formats[i + 1]
};

class ConversionGraph {
 public:
  ConversionGraph() = default;
  ConversionGraph(ConversionGraph&&) = default;
  ConversionGraph& operator=(ConversionGraph&&) = default;

  void Add(Pass pass);
  const std::deque<Pass>& passes() const { return passes_; }

  // The shortest path of available passes from `source` to a format whose
  // base is `target` and which has every property in `required`. Errors:
  // UNIMPLEMENTED when only unavailable passes lead there (the message names
  // each missing piece and the path); INVALID_ARGUMENT when nothing does.
  StatusOr<Path> FindPath(const Format& source, std::string_view target,
                          unsigned required) const;

 private:
  // BFS; `only_available` restricts it to available passes. Empty optional
  // when the target cannot be reached.
  std::optional<Path> Search(const Format& source, std::string_view target,
                             unsigned required, bool only_available) const;

  std::deque<Pass> passes_;  // a deque keeps Pass addresses stable
};

// "onnx -> onnx(static) -> onnx(fp16) -> onnxruntime": each format after the
// first is shown with the properties its pass added.
std::string DescribePath(const Path& path);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_CONVERSION_GRAPH_H_
