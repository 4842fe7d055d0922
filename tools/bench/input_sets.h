// What adlik_bench sends: the inputs a model takes at a batch size, and sets
// of seeded random tensors for them.
//
// Several sets are made and the measurement rotates through them, so that no
// cache (CPU, engine, server) sees the same bytes twice in a row. Set k of a
// run with seed s is the same on every run and every protocol.
//
// Values: floating types uniform in [-1, 1); integer types uniform in
// [lo, hi] (default [0, 99]; per-input ranges keep, say, token type ids in
// {0, 1}); BOOL 0 or 1; BYTES the decimal text of an integer in [lo, hi].
//
// Thread-safety: pure functions; an InputSet is read-only once made and may
// be read from any number of threads.
#ifndef ADLIK_TOOLS_BENCH_INPUT_SETS_H_
#define ADLIK_TOOLS_BENCH_INPUT_SETS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "adlik/data_type.h"
#include "adlik/status.h"
#include "config/model_config.pb.h"

namespace adlik::bench {

struct InputSpec {
  std::string name;
  DataType type = DataType::kInvalid;
  std::vector<int64_t> shape;  // full shape: batch dimension first, if any
  int64_t lo = 0;              // integer (and BYTES) value range, inclusive
  int64_t hi = 99;
};

struct InputOptions {
  int batch_size = 1;
  // Shapes (without the batch dimension) for inputs with variable dims:
  // name -> dims.
  std::map<std::string, std::vector<int64_t>> shapes;
  // Integer value ranges: name -> {lo, hi}.
  std::map<std::string, std::pair<int64_t, int64_t>> ranges;
};

// The inputs of `config` at options.batch_size. Errors: a batch size the
// model cannot take (over max_batch_size, or > 1 for a model without a batch
// dimension), a variable dimension without a shape in options.shapes, or an
// option naming an input the model does not have.
StatusOr<std::vector<InputSpec>> InputSpecsFromConfig(
    const inference::ModelConfig& config, const InputOptions& options);

// Parses "NAME:D1xD2,NAME2:D1" (the --shape flag).
StatusOr<std::map<std::string, std::vector<int64_t>>> ParseShapes(
    const std::string& text);
// Parses "NAME:LO:HI,NAME2:LO:HI" (the --range flag).
StatusOr<std::map<std::string, std::pair<int64_t, int64_t>>> ParseRanges(
    const std::string& text);

// One set of input tensors, in the order of the specs.
struct InputSet {
  std::vector<std::string> data;  // serialized tensors (BYTES: 4-byte lengths)
};

// Bytes one set takes.
int64_t InputSetBytes(const std::vector<InputSpec>& specs);

// Makes `count` sets with seed `seed` (set k uses seed + k).
std::vector<InputSet> MakeInputSets(const std::vector<InputSpec>& specs,
                                    int count, uint64_t seed);

}  // namespace adlik::bench

#endif  // ADLIK_TOOLS_BENCH_INPUT_SETS_H_
