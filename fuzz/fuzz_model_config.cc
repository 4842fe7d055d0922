// libFuzzer target: config.pbtxt text through parsing, validation and
// completion against an engine signature (what a model load does before the
// runtime sees anything).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto config = adlik::config::ParseModelConfig(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!config.ok()) return 0;
  static const adlik::Signature signature{
      {{"INPUT0", adlik::DataType::kInt32, {-1, 16}},
       {"INPUT1", adlik::DataType::kFp32, {-1, -1, 3}}},
      {{"OUTPUT0", adlik::DataType::kInt32, {-1, 16}},
       {"OUTPUT1", adlik::DataType::kBytes, {-1}}}};
  (void)adlik::config::CompleteAndValidate(signature, &*config, "fuzz");
  return 0;
}
