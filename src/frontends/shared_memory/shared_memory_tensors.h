// The tensors of a request that live in registered system shared memory
// (kserve::SharedMemoryRefs): inputs are read in place from the client's
// region, outputs written into it, and neither crosses the socket.
//
// Thread-safety: pure functions over a thread-safe registry.
// Ownership: the request holds the blocks of its inputs until it is
// destroyed; the caller holds those of the outputs until the response is
// written.
#ifndef ADLIK_FRONTENDS_SHARED_MEMORY_SHARED_MEMORY_TENSORS_H_
#define ADLIK_FRONTENDS_SHARED_MEMORY_SHARED_MEMORY_TENSORS_H_

#include <optional>
#include <vector>

#include "adlik/status.h"
#include "base/infer_request.h"
#include "frontends/kserve/kserve_protocol.h"
#include "frontends/shared_memory/shared_memory_registry.h"

namespace adlik::shm {

// Points each input in shared memory at its block, and offers each output's
// block to the runtime as the buffer to write it to; returns the outputs'
// blocks (nullopt for an output not in shared memory). `registry` nullptr:
// shared memory is off, and a request that names a region is refused.
StatusOr<std::vector<std::optional<Block>>> PlaceTensors(
    const SharedMemoryRegistry* registry, const kserve::SharedMemoryRefs& refs,
    InferRequest* request);

// Puts each output that has a block there (a copy, unless the runtime wrote
// it there already); an output larger than its block is an error naming it.
Status WriteOutputs(const std::vector<std::optional<Block>>& blocks,
                    const InferResponse& response);

}  // namespace adlik::shm

#endif  // ADLIK_FRONTENDS_SHARED_MEMORY_SHARED_MEMORY_TENSORS_H_
