// A config tensor's `reshape { shape: [...] }`: clients send and receive the
// tensor with its `dims`, the runtime gets and gives it with the reshape's
// shape (the batch dimension, when there is one, stays in front of both).
//
// Both shapes may hold variable dimensions (-1). As Triton checks it, the
// runs of fixed dimensions between the variable ones must hold the same
// number of elements in both shapes (so [2,4,-1,6] may become [8,-1,1,6]),
// which makes the k-th variable dimension of one the k-th of the other. One
// exception: dims [1] (or any shape of one element) may become the scalar
// shape [].
//
// Thread-safety: pure functions.
#ifndef ADLIK_CONFIG_TENSOR_RESHAPE_H_
#define ADLIK_CONFIG_TENSOR_RESHAPE_H_

#include <cstdint>
#include <span>
#include <vector>

#include "adlik/status.h"

namespace adlik::config {

// Whether `reshape` may stand for `dims`; the error says why not.
Status CheckReshape(std::span<const int64_t> dims,
                    std::span<const int64_t> reshape);

// `actual`, a concrete shape matching `from` (one of a checked pair of dims
// and reshape), as the other shape `to`: `to` with its k-th -1 replaced by
// the size `actual` has at the k-th -1 of `from`. `actual` may carry
// `leading` dimensions before those `from` describes (the batch), kept in
// front. INVALID_ARGUMENT when `actual` does not have the rank of `from`.
StatusOr<std::vector<int64_t>> MapShape(std::span<const int64_t> from,
                                        std::span<const int64_t> to,
                                        std::span<const int64_t> actual,
                                        size_t leading);

}  // namespace adlik::config

#endif  // ADLIK_CONFIG_TENSOR_RESHAPE_H_
