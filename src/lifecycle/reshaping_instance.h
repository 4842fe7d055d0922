// An Instance that applies the config's `reshape` of inputs and outputs
// around the runtime's instance (config/tensor_reshape.h): inputs arrive with
// the shapes clients send (batch, then dims) and reach the runtime with the
// reshape's; the runtime's outputs, in the reshape's shape, leave with the
// dims. Only shapes change: the bytes are the runtime's, never copied. A
// decoupled model's responses are reshaped on their way too.
//
// Thread-safety: as host::Instance (Execute never concurrent on one).
// Ownership: owns the wrapped instance.
#ifndef ADLIK_LIFECYCLE_RESHAPING_INSTANCE_H_
#define ADLIK_LIFECYCLE_RESHAPING_INSTANCE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/model_config.pb.h"
#include "runtime_host/engine.h"

namespace adlik {

// The reshapes of a completed config, by tensor name.
struct Reshapes {
  struct Pair {
    std::vector<int64_t> dims;     // what clients see
    std::vector<int64_t> reshape;  // what the runtime sees
  };
  size_t leading = 0;  // 1 with a batch dimension
  std::map<std::string, Pair, std::less<>> inputs, outputs;

  // Those of `config`; empty when it has none.
  static Reshapes Of(const inference::ModelConfig& config);
  bool empty() const { return inputs.empty() && outputs.empty(); }
};

class ReshapingInstance : public host::Instance {
 public:
  ReshapingInstance(std::unique_ptr<host::Instance> inner,
                    std::shared_ptr<const Reshapes> reshapes);

  Status Execute(const host::Batch& batch, host::BatchResult* result) override;

 private:
  std::unique_ptr<host::Instance> inner_;
  std::shared_ptr<const Reshapes> reshapes_;
};

// Outputs as clients see them: each reshaped output of `outputs` given the
// config's dims. INTERNAL, naming the output, when the runtime's shape does
// not fit the reshape.
Status ReshapeOutputs(const Reshapes& reshapes, std::vector<Tensor>* outputs);

}  // namespace adlik

#endif  // ADLIK_LIFECYCLE_RESHAPING_INSTANCE_H_
