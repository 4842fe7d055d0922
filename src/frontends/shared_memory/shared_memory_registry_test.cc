#include "frontends/shared_memory/shared_memory_registry.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <limits>
#include <string>

#include "frontends/shared_memory/shared_memory_tensors.h"

namespace adlik::shm {
namespace {

using ::testing::HasSubstr;

// A POSIX shared-memory object of `size` bytes, removed at the end.
class Object {
 public:
  explicit Object(size_t size)
      : key_("/adlik_shm_test_" + std::to_string(getpid()) + "_" +
             std::to_string(next_++)) {
    const int fd = shm_open(key_.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(ftruncate(fd, static_cast<off_t>(size)), 0);
    base_ = static_cast<char*>(
        mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    size_ = size;
    close(fd);
  }
  ~Object() {
    munmap(base_, size_);
    shm_unlink(key_.c_str());
  }
  const std::string& key() const { return key_; }
  char* bytes() const { return base_; }
  void Resize(size_t size) const {
    const int fd = shm_open(key_.c_str(), O_RDWR, 0);
    EXPECT_EQ(ftruncate(fd, static_cast<off_t>(size)), 0);
    close(fd);
  }

 private:
  static inline int next_ = 0;
  std::string key_;
  char* base_ = nullptr;
  size_t size_ = 0;
};

TEST(SharedMemoryRegistryTest, RegistersReadsWritesAndUnregisters) {
  Object object(64);
  std::memcpy(object.bytes() + 16, "hello", 5);
  SharedMemoryRegistry registry;
  ASSERT_TRUE(registry.Register("r", object.key(), 8, 32).ok());

  auto block = registry.Get("r", 8, 5, "input 'x'");
  ASSERT_TRUE(block.ok()) << block.status().message();
  EXPECT_EQ(std::string(block->data, 5), "hello");
  std::memcpy(block->data, "HELLO", 5);  // the client sees the server's write
  EXPECT_EQ(std::string(object.bytes() + 16, 5), "HELLO");

  auto listed = registry.List("");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "r");
  EXPECT_EQ((*listed)[0].key, object.key());
  EXPECT_EQ((*listed)[0].offset, 8u);
  EXPECT_EQ((*listed)[0].byte_size, 32u);

  ASSERT_TRUE(registry.Unregister("r").ok());
  EXPECT_EQ(registry.List("r").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(registry.Unregister("r").code(), StatusCode::kNotFound);
  EXPECT_TRUE(registry.List("")->empty());
}

TEST(SharedMemoryRegistryTest, RefusesBadRegistrations) {
  Object object(64);
  SharedMemoryRegistry registry;
  auto code = [&](const std::string& name, const std::string& key,
                  uint64_t offset, uint64_t size) {
    return registry.Register(name, key, offset, size).code();
  };
  EXPECT_EQ(code("", object.key(), 0, 8), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("a", object.key(), 0, 0), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("a", object.key(), 0, 65), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("a", object.key(), 60, 8), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("a", object.key(), std::numeric_limits<uint64_t>::max(), 2),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code("a", "/adlik_shm_test_no_such_object", 0, 8),
            StatusCode::kNotFound);
  for (const char* key : {"", "/", "../etc/passwd", "/a/b", "..", "/..", ".",
                          "a/../../etc/passwd"}) {
    Status s = registry.Register("a", key, 0, 8);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << key;
    EXPECT_THAT(s.message(), HasSubstr("shared-memory region 'a'")) << key;
  }
  EXPECT_EQ(code("a", std::string("/x\0y", 4), 0, 8),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code("a", "/" + std::string(300, 'k'), 0, 8),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(registry.List("")->empty());

  ASSERT_TRUE(registry.Register("a", object.key().substr(1), 0, 64).ok());
  Status twice = registry.Register("a", object.key(), 0, 8);
  EXPECT_EQ(twice.code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(twice.message(), HasSubstr("already registered"));
}

TEST(SharedMemoryRegistryTest, GetChecksBoundsAndOverflow) {
  Object object(64);
  SharedMemoryRegistry registry;
  ASSERT_TRUE(registry.Register("r", object.key(), 16, 32).ok());
  EXPECT_TRUE(registry.Get("r", 0, 32, "input 'x'").ok());
  EXPECT_TRUE(registry.Get("r", 31, 1, "input 'x'").ok());
  Status past = registry.Get("r", 1, 32, "input 'x'").status();
  EXPECT_EQ(past.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(past.message(), HasSubstr("input 'x'"));
  EXPECT_THAT(past.message(), HasSubstr("(32 bytes)"));
  EXPECT_EQ(registry.Get("r", std::numeric_limits<uint64_t>::max(), 2, "x")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.Get("r", 2, std::numeric_limits<uint64_t>::max(), "x")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  Status unknown = registry.Get("nope", 0, 1, "output 'y'").status();
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), HasSubstr("'nope'"));
}

TEST(SharedMemoryRegistryTest, RefusesAnObjectThatShrank) {
  Object object(8192);
  SharedMemoryRegistry registry;
  ASSERT_TRUE(registry.Register("r", object.key(), 0, 8192).ok());
  object.Resize(100);
  Status s = registry.Get("r", 0, 8, "input 'x'").status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("shrunk"));
}

TEST(SharedMemoryRegistryTest, ABlockKeepsItsRegionMappedAfterUnregister) {
  Object object(64);
  std::memcpy(object.bytes(), "kept", 4);
  SharedMemoryRegistry registry;
  ASSERT_TRUE(registry.Register("r", object.key(), 0, 64).ok());
  auto block = registry.Get("r", 0, 4, "input 'x'");
  ASSERT_TRUE(block.ok());
  registry.UnregisterAll();
  EXPECT_EQ(registry.Get("r", 0, 4, "x").status().code(),
            StatusCode::kNotFound);
  // Still mapped: reading it would fault otherwise.
  EXPECT_EQ(std::string(block->data, 4), "kept");
  // The name is free again.
  EXPECT_TRUE(registry.Register("r", object.key(), 0, 64).ok());
}

TEST(SharedMemoryTensorsTest, PlacesInputsAndWritesOutputs) {
  Object object(64);
  std::memcpy(object.bytes(), "abcd", 4);
  SharedMemoryRegistry registry;
  ASSERT_TRUE(registry.Register("r", object.key(), 0, 64).ok());
  InferRequest request;
  request.inputs.resize(2);
  request.inputs[0].name = "in";
  request.inputs[1].name = "inline";
  request.inputs[1].owned = "zz";
  request.inputs[1].UseOwned();
  request.outputs.push_back({"out", 0});
  kserve::SharedMemoryRefs refs;
  refs.inputs = {kserve::SharedMemoryRef{"r", 0, 4}, std::nullopt};
  refs.outputs = {kserve::SharedMemoryRef{"r", 32, 4}};

  auto blocks = PlaceTensors(&registry, refs, &request);
  ASSERT_TRUE(blocks.ok()) << blocks.status().message();
  EXPECT_EQ(std::string(request.inputs[0].data, request.inputs[0].byte_size),
            "abcd");
  EXPECT_EQ(std::string(request.inputs[1].data, 2), "zz");
  // The output's buffer is its block (another mapping of the same bytes).
  ASSERT_NE(request.outputs[0].buffer, nullptr);
  EXPECT_EQ(request.outputs[0].buffer_size, 4u);
  std::memcpy(request.outputs[0].buffer, "1234", 4);
  EXPECT_EQ(std::string(object.bytes() + 32, 4), "1234");

  InferResponse response;
  response.outputs.push_back(
      Tensor::FromBytes("out", DataType::kUint8, {4}, "wxyz"));
  ASSERT_TRUE(WriteOutputs(*blocks, response).ok());
  EXPECT_EQ(std::string(object.bytes() + 32, 4), "wxyz");

  response.outputs[0] =
      Tensor::FromBytes("out", DataType::kUint8, {5}, "12345");
  Status too_big = WriteOutputs(*blocks, response);
  EXPECT_EQ(too_big.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(too_big.message(), HasSubstr("output 'out'"));
  EXPECT_EQ(std::string(object.bytes() + 32, 4), "wxyz");

  refs.inputs[0]->region = "gone";
  InferRequest again;
  again.inputs.resize(2);
  again.outputs.push_back({"out", 0});
  EXPECT_EQ(PlaceTensors(&registry, refs, &again).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(PlaceTensors(nullptr, refs, &again).status().code(),
            StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace adlik::shm
