#include "sources/npy.h"

#include <array>
#include <fstream>
#include <iterator>
#include <optional>

namespace adlik::compiler {
namespace {

struct Code {
  DataType type;
  std::string_view descr;
};

// Little-endian descriptors ('|' where byte order does not apply).
constexpr std::array<Code, 12> kCodes = {{{DataType::kBool, "|b1"},
                                          {DataType::kUint8, "|u1"},
                                          {DataType::kUint16, "<u2"},
                                          {DataType::kUint32, "<u4"},
                                          {DataType::kUint64, "<u8"},
                                          {DataType::kInt8, "|i1"},
                                          {DataType::kInt16, "<i2"},
                                          {DataType::kInt32, "<i4"},
                                          {DataType::kInt64, "<i8"},
                                          {DataType::kFp16, "<f2"},
                                          {DataType::kFp32, "<f4"},
                                          {DataType::kFp64, "<f8"}}};

constexpr std::string_view kMagic = "\x93NUMPY";

}  // namespace

Status WriteNpy(const std::string& path, const TensorView& tensor) {
  std::string_view descr;
  for (const Code& c : kCodes)
    if (c.type == tensor.type) descr = c.descr;
  if (descr.empty()) {
    return Unimplemented("tensor '" + std::string(tensor.name) + "' is " +
                         std::string(DataTypeName(tensor.type)) +
                         ", which is not written as .npy here");
  }
  std::string shape;
  for (int64_t d : tensor.shape) shape += std::to_string(d) + ",";
  if (tensor.shape.size() > 1) shape.pop_back();  // (3,) but (2,3)
  std::string header = "{'descr': '" + std::string(descr) +
                       "', 'fortran_order': False, 'shape': (" + shape + "), }";
  // Magic, version, header length, header: a multiple of 64 bytes.
  const size_t unpadded = kMagic.size() + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const uint16_t length = static_cast<uint16_t>(header.size());
  const char prefix[4] = {1, 0, static_cast<char>(length & 0xff),
                          static_cast<char>(length >> 8)};
  out.write(kMagic.data(), static_cast<std::streamsize>(kMagic.size()));
  out.write(prefix, sizeof prefix);
  out << header;
  out.write(tensor.data, static_cast<std::streamsize>(tensor.byte_size));
  out.close();
  if (!out) return Internal("cannot write '" + path + "'");
  return Status::Ok();
}

StatusOr<Tensor> ReadNpy(const std::string& path, const std::string& name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open '" + path + "'");
  const std::string bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  const auto bad = [&](const std::string& why) {
    return InvalidArgument("'" + path +
                           "' is not a .npy file read here: " + why);
  };
  if (bytes.size() < 10 || bytes.compare(0, kMagic.size(), kMagic) != 0)
    return bad("no .npy magic");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t offset, length;
  if (major == 1) {
    length = static_cast<unsigned char>(bytes[8]) |
             static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8;
    offset = 10;
  } else if ((major == 2 || major == 3) && bytes.size() >= 12) {
    length = 0;
    for (int i = 3; i >= 0; --i)
      length = length << 8 | static_cast<unsigned char>(bytes[8 + i]);
    offset = 12;
  } else {
    return bad("format version " + std::to_string(major));
  }
  if (bytes.size() < offset + length) return bad("truncated header");
  const std::string header = bytes.substr(offset, length);
  // The value after 'key': in the header's dict literal, up to `end`.
  const auto field = [&](std::string_view key, char open,
                         char end) -> std::optional<std::string> {
    size_t at = header.find("'" + std::string(key) + "':");
    if (at == std::string::npos) return std::nullopt;
    at = header.find(open, at + key.size() + 3);
    const size_t stop = at == std::string::npos ? at : header.find(end, at + 1);
    if (stop == std::string::npos) return std::nullopt;
    return header.substr(at + 1, stop - at - 1);
  };
  const std::optional<std::string> descr_field = field("descr", '\'', '\'');
  if (!descr_field) return bad("no descr in its header");
  const std::string& descr = *descr_field;
  const size_t order = header.find("'fortran_order':");
  if (order != std::string::npos &&
      header.compare(header.find_first_not_of(' ', order + 16), 4, "True") == 0)
    return bad("Fortran order");
  const std::optional<std::string> dims = field("shape", '(', ')');
  if (!dims) return bad("no shape in its header");
  std::vector<int64_t> shape;
  int64_t value = -1;
  for (char ch : *dims + ",") {
    if (ch >= '0' && ch <= '9') {
      value = (value < 0 ? 0 : value * 10) + (ch - '0');
    } else if (ch == ',' && value >= 0) {
      shape.push_back(value);
      value = -1;
    } else if (ch != ' ' && ch != ',' && ch != 'L') {
      return bad("shape (" + *dims + ")");
    }
  }
  DataType type = DataType::kInvalid;
  for (const Code& c : kCodes) {
    // '=' (native) is little-endian on every machine this builds for.
    if (descr == c.descr || (descr.size() == 3 && descr[0] == '=' &&
                             descr.substr(1) == c.descr.substr(1))) {
      type = c.type;
    }
  }
  if (type == DataType::kInvalid) return bad("dtype '" + descr + "'");
  const std::optional<size_t> size = CheckedByteSize(shape, DataTypeSize(type));
  const size_t data = offset + length;
  if (!size || bytes.size() - data != *size) {
    return bad("its data is " + std::to_string(bytes.size() - data) +
               " bytes, not what shape and dtype '" + descr + "' make");
  }
  return Tensor::FromBytes(name, type, std::move(shape), bytes.substr(data));
}

}  // namespace adlik::compiler
