#include "lifecycle/model_warmup.h"

#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>

#include "adlik/bytes_tensor.h"
#include "base/logging.h"
#include "base/shape_string.h"
#include "repository/repository.h"

namespace adlik {
namespace {

// A decoupled model's answers to a warm-up request: kept until the final
// one, the first error remembered.
class WarmupResponder : public host::Responder {
 public:
  Status Send(std::optional<StatusOr<std::vector<Tensor>>> response,
              bool final) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (response && !response->ok() && error_.ok()) error_ = response->status();
    if (final) {
      done_ = true;
      cv_.notify_all();
    }
    return Status::Ok();
  }
  // The first error once the final answer came.
  Status Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
    return error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  Status error_;
};

// One row of `in` (the sample's dims, no batch dimension).
StatusOr<std::string> RowData(const inference::ModelWarmup::Input& in,
                              int64_t elements, const std::string& model_dir,
                              std::mt19937* random) {
  const auto type = static_cast<DataType>(in.data_type());
  const size_t n = static_cast<size_t>(elements);
  if (in.has_input_data_file()) {
    ASSIGN_OR_RETURN(std::string path,
                     repository::ResolveInside(
                         (std::filesystem::path(model_dir) / "warmup").string(),
                         in.input_data_file(), "input_data_file"));
    std::ifstream file(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << file.rdbuf();
    if (!file) return NotFound("input_data_file: cannot read " + path);
    std::string data = std::move(bytes).str();
    if (type == DataType::kBytes) {
      auto split = SplitBytesElements(data, elements);
      if (!split.ok()) return split.status().WithPrefix("input_data_file");
    } else if (data.size() != n * DataTypeSize(type)) {
      return InvalidArgument("input_data_file '" + in.input_data_file() +
                             "' holds " + std::to_string(data.size()) +
                             " bytes; dims " +
                             ShapeString(std::vector<int64_t>(
                                 in.dims().begin(), in.dims().end())) +
                             " of " + std::string(DataTypeName(type)) +
                             " need " + std::to_string(n * DataTypeSize(type)));
    }
    return data;
  }
  if (type == DataType::kBytes) {
    std::string data;
    for (size_t i = 0; i < n; ++i) AppendBytesElement("", &data);
    return data;
  }
  std::string data(n * DataTypeSize(type), '\0');
  if (in.has_zero_data()) return data;
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (size_t i = 0; i < n; ++i) {
    char* at = data.data() + i * DataTypeSize(type);
    switch (type) {
      case DataType::kBool:
        *at = static_cast<char>((*random)() & 1);
        break;
      case DataType::kFp32: {
        const float v = unit(*random);
        std::memcpy(at, &v, sizeof v);
        break;
      }
      case DataType::kFp64: {
        const double v = unit(*random);
        std::memcpy(at, &v, sizeof v);
        break;
      }
      case DataType::kFp16:
      case DataType::kBf16: {
        // A value in [1, 2): exponent of one, random mantissa.
        const uint16_t v = type == DataType::kFp16
                               ? 0x3C00 | ((*random)() & 0x3FF)
                               : 0x3F80 | ((*random)() & 0x7F);
        std::memcpy(at, &v, sizeof v);
        break;
      }
      default:
        for (size_t b = 0; b < DataTypeSize(type); ++b)
          at[b] = static_cast<char>((*random)());
    }
  }
  return data;
}

// The inputs of `sample`, checked against the config's.
StatusOr<std::vector<Tensor>> SampleInputs(const inference::ModelConfig& config,
                                           const inference::ModelWarmup& sample,
                                           const std::string& model_dir) {
  std::mt19937 random(0x5eed);
  const bool batched = config.max_batch_size() > 0;
  std::vector<Tensor> inputs;
  for (const auto& [name, in] : sample.inputs()) {
    const inference::ModelInput* spec = nullptr;
    for (const auto& c : config.input())
      if (c.name() == name) spec = &c;
    const std::string where = "input '" + name + "'";
    if (spec == nullptr) {
      return InvalidArgument(where + ": the model has no input of that name");
    }
    if (in.data_type() != spec->data_type()) {
      return InvalidArgument(where + ": data_type " +
                             inference::DataType_Name(in.data_type()) +
                             " does not match the input's " +
                             inference::DataType_Name(spec->data_type()));
    }
    const std::vector<int64_t> dims(in.dims().begin(), in.dims().end());
    bool match = dims.size() == static_cast<size_t>(spec->dims_size());
    for (size_t i = 0; match && i < dims.size(); ++i)
      match = spec->dims(i) == -1 || spec->dims(i) == dims[i];
    if (!match) {
      return InvalidArgument(where + ": dims " + ShapeString(dims) +
                             " do not match the input's " +
                             ShapeString(std::vector<int64_t>(
                                 spec->dims().begin(), spec->dims().end())));
    }
    const int64_t elements = ElementCount(dims);
    auto row = RowData(in, elements, model_dir, &random);
    if (!row.ok()) return row.status().WithPrefix(where);
    std::vector<int64_t> shape;
    std::string data;
    if (batched) {
      shape.push_back(sample.batch_size());
      for (uint32_t b = 0; b < sample.batch_size(); ++b) data += *row;
    } else {
      data = std::move(row).value();
    }
    shape.insert(shape.end(), dims.begin(), dims.end());
    inputs.push_back(Tensor::FromBytes(
        name, static_cast<DataType>(in.data_type()), shape, std::move(data)));
  }
  for (const auto& c : config.input()) {
    if (!c.optional() && !sample.inputs().contains(c.name())) {
      return InvalidArgument("input '" + c.name() +
                             "' is missing from the sample");
    }
  }
  return inputs;
}

Status RunOnce(host::Instance& instance, std::span<const TensorView> inputs,
               std::span<const std::string> outputs, int64_t rows,
               bool decoupled) {
  std::shared_ptr<WarmupResponder> responder;
  std::vector<std::shared_ptr<host::Responder>> responders;
  if (decoupled) {
    responder = std::make_shared<WarmupResponder>();
    responders.push_back(responder);
  }
  host::BatchResult result;
  RETURN_IF_ERROR(
      instance.Execute({inputs, outputs, {&rows, 1}, responders}, &result));
  if (!result.request_errors.empty()) RETURN_IF_ERROR(result.request_errors[0]);
  if (responder && !result.taken_over.empty() && result.taken_over[0]) {
    // Answered by the runtime itself: its final answer ends the sample.
    RETURN_IF_ERROR(responder->Wait());
  }
  return Status::Ok();
}

}  // namespace

Status RunWarmup(const inference::ModelConfig& config,
                 const std::string& model_dir,
                 std::span<const std::unique_ptr<host::Instance>> instances,
                 const std::string& source) {
  std::vector<std::string> outputs;
  for (const auto& out : config.output()) outputs.push_back(out.name());
  const bool decoupled = config.model_transaction_policy().decoupled();
  for (const auto& sample : config.model_warmup()) {
    const std::string where = source + ": model_warmup '" + sample.name() + "'";
    auto inputs = SampleInputs(config, sample, model_dir);
    if (!inputs.ok()) return inputs.status().WithPrefix(where);
    std::vector<TensorView> views;
    for (const Tensor& t : *inputs) views.push_back(t.view());
    const int64_t rows = config.max_batch_size() > 0 ? sample.batch_size() : 1;
    for (size_t i = 0; i < instances.size(); ++i) {
      for (uint32_t k = 0; k < std::max<uint32_t>(1, sample.count()); ++k) {
        Status s = RunOnce(*instances[i], views, outputs, rows, decoupled);
        if (!s.ok()) {
          return s.WithPrefix(where + ": instance " + std::to_string(i));
        }
      }
    }
    LOG(INFO) << where << ": ran " << std::max<uint32_t>(1, sample.count())
              << " times on each of " << instances.size() << " instances";
  }
  return Status::Ok();
}

}  // namespace adlik
