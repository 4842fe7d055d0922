#include "quantize/served_timing.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "numeric_check.h"
#include "sources/npy.h"
#include "temp_dir.h"

namespace adlik::compiler {

namespace fs = std::filesystem;

StatusOr<std::vector<std::vector<Tensor>>> ReadSamples(
    const std::string& folder) {
  const std::string list = (fs::path(folder) / "samples.txt").string();
  std::ifstream in(list);
  if (!in) return NotFound("cannot read '" + list + "'");
  std::vector<std::vector<Tensor>> samples;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string where = list + ":" + std::to_string(n);
    std::istringstream fields(line);
    std::vector<std::string> words;
    for (std::string w; fields >> w;) words.push_back(w);
    if (words.empty() || words.size() % 2 != 0) {
      return InvalidArgument(where + ": expected 'FILE INPUT' pairs, got '" +
                             line + "'");
    }
    std::vector<Tensor> sample;
    for (size_t i = 0; i < words.size(); i += 2) {
      auto tensor =
          ReadNpy((fs::path(folder) / words[i]).string(), words[i + 1]);
      if (!tensor.ok()) return tensor.status().WithPrefix(where);
      sample.push_back(*std::move(tensor));
    }
    if (!samples.empty()) {
      const auto& first = samples.front();
      bool same = first.size() == sample.size();
      for (size_t i = 0; same && i < sample.size(); ++i) {
        same = first[i].name == sample[i].name;
      }
      if (!same) {
        return InvalidArgument(where +
                               ": the sample's inputs differ from line 1's");
      }
    }
    samples.push_back(std::move(sample));
  }
  if (samples.empty()) return InvalidArgument("'" + list + "' has no samples");
  return samples;
}

StatusOr<double> TimeServed(RuntimePlugin& runtime, host::ModelSpec spec,
                            const ServedModel& model,
                            const std::vector<std::vector<Tensor>>& samples) {
  if (samples.empty()) return InvalidArgument("no samples to time");
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  const std::string name = spec.name;
  auto loaded = LoadThroughRuntime(runtime, dir.path(), std::move(spec),
                                   model.bytes, model.side_files);
  if (!loaded.ok()) return loaded.status().WithPrefix("loading " + name);
  BareModel& served = **loaded;
  RETURN_IF_ERROR(served.AddInstances(1, host::DeviceKind::kCpu));
  std::vector<std::string> outputs;
  for (const auto& o : EffectiveSignature(served).outputs) {
    outputs.push_back(o.name);
  }
  auto run = [&](const std::vector<Tensor>& sample) -> Status {
    std::vector<TensorView> views;
    for (const Tensor& t : sample) views.push_back(t.view());
    std::vector<Tensor> results;
    Status s = served.Run(views, outputs, &results);
    return s.ok() ? s : s.WithPrefix("running " + name);
  };
  RETURN_IF_ERROR(run(samples.front()));  // warm-up
  const auto start = std::chrono::steady_clock::now();
  for (const auto& sample : samples) RETURN_IF_ERROR(run(sample));
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - start;
  return elapsed.count() / static_cast<double>(samples.size());
}

}  // namespace adlik::compiler
