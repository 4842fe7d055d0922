// The model configs the fuzz targets validate requests against: `simple`
// (batched INT32 [-1, 16] pairs) and `identity` (BYTES of any shape, no
// batching) — the fixed and the variable-shape paths of the validator.
#ifndef ADLIK_FUZZ_FUZZ_MODELS_H_
#define ADLIK_FUZZ_FUZZ_MODELS_H_

#include <vector>

#include "config/model_config.pb.h"

namespace adlik::fuzz {

inline const std::vector<inference::ModelConfig>& Models() {
  static const std::vector<inference::ModelConfig> models = [] {
    std::vector<inference::ModelConfig> m(2);
    m[0].set_name("simple");
    m[0].set_max_batch_size(8);
    for (const char* name : {"INPUT0", "INPUT1"}) {
      auto* in = m[0].add_input();
      in->set_name(name);
      in->set_data_type(inference::TYPE_INT32);
      in->add_dims(16);
    }
    auto* out = m[0].add_output();
    out->set_name("OUTPUT0");
    out->set_data_type(inference::TYPE_INT32);
    out->add_dims(16);
    m[1].set_name("identity");
    auto* s = m[1].add_input();
    s->set_name("INPUT0");
    s->set_data_type(inference::TYPE_STRING);
    s->add_dims(-1);
    s->add_dims(-1);
    auto* o = m[1].add_output();
    o->set_name("OUTPUT0");
    o->set_data_type(inference::TYPE_STRING);
    o->add_dims(-1);
    o->add_dims(-1);
    return m;
  }();
  return models;
}

}  // namespace adlik::fuzz

#endif  // ADLIK_FUZZ_FUZZ_MODELS_H_
