// Parsing protobuf text format (config.pbtxt, the SSL config) with errors
// that name the source, line and column of each complaint.
//
// Thread-safety: pure function.
#ifndef ADLIK_BASE_TEXT_PROTO_H_
#define ADLIK_BASE_TEXT_PROTO_H_

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>

#include <string>
#include <string_view>

#include "adlik/status.h"

namespace adlik {

// Parses `text` into `message`. INVALID_ARGUMENT with every complaint as
// "SOURCE:LINE:COLUMN: message", joined by "; ".
inline Status ParseTextProto(std::string_view text, std::string_view source,
                             google::protobuf::Message* message) {
  class Collector : public google::protobuf::io::ErrorCollector {
   public:
    explicit Collector(std::string_view source) : source_(source) {}
    void AddError(int line, int column, const std::string& what) override {
      if (!errors_.empty()) errors_ += "; ";
      errors_ += source_ + ":" + std::to_string(line + 1) + ":" +
                 std::to_string(column + 1) + ": " + what;
    }
    std::string source_;
    std::string errors_;
  };
  Collector errors(source);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (parser.ParseFromString(std::string(text), message)) return Status::Ok();
  return InvalidArgument(errors.errors_.empty()
                             ? std::string(source) + ": cannot parse as " +
                                   message->GetDescriptor()->name() + " text"
                             : errors.errors_);
}

}  // namespace adlik

#endif  // ADLIK_BASE_TEXT_PROTO_H_
