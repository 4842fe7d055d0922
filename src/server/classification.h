// The KServe/Triton classification extension: an output requested with
// `classification: K` is answered, per batch row, with its K largest entries
// as BYTES strings "score:index" or "score:index:label", highest first, the
// label being line `index` of the output's label_filename.
//
// Thread-safety: pure function.
#ifndef ADLIK_SERVER_CLASSIFICATION_H_
#define ADLIK_SERVER_CLASSIFICATION_H_

#include <string>
#include <vector>

#include "adlik/status.h"
#include "adlik/tensor.h"

namespace adlik {

// `batched`: the first dimension of `output` is the batch; the result is
// [batch, min(K, row size)], else [min(K, size)].
StatusOr<Tensor> Classify(const Tensor& output, uint32_t k, bool batched,
                          const std::vector<std::string>& labels);

}  // namespace adlik

#endif  // ADLIK_SERVER_CLASSIFICATION_H_
