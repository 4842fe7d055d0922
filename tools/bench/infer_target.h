// The things adlik_bench measures, behind one interface:
//
//   BareTarget    the model's runtime called in-process (bare_target.h).
//   ClientTarget  a served model reached through an InferenceClient (gRPC or
//                 HTTP with binary tensors), one client per worker.
//
// Thread-safety: Infer may be called concurrently for different workers;
// never concurrently for the same worker.
#ifndef ADLIK_TOOLS_BENCH_INFER_TARGET_H_
#define ADLIK_TOOLS_BENCH_INFER_TARGET_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adlik/client/inference_client.h"
#include "config/model_config.pb.h"
#include "input_sets.h"

namespace adlik::bench {

// An output copied out of a response, for comparing protocols.
struct OwnedTensor {
  std::string name;
  DataType type = DataType::kInvalid;
  std::vector<int64_t> shape;
  std::string data;
};

class InferTarget {
 public:
  virtual ~InferTarget() = default;

  // "bare", "grpc", "http".
  virtual const std::string& name() const = 0;

  // Makes what `workers` concurrent callers need (instances, connections).
  // Called once, before any Infer.
  virtual Status Prepare(int workers) = 0;

  // One inference of `set` by worker `worker` (0 <= worker < workers). With
  // `outputs` not null, the outputs are copied there, sorted by name.
  virtual Status Infer(int worker, const InputSet& set,
                       std::vector<OwnedTensor>* outputs) = 0;
};

using ClientFactory =
    std::function<StatusOr<std::unique_ptr<client::InferenceClient>>()>;

class ClientTarget : public InferTarget {
 public:
  // `name`: "grpc" or "http"; `factory` makes one client per worker.
  ClientTarget(std::string name, ClientFactory factory, std::string model,
               std::vector<InputSpec> inputs, std::vector<std::string> outputs);

  const std::string& name() const override { return name_; }
  Status Prepare(int workers) override;
  Status Infer(int worker, const InputSet& set,
               std::vector<OwnedTensor>* outputs) override;

 private:
  const std::string name_;
  ClientFactory factory_;
  const std::string model_;
  const std::vector<InputSpec> inputs_;
  client::InferOptions options_;
  std::vector<std::unique_ptr<client::InferenceClient>> clients_;
};

// The instances a config asks for (instance_group counts, times the GPUs of
// a GPU group); at least 1.
int InstanceCount(const inference::ModelConfig& config);

// Compares two protocols' outputs: the same names, types and shapes; equal
// integers and bytes; floats within |a - b| <= atol + rtol * |b|. Returns
// OK or what differs; *max_abs_diff gets the largest float difference.
Status CompareOutputs(const std::vector<OwnedTensor>& got,
                      const std::vector<OwnedTensor>& want,
                      double* max_abs_diff);

}  // namespace adlik::bench

#endif  // ADLIK_TOOLS_BENCH_INFER_TARGET_H_
