#include "config/tensor_reshape.h"

#include <string>

#include "base/shape_string.h"

namespace adlik::config {
namespace {

// The element counts of the runs of fixed dimensions around each -1.
std::vector<int64_t> FixedRuns(std::span<const int64_t> shape) {
  std::vector<int64_t> runs{1};
  for (int64_t d : shape) {
    if (d == -1) {
      runs.push_back(1);
    } else if (__builtin_mul_overflow(runs.back(), d, &runs.back())) {
      runs.back() = -1;  // too large to compare; CheckReshape refuses it
    }
  }
  return runs;
}

}  // namespace

Status CheckReshape(std::span<const int64_t> dims,
                    std::span<const int64_t> reshape) {
  const std::string both =
      "reshape " + ShapeString(reshape) + " of dims " + ShapeString(dims);
  for (int64_t d : reshape) {
    if (d < -1) {
      return InvalidArgument(both + ": a dimension must be -1 (any) or >= 0");
    }
  }
  const std::vector<int64_t> from = FixedRuns(dims);
  const std::vector<int64_t> to = FixedRuns(reshape);
  for (int64_t run : from) {
    if (run < 0) return InvalidArgument(both + ": too many elements");
  }
  for (int64_t run : to) {
    if (run < 0) return InvalidArgument(both + ": too many elements");
  }
  // One element may become a scalar: dims [1], reshape [].
  if (reshape.empty() && from.size() == 1 && from[0] == 1) return Status::Ok();
  if (from.size() != to.size()) {
    return InvalidArgument(both + ": " + std::to_string(from.size() - 1) +
                           " variable (-1) dimensions become " +
                           std::to_string(to.size() - 1) +
                           "; a reshape keeps them");
  }
  if (from != to) {
    return InvalidArgument(
        both + ": the element counts differ" +
        (from.size() > 1 ? " (between the variable dimensions)" : ""));
  }
  return Status::Ok();
}

StatusOr<std::vector<int64_t>> MapShape(std::span<const int64_t> from,
                                        std::span<const int64_t> to,
                                        std::span<const int64_t> actual,
                                        size_t leading) {
  if (actual.size() != from.size() + leading) {
    return InvalidArgument("shape " + ShapeString(actual) +
                           " does not have the rank of " + ShapeString(from) +
                           (leading ? " after the batch dimension" : ""));
  }
  std::vector<int64_t> variable;
  for (size_t i = 0; i < from.size(); ++i) {
    if (from[i] == -1) variable.push_back(actual[leading + i]);
  }
  std::vector<int64_t> out(actual.begin(), actual.begin() + leading);
  size_t k = 0;
  for (int64_t d : to) {
    out.push_back(d == -1 && k < variable.size() ? variable[k++] : d);
  }
  return out;
}

}  // namespace adlik::config
