#include "frontends/shared_memory/shared_memory_tensors.h"

#include <cstring>
#include <memory>
#include <string>

namespace adlik::shm {

StatusOr<std::vector<std::optional<Block>>> PlaceTensors(
    const SharedMemoryRegistry* registry, const kserve::SharedMemoryRefs& refs,
    InferRequest* request) {
  std::vector<std::optional<Block>> outputs(refs.outputs.size());
  if (!refs.any()) return outputs;
  if (registry == nullptr) {
    return kserve::NoSystemSharedMemory();
  }
  // What the request holds: its former keepalive and the inputs' blocks.
  struct Holds {
    std::shared_ptr<const void> keepalive;
    std::vector<std::shared_ptr<const void>> blocks;
  };
  auto holds = std::make_shared<Holds>();
  for (size_t i = 0; i < refs.inputs.size() && i < request->inputs.size();
       ++i) {
    if (!refs.inputs[i]) continue;
    const kserve::SharedMemoryRef& ref = *refs.inputs[i];
    InferInput& in = request->inputs[i];
    ASSIGN_OR_RETURN(Block block,
                     registry->Get(ref.region, ref.offset, ref.byte_size,
                                   "input '" + in.name + "'"));
    in.data = block.data;
    in.byte_size = block.byte_size;
    holds->blocks.push_back(std::move(block.mapping));
  }
  for (size_t i = 0; i < refs.outputs.size(); ++i) {
    if (!refs.outputs[i]) continue;
    const kserve::SharedMemoryRef& ref = *refs.outputs[i];
    RequestedOutput& out = request->outputs[i];
    ASSIGN_OR_RETURN(outputs[i],
                     registry->Get(ref.region, ref.offset, ref.byte_size,
                                   "output '" + out.name + "'"));
    out.buffer = outputs[i]->data;
    out.buffer_size = outputs[i]->byte_size;
  }
  holds->keepalive = std::move(request->keepalive);
  request->keepalive = std::move(holds);
  return outputs;
}

Status WriteOutputs(const std::vector<std::optional<Block>>& blocks,
                    const InferResponse& response) {
  for (size_t i = 0; i < blocks.size() && i < response.outputs.size(); ++i) {
    if (!blocks[i]) continue;
    const Block& block = *blocks[i];
    const Tensor& t = response.outputs[i];
    if (t.byte_size > block.byte_size) {
      return InvalidArgument("output '" + t.name + "': its " +
                             std::to_string(t.byte_size) +
                             " bytes do not fit in shared_memory_byte_size " +
                             std::to_string(block.byte_size));
    }
    if (t.data != block.data && t.byte_size > 0) {
      std::memcpy(block.data, t.data, t.byte_size);
    }
  }
  return Status::Ok();
}

}  // namespace adlik::shm
