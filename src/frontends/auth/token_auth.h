// Bearer-token authentication for the front ends (--auth_token_file).
//
// The token file holds one token a line, followed by the groups it grants:
//
//   # comment                       ('#' starts a comment, to the line's end)
//   3a7f...c2  infer,metadata
//   9bd1...07  admin, metrics
//
// A token is a Bearer token (RFC 6750: letters, digits and -._~+/, then any
// '=' padding). Groups: `infer` (inference), `metadata` (server and model
// metadata, readiness, config, statistics), `admin` (the repository API, and
// shared-memory, log and trace settings), `metrics` (Prometheus /metrics).
// Blank lines are ignored. A malformed line, an unknown group or a token given
// twice refuses the whole file with "FILE:LINE: what is wrong".
//
// Only a SHA-256 digest of each token is kept. A presented token is hashed and
// compared with every stored digest in constant time (CRYPTO_memcmp), with no
// early exit, so the time taken tells nothing of which token, or how much of
// one, matched.
//
// Thread-safety: Check and Reload may be called concurrently from any thread;
// a check sees either the tokens before a reload or those after it, never a
// mix (the token set is an immutable snapshot swapped under a mutex).
#ifndef ADLIK_FRONTENDS_AUTH_TOKEN_AUTH_H_
#define ADLIK_FRONTENDS_AUTH_TOKEN_AUTH_H_

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "adlik/status.h"

namespace adlik::auth {

// The groups a token may grant; a bit each.
enum Group : uint32_t {
  kInfer = 1u << 0,
  kMetadata = 1u << 1,
  kAdmin = 1u << 2,
  kMetrics = 1u << 3,
};
// What an endpoint needs: one of these bits (kAnyGroup: any valid token).
inline constexpr uint32_t kAnyGroup = kInfer | kMetadata | kAdmin | kMetrics;

// "infer", "metadata", "admin", "metrics"; "any group" for kAnyGroup.
std::string GroupNames(uint32_t groups);

enum class AuthResult {
  kAllowed,
  kUnauthenticated,  // no credentials, not a Bearer token, or unknown token
  kForbidden,        // a valid token whose groups do not cover the endpoint
};

// An immutable set of tokens (as digests) with their groups.
class TokenSet {
 public:
  // Parses the text of a token file; `source` (the file name) prefixes the
  // line numbers in errors: "tokens.txt:3: unknown group 'inferr' ...".
  static StatusOr<TokenSet> Parse(std::string_view text,
                                  std::string_view source);

  size_t size() const { return entries_.size(); }
  // The groups granted to `token` (0: not a known token). Constant time in the
  // token's content: every entry is compared.
  uint32_t GroupsOf(std::string_view token) const;

 private:
  struct Entry {
    std::array<unsigned char, 32> digest;
    uint32_t groups;
  };
  std::vector<Entry> entries_;
};

// The token file and its current TokenSet.
class TokenAuth {
 public:
  // Reads and parses `path`. A file with no tokens is refused too (every
  // request would be refused).
  static StatusOr<std::unique_ptr<TokenAuth>> FromFile(std::string path);
  // For tests: tokens from text, with no file behind them (Reload fails).
  static StatusOr<std::unique_ptr<TokenAuth>> FromText(std::string_view text);

  // Re-reads the file. On an error the tokens in use stay as they were and the
  // error is returned. A file with no tokens is accepted here (it revokes
  // every token).
  Status Reload();

  // Checks an Authorization header value ("Bearer TOKEN"; the scheme is
  // case-insensitive) against `needed` (one bit of which the token must
  // hold). An empty value is kUnauthenticated.
  AuthResult Check(std::string_view authorization, uint32_t needed) const;

  const std::string& path() const { return path_; }
  size_t size() const;

 private:
  TokenAuth(std::string path, TokenSet tokens);
  std::shared_ptr<const TokenSet> Snapshot() const;

  const std::string path_;
  mutable std::mutex mu_;
  std::shared_ptr<const TokenSet> tokens_;  // guarded by mu_
};

// The token of an Authorization header value, or empty when it is not a
// Bearer credential.
std::string_view BearerToken(std::string_view authorization);

}  // namespace adlik::auth

#endif  // ADLIK_FRONTENDS_AUTH_TOKEN_AUTH_H_
