// Reads --ssl_config_file (protobuf text format, message SSLConfig of
// ssl_config.proto) into TlsOptions, checking that the PEM texts parse and
// that the key belongs to the certificate, so that a bad file is refused at
// start with a message naming what is wrong rather than at the first
// handshake.
//
// Thread-safety: free functions without shared state.
#ifndef ADLIK_FRONTENDS_SSL_CONFIG_H_
#define ADLIK_FRONTENDS_SSL_CONFIG_H_

#include <string>
#include <string_view>

#include "adlik/status.h"
#include "frontends/tls_options.h"

namespace adlik {

// Parses SSLConfig text; `source` names it in error messages.
StatusOr<TlsOptions> ParseSslConfig(std::string_view text,
                                    std::string_view source);

// Reads and parses the file at `path`.
StatusOr<TlsOptions> ReadSslConfigFile(const std::string& path);

}  // namespace adlik

#endif  // ADLIK_FRONTENDS_SSL_CONFIG_H_
