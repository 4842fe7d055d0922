#include "signature_def.h"

#include <algorithm>
#include <utility>

namespace adlik::tensorflow {
namespace {

// Reads the fields of one message. Wire types: 0 varint, 1 fixed64,
// 2 length-delimited, 5 fixed32 (groups, 3 and 4, are not in these messages).
class Reader {
 public:
  Reader(std::string_view bytes, const char* message)
      : rest_(bytes), message_(message) {}

  bool done() const { return rest_.empty(); }

  // The next field's number and wire type.
  Status Next(uint32_t* field, uint32_t* wire_type) {
    uint64_t tag = 0;
    ADLIK_RETURN_IF_ERROR(Varint(&tag));
    *field = static_cast<uint32_t>(tag >> 3);
    *wire_type = static_cast<uint32_t>(tag & 7);
    if (*field == 0) return Error("field number 0");
    return Status::Ok();
  }

  Status Varint(uint64_t* value) {
    *value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (rest_.empty()) return Error("truncated varint");
      const auto byte = static_cast<uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      *value |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return Status::Ok();
    }
    return Error("varint longer than 10 bytes");
  }

  Status Bytes(std::string_view* value) {
    uint64_t n = 0;
    ADLIK_RETURN_IF_ERROR(Varint(&n));
    if (n > rest_.size()) return Error("length runs past the end");
    *value = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return Status::Ok();
  }

  // A field of wire type 2 (a string or a message), else an error.
  Status Expect2(uint32_t wire_type, std::string_view* value) {
    if (wire_type != 2) return Error("a string field is not length-delimited");
    return Bytes(value);
  }

  Status Skip(uint32_t wire_type) {
    uint64_t v = 0;
    std::string_view s;
    switch (wire_type) {
      case 0:
        return Varint(&v);
      case 2:
        return Bytes(&s);
      case 1:
      case 5: {
        const size_t n = wire_type == 1 ? 8 : 4;
        if (rest_.size() < n) return Error("truncated fixed-size field");
        rest_.remove_prefix(n);
        return Status::Ok();
      }
      default:
        return Error("unsupported wire type " + std::to_string(wire_type));
    }
  }

  Status Error(const std::string& what) const {
    return InvalidArgument(std::string("malformed ") + message_ + ": " + what);
  }

 private:
  std::string_view rest_;
  const char* message_;
};

Status ParseShape(std::string_view bytes, TensorInfo* info) {
  Reader r(bytes, "TensorShapeProto");
  std::vector<int64_t> dims;
  bool unknown_rank = false;
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    ADLIK_RETURN_IF_ERROR(r.Next(&field, &wire));
    if (field == 2) {  // Dim dim
      std::string_view dim;
      ADLIK_RETURN_IF_ERROR(r.Expect2(wire, &dim));
      Reader d(dim, "TensorShapeProto.Dim");
      int64_t size = 0;
      while (!d.done()) {
        uint32_t f = 0, w = 0;
        ADLIK_RETURN_IF_ERROR(d.Next(&f, &w));
        if (f == 1 && w == 0) {  // int64 size
          uint64_t v = 0;
          ADLIK_RETURN_IF_ERROR(d.Varint(&v));
          size = static_cast<int64_t>(v);
        } else {
          ADLIK_RETURN_IF_ERROR(d.Skip(w));
        }
      }
      dims.push_back(size < 0 ? -1 : size);
    } else if (field == 3 && wire == 0) {  // bool unknown_rank
      uint64_t v = 0;
      ADLIK_RETURN_IF_ERROR(r.Varint(&v));
      unknown_rank = v != 0;
    } else {
      ADLIK_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  if (!unknown_rank) info->shape = std::move(dims);
  return Status::Ok();
}

Status ParseTensorInfo(std::string_view bytes, TensorInfo* info) {
  Reader r(bytes, "TensorInfo");
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    ADLIK_RETURN_IF_ERROR(r.Next(&field, &wire));
    std::string_view s;
    if (field == 1) {  // string name
      ADLIK_RETURN_IF_ERROR(r.Expect2(wire, &s));
      info->tensor = std::string(s);
    } else if (field == 2 && wire == 0) {  // DataType dtype
      uint64_t v = 0;
      ADLIK_RETURN_IF_ERROR(r.Varint(&v));
      info->dtype = static_cast<int>(v);
    } else if (field == 3) {  // TensorShapeProto tensor_shape
      ADLIK_RETURN_IF_ERROR(r.Expect2(wire, &s));
      ADLIK_RETURN_IF_ERROR(ParseShape(s, info));
    } else {
      ADLIK_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  return Status::Ok();
}

// A map entry: key (field 1) and value (field 2), both length-delimited.
Status ParseEntry(std::string_view bytes, const char* message,
                  std::string_view* key, std::string_view* value) {
  Reader r(bytes, message);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    ADLIK_RETURN_IF_ERROR(r.Next(&field, &wire));
    if (field == 1) {
      ADLIK_RETURN_IF_ERROR(r.Expect2(wire, key));
    } else if (field == 2) {
      ADLIK_RETURN_IF_ERROR(r.Expect2(wire, value));
    } else {
      ADLIK_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  return Status::Ok();
}

Status ParseSignature(std::string_view bytes, SignatureDef* sig) {
  Reader r(bytes, "SignatureDef");
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    ADLIK_RETURN_IF_ERROR(r.Next(&field, &wire));
    std::string_view s;
    if (field == 1 || field == 2) {  // map<string, TensorInfo> inputs/outputs
      ADLIK_RETURN_IF_ERROR(r.Expect2(wire, &s));
      std::string_view key, value;
      ADLIK_RETURN_IF_ERROR(
          ParseEntry(s, "SignatureDef tensor map entry", &key, &value));
      TensorInfo info;
      info.key = std::string(key);
      ADLIK_RETURN_IF_ERROR(ParseTensorInfo(value, &info));
      (field == 1 ? sig->inputs : sig->outputs).push_back(std::move(info));
    } else if (field == 3) {  // string method_name
      ADLIK_RETURN_IF_ERROR(r.Expect2(wire, &s));
      sig->method_name = std::string(s);
    } else {
      ADLIK_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  for (auto* list : {&sig->inputs, &sig->outputs}) {
    std::sort(
        list->begin(), list->end(),
        [](const TensorInfo& a, const TensorInfo& b) { return a.key < b.key; });
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::map<std::string, SignatureDef>> ParseSignatureDefs(
    std::string_view meta_graph_def) {
  std::map<std::string, SignatureDef> out;
  Reader r(meta_graph_def, "MetaGraphDef");
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    ADLIK_RETURN_IF_ERROR(r.Next(&field, &wire));
    if (field != 5) {  // map<string, SignatureDef> signature_def
      ADLIK_RETURN_IF_ERROR(r.Skip(wire));
      continue;
    }
    std::string_view entry, key, value;
    ADLIK_RETURN_IF_ERROR(r.Expect2(wire, &entry));
    ADLIK_RETURN_IF_ERROR(
        ParseEntry(entry, "MetaGraphDef signature_def entry", &key, &value));
    SignatureDef sig;
    ADLIK_RETURN_IF_ERROR(ParseSignature(value, &sig));
    out[std::string(key)] = std::move(sig);
  }
  return out;
}

}  // namespace adlik::tensorflow
