// NumPy's .npy format (version 1.0, little-endian, C order), the way tensors
// travel between the compiler and a source converter's Python process.
//
// Thread-safety: pure functions over values and files.
#ifndef ADLIK_COMPILER_SOURCES_NPY_H_
#define ADLIK_COMPILER_SOURCES_NPY_H_

#include <string>

#include "adlik/status.h"
#include "adlik/tensor.h"

namespace adlik::compiler {

// Writes `tensor` to `path`. UNIMPLEMENTED for a type .npy has no code for
// here (strings); INTERNAL when the file cannot be written.
Status WriteNpy(const std::string& path, const TensorView& tensor);

// Reads `path` as a tensor named `name` (which owns its bytes). Refuses,
// naming the file: a version or header it cannot parse, Fortran order, a
// big-endian or unsupported dtype, a size that disagrees with the shape.
StatusOr<Tensor> ReadNpy(const std::string& path, const std::string& name);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_SOURCES_NPY_H_
