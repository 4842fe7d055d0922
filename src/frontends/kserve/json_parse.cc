#include "frontends/kserve/json_parse.h"

#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <string>

namespace adlik::kserve {
namespace {

using rapidjson::Document;
using rapidjson::SizeType;

// Forwards the parser's events to a Document, refusing to nest deeper than
// kMaxJsonDepth.
class DepthLimitedHandler {
 public:
  explicit DepthLimitedHandler(Document& doc) : doc_(doc) {}
  bool too_deep() const { return too_deep_; }

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned i) { return doc_.Uint(i); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t i) { return doc_.Uint64(i); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char* s, SizeType n, bool copy) {
    return doc_.RawNumber(s, n, copy);
  }
  bool String(const char* s, SizeType n, bool copy) {
    return doc_.String(s, n, copy);
  }
  bool Key(const char* s, SizeType n, bool copy) {
    return doc_.Key(s, n, copy);
  }
  bool StartObject() { return Enter() && doc_.StartObject(); }
  bool EndObject(SizeType members) {
    --depth_;
    return doc_.EndObject(members);
  }
  bool StartArray() { return Enter() && doc_.StartArray(); }
  bool EndArray(SizeType elements) {
    --depth_;
    return doc_.EndArray(elements);
  }

 private:
  bool Enter() {
    if (++depth_ > kMaxJsonDepth) too_deep_ = true;
    return !too_deep_;
  }

  Document& doc_;
  int depth_ = 0;
  bool too_deep_ = false;
};

}  // namespace

Status ParseJson(std::string_view text, std::string_view what, Document* doc) {
  rapidjson::ParseResult result;
  bool too_deep = false;
  auto generate = [&](Document& d) {
    rapidjson::MemoryStream ms(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>
        is(ms);
    DepthLimitedHandler handler(d);
    rapidjson::Reader reader;
    result = reader.Parse<rapidjson::kParseIterativeFlag>(is, handler);
    too_deep = handler.too_deep();
    return !result.IsError();
  };
  doc->Populate(generate);
  if (too_deep) {
    return InvalidArgument(std::string(what) + ": JSON nested deeper than " +
                           std::to_string(kMaxJsonDepth) + " levels (at byte " +
                           std::to_string(result.Offset()) + ")");
  }
  if (result.IsError()) {
    return InvalidArgument(
        std::string(what) +
        ": malformed JSON: " + rapidjson::GetParseError_En(result.Code()) +
        " (at byte " + std::to_string(result.Offset()) + ")");
  }
  return Status::Ok();
}

}  // namespace adlik::kserve
