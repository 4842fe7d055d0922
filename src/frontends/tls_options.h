// TLS settings of a front end, as the original Adlik's SSLConfig gives them
// (--ssl_config_file): each string holds PEM text itself, not a file name.
//
// Thread-safety: a plain value.
#ifndef ADLIK_FRONTENDS_TLS_OPTIONS_H_
#define ADLIK_FRONTENDS_TLS_OPTIONS_H_

#include <string>

namespace adlik {

struct TlsOptions {
  std::string server_key;      // PEM private key of the server
  std::string server_cert;     // PEM certificate chain of the server
  std::string custom_ca;       // PEM CA certificates that client certificates
                               // must chain to (used when client_verify)
  bool client_verify = false;  // mutual TLS: require a client certificate
};

}  // namespace adlik

#endif  // ADLIK_FRONTENDS_TLS_OPTIONS_H_
