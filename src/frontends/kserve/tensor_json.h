// A tensor's `data` in KServe v2 JSON, both ways: the JSON array (nested in
// row-major order, or flat) of a tensor's elements, and the tensor's bytes
// (adlik/tensor.h's layout). One codec for every datatype: BOOL as true and
// false, integers as JSON integers (refused outside the type's range),
// FP16, BF16, FP32 and FP64 as JSON numbers (the 16-bit types converted
// through base/half.h), BYTES as strings. The server reads requests and
// writes responses with it; the C++ client reads responses with it.
//
// Thread-safety: pure functions.
#ifndef ADLIK_FRONTENDS_KSERVE_TENSOR_JSON_H_
#define ADLIK_FRONTENDS_KSERVE_TENSOR_JSON_H_

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "adlik/data_type.h"
#include "adlik/status.h"

namespace adlik::kserve {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Appends the elements of `data`, a JSON value or array of `type`, to `out`,
// and checks that there are as many as `shape` holds. INVALID_ARGUMENT
// naming the first element that is not a value of `type` (or is out of its
// range), or the two counts.
Status DecodeTensorData(const rapidjson::Value& data, DataType type,
                        std::span<const int64_t> shape, std::string* out);

// Writes the elements of `bytes` (a tensor of `type` with `count` elements)
// as a flat JSON array. A BYTES buffer that does not hold `count` whole
// elements is written as an empty array.
void WriteTensorData(JsonWriter& w, DataType type, int64_t count,
                     std::string_view bytes);

}  // namespace adlik::kserve

#endif  // ADLIK_FRONTENDS_KSERVE_TENSOR_JSON_H_
