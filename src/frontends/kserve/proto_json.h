// A protobuf message in the JSON form of Triton's HTTP API, written in one
// pass: field names as in the .proto ("max_batch_size"), every field without
// presence written even when it holds its default (repeated fields as [],
// maps as {}), a message field only when set, 64-bit integers as JSON
// numbers (protobuf's own JSON writes them as strings, which KServe clients
// do not read), enums by name, floats in their shortest form, bytes in
// base64. The HTTP front end writes the model config, model metadata,
// statistics and the repository index with it, from the messages the gRPC
// front end sends (kserve_render.h), so the two carry the same content.
//
// Thread-safety: pure functions.
#ifndef ADLIK_FRONTENDS_KSERVE_PROTO_JSON_H_
#define ADLIK_FRONTENDS_KSERVE_PROTO_JSON_H_

#include <google/protobuf/message.h>

#include <string>

#include "frontends/kserve/tensor_json.h"

namespace adlik::kserve {

void WriteProtoJson(JsonWriter& w, const google::protobuf::Message& message);

std::string ProtoJson(const google::protobuf::Message& message);

}  // namespace adlik::kserve

#endif  // ADLIK_FRONTENDS_KSERVE_PROTO_JSON_H_
