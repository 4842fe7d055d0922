#include "frontends/auth/token_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace adlik::auth {
namespace {

constexpr std::pair<std::string_view, uint32_t> kGroups[] = {
    {"infer", kInfer},
    {"metadata", kMetadata},
    {"admin", kAdmin},
    {"metrics", kMetrics},
};

constexpr std::string_view kBlank = " \t\r";

std::string_view Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(kBlank);
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(kBlank);
  return s.substr(b, e - b + 1);
}

// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" )
// *"=". Returns the position of the first character that breaks it, or npos.
size_t BadTokenChar(std::string_view t) {
  size_t i = 0;
  for (; i < t.size(); ++i) {
    const char c = t[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                    c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) break;
  }
  if (i == 0) return 0;
  for (; i < t.size(); ++i) {
    if (t[i] != '=') return i;
  }
  return std::string_view::npos;
}

std::array<unsigned char, 32> Sha256(std::string_view s) {
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  if (EVP_Digest(s.data(), s.size(), digest.data(), &size, EVP_sha256(),
                 nullptr) != 1 ||
      size != digest.size()) {
    // Cannot happen with a working libcrypto; an all-zero digest would let
    // every token collide, so make it match nothing instead.
    digest.fill(0xff);
    digest[0] ^= static_cast<unsigned char>(s.size());
  }
  return digest;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string GroupNames(uint32_t groups) {
  if (groups == kAnyGroup) return "any group";
  std::string out;
  for (const auto& [name, bit] : kGroups) {
    if ((groups & bit) == 0) continue;
    if (!out.empty()) out += " or ";
    out += name;
  }
  return out;
}

StatusOr<TokenSet> TokenSet::Parse(std::string_view text,
                                   std::string_view source) {
  TokenSet set;
  std::vector<int> lines;  // the line of each entry, for duplicate errors
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t eol = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(std::min(eol + 1, text.size()));
    line = Trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const std::string where =
        std::string(source) + ":" + std::to_string(line_no) + ": ";
    const size_t space = std::min(line.find_first_of(kBlank), line.size());
    const std::string_view token = line.substr(0, space);
    const std::string_view rest = Trim(line.substr(space));
    // The token itself never goes into a message: errors end up in logs.
    if (const size_t bad = BadTokenChar(token); bad != std::string_view::npos) {
      return InvalidArgument(
          where + "the token has a character (at position " +
          std::to_string(bad + 1) +
          ") that a Bearer token cannot hold; use letters, digits and "
          "-._~+/ (then '=' padding only)");
    }
    if (rest.empty()) {
      return InvalidArgument(
          where +
          "the token has no groups (expected 'TOKEN GROUP[,GROUP...]' "
          "with groups infer, metadata, admin, metrics)");
    }
    uint32_t groups = 0;
    std::string_view list = rest;
    while (true) {
      const size_t comma = std::min(list.find(','), list.size());
      const std::string_view name = Trim(list.substr(0, comma));
      if (name.empty()) {
        return InvalidArgument(where + "empty group name in '" +
                               std::string(rest) +
                               "' (expected GROUP[,GROUP...])");
      }
      uint32_t bit = 0;
      for (const auto& [known, b] : kGroups) {
        if (name == known) bit = b;
      }
      if (bit == 0) {
        return InvalidArgument(
            where + "unknown group '" + std::string(name) +
            "' (groups: infer, metadata, admin, metrics; separate them with "
            "commas)");
      }
      groups |= bit;
      if (comma == list.size()) break;
      list.remove_prefix(comma + 1);
    }
    Entry entry{Sha256(token), groups};
    for (size_t i = 0; i < set.entries_.size(); ++i) {
      if (set.entries_[i].digest == entry.digest) {
        return InvalidArgument(where + "the same token is already on line " +
                               std::to_string(lines[i]) +
                               " (give it once, with all its groups)");
      }
    }
    set.entries_.push_back(entry);
    lines.push_back(line_no);
  }
  return set;
}

uint32_t TokenSet::GroupsOf(std::string_view token) const {
  const auto digest = Sha256(token);
  uint32_t groups = 0;
  for (const Entry& e : entries_) {
    // No branch on the outcome: every entry costs the same.
    const uint32_t same = static_cast<uint32_t>(
        CRYPTO_memcmp(digest.data(), e.digest.data(), digest.size()) == 0);
    groups |= e.groups & (0u - same);
  }
  return groups;
}

std::string_view BearerToken(std::string_view authorization) {
  std::string_view v = Trim(authorization);
  constexpr std::string_view kScheme = "bearer";
  if (v.size() <= kScheme.size() ||
      !EqualsIgnoreCase(v.substr(0, kScheme.size()), kScheme) ||
      (v[kScheme.size()] != ' ' && v[kScheme.size()] != '\t')) {
    return {};
  }
  v = Trim(v.substr(kScheme.size()));
  if (v.find_first_of(kBlank) != std::string_view::npos) return {};
  return v;
}

TokenAuth::TokenAuth(std::string path, TokenSet tokens)
    : path_(std::move(path)),
      tokens_(std::make_shared<const TokenSet>(std::move(tokens))) {}

namespace {
StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFound("cannot read the token file " + path + ": " +
                    std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return Internal("cannot read the token file " + path + ": " +
                    std::strerror(errno));
  }
  return text.str();
}
}  // namespace

StatusOr<std::unique_ptr<TokenAuth>> TokenAuth::FromFile(std::string path) {
  ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  ASSIGN_OR_RETURN(TokenSet tokens, TokenSet::Parse(text, path));
  if (tokens.size() == 0) {
    return InvalidArgument(
        path +
        ": no tokens (every request but the health probes would be "
        "refused); give one a line as 'TOKEN GROUP[,GROUP...]'");
  }
  return std::unique_ptr<TokenAuth>(
      new TokenAuth(std::move(path), std::move(tokens)));
}

StatusOr<std::unique_ptr<TokenAuth>> TokenAuth::FromText(
    std::string_view text) {
  ASSIGN_OR_RETURN(TokenSet tokens, TokenSet::Parse(text, "<text>"));
  return std::unique_ptr<TokenAuth>(new TokenAuth("", std::move(tokens)));
}

Status TokenAuth::Reload() {
  if (path_.empty()) return Unimplemented("these tokens have no file");
  ASSIGN_OR_RETURN(const std::string text, ReadFile(path_));
  ASSIGN_OR_RETURN(TokenSet tokens, TokenSet::Parse(text, path_));
  auto fresh = std::make_shared<const TokenSet>(std::move(tokens));
  std::lock_guard<std::mutex> lock(mu_);
  tokens_ = std::move(fresh);
  return Status::Ok();
}

std::shared_ptr<const TokenSet> TokenAuth::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tokens_;
}

size_t TokenAuth::size() const { return Snapshot()->size(); }

AuthResult TokenAuth::Check(std::string_view authorization,
                            uint32_t needed) const {
  const std::string_view token = BearerToken(authorization);
  if (token.empty()) return AuthResult::kUnauthenticated;
  const uint32_t groups = Snapshot()->GroupsOf(token);
  if (groups == 0) return AuthResult::kUnauthenticated;
  return (groups & needed) != 0 ? AuthResult::kAllowed : AuthResult::kForbidden;
}

}  // namespace adlik::auth
