// The SignatureDefs of a TensorFlow MetaGraphDef, read from its serialized
// bytes (what TF_LoadSessionFromSavedModel hands back) by a small protobuf
// wire-format reader, so that the plugin needs no protobuf library: the
// server links Debian's and TensorFlow carries its own.
//
// Only the fields a signature needs are read (MetaGraphDef.signature_def,
// SignatureDef.inputs/outputs/method_name, TensorInfo.name/dtype/
// tensor_shape); every other field is skipped.
//
// Thread-safety: a pure function. Ownership: the result owns its strings.
#ifndef ADLIK_RUNTIMES_TENSORFLOW_SIGNATURE_DEF_H_
#define ADLIK_RUNTIMES_TENSORFLOW_SIGNATURE_DEF_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adlik/status.h"

namespace adlik::tensorflow {

// One input or output of a signature.
struct TensorInfo {
  std::string key;     // the signature's name for it (the KServe name)
  std::string tensor;  // the graph tensor, "op:index"; "" if not a dense one
  int dtype = 0;       // tensorflow.DataType (the values of TF_DataType)
  // Dimensions, -1 where unknown; nullopt when the rank is unknown.
  std::optional<std::vector<int64_t>> shape;
};

struct SignatureDef {
  std::string method_name;
  std::vector<TensorInfo> inputs, outputs;  // sorted by key
};

// The signatures of a serialized tensorflow.MetaGraphDef, by name. Malformed
// bytes are an error saying where.
StatusOr<std::map<std::string, SignatureDef>> ParseSignatureDefs(
    std::string_view meta_graph_def);

}  // namespace adlik::tensorflow

#endif  // ADLIK_RUNTIMES_TENSORFLOW_SIGNATURE_DEF_H_
