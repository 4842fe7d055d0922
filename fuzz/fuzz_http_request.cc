// libFuzzer target: the HTTP request path up to the core. Raw bytes are read
// as an HTTP/1.1 request by Beast's parser with the server's limits; a
// complete request's body is parsed as a KServe inference request (JSON and
// the binary extension, with its Inference-Header-Content-Length), and the
// result validated against a batched INT32 model and a variable-shape BYTES
// model, as the core does before scheduling.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>

#include "frontends/kserve/kserve_json.h"
#include "fuzz_models.h"
#include "server/request_validator.h"

namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.body_limit(1 << 20);
  parser.header_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  try {
    parser.put(boost::asio::buffer(data, size), ec);
  } catch (const std::exception&) {
    // The server catches what Beast throws around its I/O; see http_server.cc.
    return 0;
  }
  if (ec || !parser.is_done()) return 0;
  auto message = parser.release();
  std::optional<size_t> header_length;
  auto h = message["inference-header-content-length"];
  size_t n = 0;
  if (std::from_chars(h.data(), h.data() + h.size(), n).ec == std::errc() &&
      n > 0)
    header_length = n;
  auto parsed = adlik::kserve::ParseInferRequest(std::move(message.body()),
                                                 header_length);
  if (!parsed.ok()) return 0;
  for (const auto& config : adlik::fuzz::Models()) {
    (void)adlik::ValidateRequest(config, parsed->request.get());
  }
  return 0;
}
