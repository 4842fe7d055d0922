#include "frontends/ssl_config.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/text_proto.h"
#include "frontends/ssl_config.pb.h"

namespace adlik {
namespace {

// The last OpenSSL error, as text (empties the queue).
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  unsigned long last = code;
  while (code != 0) {
    last = code;
    code = ERR_get_error();
  }
  if (last == 0) return "no PEM data";
  char buf[256];
  ERR_error_string_n(last, buf, sizeof(buf));
  return buf;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

Bio MemoryBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Parses every certificate of `pem`; returns the first (or null with `error`).
std::unique_ptr<X509, X509Free> ParseCertificates(const std::string& pem,
                                                  std::string* error) {
  ERR_clear_error();
  Bio bio = MemoryBio(pem);
  std::unique_ptr<X509, X509Free> first(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!first) {
    *error = OpenSslError();
    return nullptr;
  }
  for (;;) {
    std::unique_ptr<X509, X509Free> next(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (next) continue;
    // The end of the text reads as "no start line"; anything else is damage.
    const unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
        ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
      ERR_clear_error();
      return first;
    }
    *error = OpenSslError();
    return nullptr;
  }
}

}  // namespace

StatusOr<TlsOptions> ParseSslConfig(std::string_view text,
                                    std::string_view source) {
  serving::SSLConfig config;
  RETURN_IF_ERROR(ParseTextProto(text, source, &config));
  const std::string where(source);
  if (config.server_key().empty())
    return InvalidArgument(where + ": server_key is missing or empty");
  if (config.server_cert().empty())
    return InvalidArgument(where + ": server_cert is missing or empty");
  if (config.client_verify() && config.custom_ca().empty()) {
    return InvalidArgument(
        where +
        ": client_verify is true but custom_ca is empty (client certificates "
        "need a CA to be verified against)");
  }

  ERR_clear_error();
  Bio key_bio = MemoryBio(config.server_key());
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return InvalidArgument(where + ": server_key is not a PEM private key (" +
                           OpenSslError() + ")");
  }
  std::string error;
  auto cert = ParseCertificates(config.server_cert(), &error);
  if (!cert) {
    return InvalidArgument(where + ": server_cert is not a PEM certificate (" +
                           error + ")");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument(
        where + ": server_key is not the private key of server_cert");
  }
  if (!config.custom_ca().empty() &&
      !ParseCertificates(config.custom_ca(), &error)) {
    return InvalidArgument(where + ": custom_ca is not a PEM certificate (" +
                           error + ")");
  }

  TlsOptions tls;
  tls.server_key = config.server_key();
  tls.server_cert = config.server_cert();
  tls.custom_ca = config.custom_ca();
  tls.client_verify = config.client_verify();
  return tls;
}

StatusOr<TlsOptions> ReadSslConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFound(path + ": cannot open: " + std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return NotFound(path + ": cannot read");
  return ParseSslConfig(text.str(), path);
}

}  // namespace adlik
