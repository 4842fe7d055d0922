// HTTP content codings (zlib): request bodies sent with
// `Content-Encoding: gzip | deflate` are decoded, and a response is encoded
// with the coding its request's `Accept-Encoding` prefers.
//
// "deflate" is the zlib format (RFC 9110); a raw deflate stream, which some
// clients send under that name, is accepted too. Decoding is streamed with a
// running limit: a body that would inflate past `max_bytes` is refused once
// the limit is passed, never inflated whole first.
//
// Thread-safety: pure functions.
#ifndef ADLIK_FRONTENDS_HTTP_HTTP_COMPRESSION_H_
#define ADLIK_FRONTENDS_HTTP_HTTP_COMPRESSION_H_

#include <optional>
#include <string>
#include <string_view>

#include "adlik/status.h"

namespace adlik::http {

enum class ContentCoding { kIdentity, kGzip, kDeflate };

// The coding of a Content-Encoding header (empty or "identity": kIdentity;
// case-insensitive). UNIMPLEMENTED naming the value for any other coding, or
// for more than one.
StatusOr<ContentCoding> ParseContentEncoding(std::string_view header);

// Decodes `body`. INVALID_ARGUMENT naming the coding when it is not a whole
// valid stream (trailing bytes included); RESOURCE_EXHAUSTED when it inflates
// to more than `max_bytes`.
StatusOr<std::string> Decode(std::string_view body, ContentCoding coding,
                             size_t max_bytes);

// The coding to answer with for an Accept-Encoding header: gzip or deflate
// when the client accepts one (the higher q-value; gzip on a tie; "*" means
// gzip), else kIdentity.
ContentCoding ChooseResponseCoding(std::string_view accept_encoding);

// Encodes `body` (kIdentity: unchanged).
std::string Encode(std::string_view body, ContentCoding coding);

// "gzip", "deflate" or "identity".
std::string_view CodingName(ContentCoding coding);

}  // namespace adlik::http

#endif  // ADLIK_FRONTENDS_HTTP_HTTP_COMPRESSION_H_
