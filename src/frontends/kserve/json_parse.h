// Parsing JSON that comes from a client: rapidjson's iterative parser (no
// recursion, so no stack to exhaust) with a limit on how deeply arrays and
// objects nest. Every JSON body the HTTP front end reads goes through here.
//
// Thread-safety: pure function.
#ifndef ADLIK_FRONTENDS_KSERVE_JSON_PARSE_H_
#define ADLIK_FRONTENDS_KSERVE_JSON_PARSE_H_

#include <rapidjson/document.h>

#include <string_view>

#include "adlik/status.h"

namespace adlik::kserve {

// Deepest nesting of arrays and objects accepted (Triton's limit too).
inline constexpr int kMaxJsonDepth = 100;

// Parses `text` into `doc`. INVALID_ARGUMENT naming `what` and the byte
// offset for malformed JSON or nesting deeper than kMaxJsonDepth. The
// document may point into `text` (no copies of strings are made), so `text`
// must outlive `doc`.
Status ParseJson(std::string_view text, std::string_view what,
                 rapidjson::Document* doc);

}  // namespace adlik::kserve

#endif  // ADLIK_FRONTENDS_KSERVE_JSON_PARSE_H_
