#include "input_sets.h"

#include <charconv>
#include <cstring>
#include <sstream>

#include "adlik/bytes_tensor.h"
#include "adlik/tensor.h"
#include "base/half.h"

namespace adlik::bench {
namespace {

// splitmix64: fast, and good enough for benchmark inputs.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-52 - 1.0; }
  // Uniform in [lo, hi].
  int64_t Int(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return span == 0 ? static_cast<int64_t>(Next())
                     : lo + static_cast<int64_t>(Next() % span);
  }

 private:
  uint64_t state_;
};

std::string MakeTensor(const InputSpec& spec, Random& r) {
  const int64_t n = ElementCount(spec.shape);
  std::string out;
  VisitDataType(spec.type, [&](auto tag) {
    using T = typename decltype(tag)::Element;
    if constexpr (std::is_same_v<T, std::string_view>) {
      for (int64_t i = 0; i < n; ++i) {
        AppendBytesElement(std::to_string(r.Int(spec.lo, spec.hi)), &out);
      }
    } else if constexpr (!std::is_void_v<T>) {
      out.resize(static_cast<size_t>(n) * sizeof(T));
      char* p = out.data();
      for (int64_t i = 0; i < n; ++i, p += sizeof(T)) {
        T v;
        if constexpr (std::is_same_v<T, bool>) {
          v = (r.Next() & 1) != 0;
        } else if constexpr (kIsHalfType<T>) {
          v = FromFloat<T>(static_cast<float>(r.Unit()));
        } else if constexpr (std::is_floating_point_v<T>) {
          v = static_cast<T>(r.Unit());
        } else {
          v = static_cast<T>(r.Int(spec.lo, spec.hi));
        }
        std::memcpy(p, &v, sizeof(T));
      }
    }
  });
  return out;
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, sep)) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

bool ParseInt(const std::string& s, int64_t* v) {
  auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return err == std::errc() && end == s.data() + s.size();
}

}  // namespace

StatusOr<std::map<std::string, std::vector<int64_t>>> ParseShapes(
    const std::string& text) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const std::string& item : Split(text, ',')) {
    const size_t colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return InvalidArgument("--shape '" + item + "' is not NAME:D1xD2...");
    }
    std::vector<int64_t> dims;
    for (const std::string& d : Split(item.substr(colon + 1), 'x')) {
      int64_t v = 0;
      if (!ParseInt(d, &v) || v < 0) {
        return InvalidArgument("--shape '" + item + "': '" + d +
                               "' is not a size");
      }
      dims.push_back(v);
    }
    shapes[item.substr(0, colon)] = std::move(dims);
  }
  return shapes;
}

StatusOr<std::map<std::string, std::pair<int64_t, int64_t>>> ParseRanges(
    const std::string& text) {
  std::map<std::string, std::pair<int64_t, int64_t>> ranges;
  for (const std::string& item : Split(text, ',')) {
    const size_t c2 = item.rfind(':');
    const size_t c1 = c2 == std::string::npos || c2 == 0
                          ? std::string::npos
                          : item.rfind(':', c2 - 1);
    int64_t lo = 0, hi = 0;
    if (c1 == std::string::npos || c1 == 0 ||
        !ParseInt(item.substr(c1 + 1, c2 - c1 - 1), &lo) ||
        !ParseInt(item.substr(c2 + 1), &hi) || lo > hi) {
      return InvalidArgument("--range '" + item +
                             "' is not NAME:LO:HI with LO <= HI");
    }
    ranges[item.substr(0, c1)] = {lo, hi};
  }
  return ranges;
}

StatusOr<std::vector<InputSpec>> InputSpecsFromConfig(
    const inference::ModelConfig& config, const InputOptions& options) {
  const int max_batch = config.max_batch_size();
  if (options.batch_size < 1)
    return InvalidArgument("--batch_size must be >= 1");
  if (max_batch == 0 && options.batch_size > 1) {
    return InvalidArgument(
        "model '" + config.name() +
        "' has no batch dimension (max_batch_size 0); use --batch_size=1");
  }
  if (max_batch > 0 && options.batch_size > max_batch) {
    return InvalidArgument("--batch_size " +
                           std::to_string(options.batch_size) +
                           " is over model '" + config.name() +
                           "''s max_batch_size " + std::to_string(max_batch));
  }
  std::vector<InputSpec> specs;
  for (const auto& in : config.input()) {
    InputSpec spec;
    spec.name = in.name();
    spec.type = static_cast<DataType>(in.data_type());
    if (DataTypeName(spec.type) == "INVALID") {
      return InvalidArgument("input '" + in.name() +
                             "': unsupported data type");
    }
    std::vector<int64_t> dims(in.dims().begin(), in.dims().end());
    if (auto it = options.shapes.find(in.name()); it != options.shapes.end()) {
      if (it->second.size() != dims.size()) {
        return InvalidArgument(
            "--shape for '" + in.name() + "' has " +
            std::to_string(it->second.size()) + " dims; the model has " +
            std::to_string(dims.size()) + " (batch dimension excluded)");
      }
      for (size_t k = 0; k < dims.size(); ++k) {
        if (dims[k] >= 0 && dims[k] != it->second[k]) {
          return InvalidArgument("--shape for '" + in.name() + "': dim " +
                                 std::to_string(k) + " is fixed at " +
                                 std::to_string(dims[k]));
        }
      }
      dims = it->second;
    }
    for (int64_t d : dims) {
      if (d < 0) {
        return InvalidArgument(
            "input '" + in.name() +
            "' has a variable dimension: give its shape with "
            "--shape=" +
            in.name() + ":D1xD2...");
      }
    }
    if (max_batch > 0) dims.insert(dims.begin(), options.batch_size);
    spec.shape = std::move(dims);
    if (auto it = options.ranges.find(in.name()); it != options.ranges.end()) {
      spec.lo = it->second.first;
      spec.hi = it->second.second;
    }
    specs.push_back(std::move(spec));
  }
  auto known = [&](const std::string& name) {
    for (const auto& s : specs)
      if (s.name == name) return true;
    return false;
  };
  for (const auto& [name, dims] : options.shapes) {
    if (!known(name))
      return InvalidArgument("--shape names '" + name + "', not an input");
  }
  for (const auto& [name, range] : options.ranges) {
    if (!known(name))
      return InvalidArgument("--range names '" + name + "', not an input");
  }
  return specs;
}

int64_t InputSetBytes(const std::vector<InputSpec>& specs) {
  int64_t total = 0;
  for (const auto& s : specs) {
    const size_t size = s.type == DataType::kBytes ? 8 : DataTypeSize(s.type);
    total += ElementCount(s.shape) * static_cast<int64_t>(size);
  }
  return total;
}

std::vector<InputSet> MakeInputSets(const std::vector<InputSpec>& specs,
                                    int count, uint64_t seed) {
  std::vector<InputSet> sets(static_cast<size_t>(count));
  for (int k = 0; k < count; ++k) {
    Random r(seed + static_cast<uint64_t>(k) * 0x100000001b3ULL);
    for (const auto& spec : specs) sets[k].data.push_back(MakeTensor(spec, r));
  }
  return sets;
}

}  // namespace adlik::bench
