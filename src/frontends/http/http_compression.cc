#include "frontends/http/http_compression.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <vector>

namespace adlik::http {
namespace {

// Output is inflated this much at a time, so that the limit is checked as it
// grows.
constexpr size_t kInflateChunk = 64 * 1024;
// zlib counts in uInt: input is fed at most this much at a time.
constexpr size_t kMaxFeed = 1u << 30;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// A zlib stream starts with a 2-byte header: deflate method, and a check
// value that makes it a multiple of 31.
bool HasZlibHeader(std::string_view body) {
  if (body.size() < 2) return false;
  const auto cmf = static_cast<unsigned char>(body[0]);
  const auto flg = static_cast<unsigned char>(body[1]);
  return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && (cmf * 256 + flg) % 31 == 0;
}

// Feeds `z` the next part of `body` (from `*fed`) when it has none left.
void Feed(std::string_view body, size_t* fed, z_stream* z) {
  if (z->avail_in > 0 || *fed == body.size()) return;
  const size_t n = std::min(kMaxFeed, body.size() - *fed);
  z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data() + *fed));
  z->avail_in = static_cast<uInt>(n);
  *fed += n;
}

}  // namespace

std::string_view CodingName(ContentCoding coding) {
  switch (coding) {
    case ContentCoding::kGzip:
      return "gzip";
    case ContentCoding::kDeflate:
      return "deflate";
    default:
      return "identity";
  }
}

StatusOr<ContentCoding> ParseContentEncoding(std::string_view header) {
  const std::string value = Lower(Trim(header));
  if (value.empty() || value == "identity") return ContentCoding::kIdentity;
  if (value == "gzip" || value == "x-gzip") return ContentCoding::kGzip;
  if (value == "deflate") return ContentCoding::kDeflate;
  if (value.find(',') != std::string::npos) {
    return Unimplemented("Content-Encoding '" + std::string(header) +
                         "': only one coding (gzip or deflate) is supported");
  }
  return Unimplemented("Content-Encoding '" + std::string(header) +
                       "' is not supported (gzip, deflate and identity are)");
}

StatusOr<std::string> Decode(std::string_view body, ContentCoding coding,
                             size_t max_bytes) {
  if (coding == ContentCoding::kIdentity) return std::string(body);
  const std::string name(CodingName(coding));
  // gzip: 16 + window bits; deflate: the zlib format, or a raw deflate
  // stream (negative window bits) when the zlib header is absent.
  const int window_bits = coding == ContentCoding::kGzip ? 16 + MAX_WBITS
                          : HasZlibHeader(body)          ? MAX_WBITS
                                                         : -MAX_WBITS;
  z_stream z{};
  if (inflateInit2(&z, window_bits) != Z_OK)
    return Internal("zlib: cannot start to inflate");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&z};
  auto invalid = [&](std::string_view why) {
    return InvalidArgument("the request body is not valid " + name +
                           " data (Content-Encoding: " + name +
                           "): " + std::string(why));
  };
  std::string out;
  size_t fed = 0;
  for (;;) {
    Feed(body, &fed, &z);
    // Room for one byte past the limit, to tell a body that reaches it from
    // one that passes it.
    const size_t old = out.size();
    const size_t room =
        max_bytes - old < kInflateChunk ? max_bytes - old + 1 : kInflateChunk;
    out.resize(old + room);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    z.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.resize(old + room - z.avail_out);
    if (out.size() > max_bytes) {
      return ResourceExhausted("the request body (Content-Encoding: " + name +
                               ") inflates to more than " +
                               std::to_string(max_bytes) + " bytes");
    }
    if (rc == Z_STREAM_END) {
      Feed(body, &fed, &z);
      if (z.avail_in == 0) return out;
      // gzip allows several members one after the other.
      if (coding != ContentCoding::kGzip) {
        return invalid(std::to_string(z.avail_in + (body.size() - fed)) +
                       " bytes follow the end of the compressed stream");
      }
      if (inflateReset(&z) != Z_OK)
        return invalid("cannot read the next member");
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && fed == body.size())
      return invalid("the compressed stream is truncated");
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      return invalid(z.msg != nullptr ? z.msg
                                      : "zlib error " + std::to_string(rc));
  }
}

ContentCoding ChooseResponseCoding(std::string_view accept_encoding) {
  double gzip = 0, deflate = 0, any = 0;
  bool gzip_named = false, deflate_named = false;
  while (!accept_encoding.empty()) {
    const size_t comma =
        std::min(accept_encoding.find(','), accept_encoding.size());
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding.remove_prefix(std::min(comma + 1, accept_encoding.size()));
    const size_t semi = item.find(';');
    const std::string coding = Lower(Trim(item.substr(0, semi)));
    double q = 1;
    if (semi != std::string_view::npos) {
      const std::string param = Lower(Trim(item.substr(semi + 1)));
      if (param.starts_with("q=")) q = std::strtod(param.c_str() + 2, nullptr);
    }
    if (coding == "gzip" || coding == "x-gzip") {
      gzip = q;
      gzip_named = true;
    } else if (coding == "deflate") {
      deflate = q;
      deflate_named = true;
    } else if (coding == "*") {
      any = q;
    }
  }
  if (!gzip_named) gzip = any;
  if (!deflate_named) deflate = any;
  if (gzip > 0 && gzip >= deflate) return ContentCoding::kGzip;
  if (deflate > 0) return ContentCoding::kDeflate;
  return ContentCoding::kIdentity;
}

std::string Encode(std::string_view body, ContentCoding coding) {
  if (coding == ContentCoding::kIdentity) return std::string(body);
  z_stream z{};
  // Fastest level: responses are compressed on the I/O threads.
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED,
                   coding == ContentCoding::kGzip ? 16 + MAX_WBITS : MAX_WBITS,
                   8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::string(body);
  }
  std::string out;
  size_t fed = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    Feed(body, &fed, &z);
    const size_t old = out.size();
    const size_t room = std::max<size_t>(kInflateChunk, body.size() / 4);
    out.resize(old + std::min(room, kMaxFeed));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    z.avail_out = static_cast<uInt>(out.size() - old);
    rc = deflate(&z, fed == body.size() ? Z_FINISH : Z_NO_FLUSH);
    out.resize(out.size() - z.avail_out);
  }
  deflateEnd(&z);
  return out;
}

}  // namespace adlik::http
