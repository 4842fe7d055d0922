#include "frontends/auth/token_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

namespace adlik::auth {
namespace {

using ::testing::HasSubstr;

constexpr char kFile[] = R"(# tokens of the test
reader-token-1    metadata

inferer.token~2 infer,metadata   # trailing comment
Admin/Token+3== admin , metrics
)";

TEST(TokenSetTest, ParsesTokensGroupsCommentsAndBlankLines) {
  auto set = TokenSet::Parse(kFile, "tokens.txt");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->size(), 3u);
  EXPECT_EQ(set->GroupsOf("reader-token-1"), kMetadata);
  EXPECT_EQ(set->GroupsOf("inferer.token~2"), kInfer | kMetadata);
  EXPECT_EQ(set->GroupsOf("Admin/Token+3=="), kAdmin | kMetrics);
  EXPECT_EQ(set->GroupsOf("admin/token+3=="), 0u);  // case matters
  EXPECT_EQ(set->GroupsOf("reader-token-"), 0u);    // no prefix match
  EXPECT_EQ(set->GroupsOf("reader-token-12"), 0u);
  EXPECT_EQ(set->GroupsOf(""), 0u);
}

TEST(TokenSetTest, EmptyTextHasNoTokens) {
  auto set = TokenSet::Parse("\n  # nothing\n\n", "f");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->size(), 0u);
}

void ExpectRefused(std::string_view text, const std::string& where,
                   const std::string& what) {
  auto set = TokenSet::Parse(text, "tokens.txt");
  ASSERT_FALSE(set.ok()) << text;
  EXPECT_EQ(set.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(set.status().message(), HasSubstr(where)) << text;
  EXPECT_THAT(set.status().message(), HasSubstr(what)) << text;
}

TEST(TokenSetTest, RefusesMalformedLinesNamingFileAndLine) {
  ExpectRefused("good infer\n\nlonely-token\n", "tokens.txt:3: ", "no groups");
  ExpectRefused("# c\ntok inferr\n",
                "tokens.txt:2: ", "unknown group 'inferr'");
  ExpectRefused("tok infer,,admin\n", "tokens.txt:1: ", "empty group name");
  ExpectRefused("tok infer,\n", "tokens.txt:1: ", "empty group name");
  ExpectRefused("tok infer metadata\n",
                "tokens.txt:1: ", "unknown group 'infer metadata'");
  ExpectRefused("a\"b infer\n", "tokens.txt:1: ", "position 2");
  ExpectRefused("ab=c infer\n", "tokens.txt:1: ", "position 4");
  ExpectRefused("x infer\ny admin\nx metrics\n",
                "tokens.txt:3: ", "already on line 1");
}

TEST(TokenSetTest, ErrorsNeverQuoteTheToken) {
  auto set = TokenSet::Parse("s3cr3t-value? infer\n", "f");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message().find("s3cr3t"), std::string::npos)
      << set.status().message();
}

TEST(BearerTokenTest, ParsesTheSchemeCaseInsensitively) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer   abc  "), "abc");
  EXPECT_EQ(BearerToken("BEARER\tabc"), "abc");
  EXPECT_EQ(BearerToken("Bearer"), "");
  EXPECT_EQ(BearerToken("Bearer "), "");
  EXPECT_EQ(BearerToken("Bearerabc"), "");
  EXPECT_EQ(BearerToken("Basic abc"), "");
  EXPECT_EQ(BearerToken("Bearer a b"), "");
  EXPECT_EQ(BearerToken(""), "");
}

TEST(TokenAuthTest, ChecksGroups) {
  auto auth = TokenAuth::FromText(kFile);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  const TokenAuth& a = **auth;
  EXPECT_EQ(a.Check("Bearer inferer.token~2", kInfer), AuthResult::kAllowed);
  EXPECT_EQ(a.Check("Bearer inferer.token~2", kMetadata), AuthResult::kAllowed);
  EXPECT_EQ(a.Check("Bearer inferer.token~2", kAdmin), AuthResult::kForbidden);
  EXPECT_EQ(a.Check("Bearer reader-token-1", kInfer), AuthResult::kForbidden);
  EXPECT_EQ(a.Check("Bearer reader-token-1", kAnyGroup), AuthResult::kAllowed);
  EXPECT_EQ(a.Check("Bearer nope", kInfer), AuthResult::kUnauthenticated);
  EXPECT_EQ(a.Check("", kInfer), AuthResult::kUnauthenticated);
  EXPECT_EQ(a.Check("reader-token-1", kMetadata), AuthResult::kUnauthenticated);
}

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/token_auth_testXXXXXX";
    const int fd = mkstemp(name);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = name;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void Write(std::string_view text) {
    std::ofstream(path_, std::ios::trunc) << text;
  }
  std::string path_;
};

TEST_F(TokenFileTest, RefusesAMissingOrEmptyFileAtStart) {
  auto missing = TokenAuth::FromFile(path_ + ".not-there");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr(".not-there"));
  Write("# only comments\n");
  auto empty = TokenAuth::FromFile(path_);
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("no tokens"));
}

TEST_F(TokenFileTest, ReloadSwapsTokensAndKeepsThemOnError) {
  Write("old-token infer\n");
  auto auth = TokenAuth::FromFile(path_);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  TokenAuth& a = **auth;
  EXPECT_EQ(a.Check("Bearer old-token", kInfer), AuthResult::kAllowed);

  Write("new-token infer\n");
  ASSERT_TRUE(a.Reload().ok());
  EXPECT_EQ(a.Check("Bearer new-token", kInfer), AuthResult::kAllowed);
  EXPECT_EQ(a.Check("Bearer old-token", kInfer), AuthResult::kUnauthenticated);

  Write("newer-token infer\nbroken-line\n");
  Status s = a.Reload();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(path_ + ":2: "));
  EXPECT_EQ(a.Check("Bearer new-token", kInfer), AuthResult::kAllowed);
  EXPECT_EQ(a.Check("Bearer newer-token", kInfer),
            AuthResult::kUnauthenticated);

  Write("");  // emptied: revokes every token
  ASSERT_TRUE(a.Reload().ok());
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.Check("Bearer new-token", kInfer), AuthResult::kUnauthenticated);
}

TEST_F(TokenFileTest, ChecksRunWhileReloading) {
  Write("stable infer\n");
  auto auth = TokenAuth::FromFile(path_);
  ASSERT_TRUE(auth.ok());
  TokenAuth& a = **auth;
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::thread checker([&] {
    while (!stop.load()) {
      if (a.Check("Bearer stable", kInfer) != AuthResult::kAllowed) ++wrong;
    }
  });
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(a.Reload().ok());
  stop = true;
  checker.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace adlik::auth
