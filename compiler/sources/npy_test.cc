#include "sources/npy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "temp_dir.h"

namespace adlik::compiler {
namespace {

std::string WriteRaw(const std::string& dir, const std::string& header,
                     const std::string& data) {
  std::string padded = header;
  while ((10 + padded.size() + 1) % 64 != 0) padded += ' ';
  padded += '\n';
  const std::string path = dir + "/raw.npy";
  std::ofstream out(path, std::ios::binary);
  out << "\x93NUMPY" << '\x01' << '\x00'
      << static_cast<char>(padded.size() & 0xff)
      << static_cast<char>(padded.size() >> 8) << padded << data;
  return path;
}

TEST(NpyTest, RoundTripsEveryShape) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  const float values[6] = {1.5f, -2, 3, 4, 5, 6};
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{2, 3}, std::vector<int64_t>{6},
        std::vector<int64_t>{}}) {
    const size_t bytes = shape.empty() ? sizeof(float) : sizeof values;
    TensorView view{"x", DataType::kFp32, shape,
                    reinterpret_cast<const char*>(values), bytes};
    ASSERT_TRUE(WriteNpy(dir->path() + "/x.npy", view).ok());
    auto read = ReadNpy(dir->path() + "/x.npy", "y");
    ASSERT_TRUE(read.ok()) << read.status().message();
    EXPECT_EQ(read->name, "y");
    EXPECT_EQ(read->type, DataType::kFp32);
    EXPECT_EQ(read->shape, shape);
    ASSERT_EQ(read->byte_size, bytes);
    EXPECT_EQ(std::memcmp(read->data, values, bytes), 0);
  }
}

TEST(NpyTest, ReadsWhatNumpyWrites) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  const int64_t v[2] = {7, -9};
  const std::string path = WriteRaw(
      dir->path(), "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
      std::string(reinterpret_cast<const char*>(v), sizeof v));
  auto read = ReadNpy(path, "labels");
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->type, DataType::kInt64);
  EXPECT_EQ(read->shape, std::vector<int64_t>{2});
  int64_t got[2];
  std::memcpy(got, read->data, sizeof got);
  EXPECT_EQ(got[1], -9);
}

TEST(NpyTest, RefusesWhatItCannotRead) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  struct Case {
    std::string header, data, message;
  };
  for (const Case& c : std::vector<Case>{
           {"{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
            std::string(4, '\0'), "dtype '>f4'"},
           {"{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }",
            std::string(4, '\0'), "Fortran order"},
           {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
            std::string(4, '\0'), "not what shape and dtype"}}) {
    auto read = ReadNpy(WriteRaw(dir->path(), c.header, c.data), "x");
    ASSERT_FALSE(read.ok());
    EXPECT_NE(read.status().message().find(c.message), std::string::npos)
        << read.status().message();
  }
  EXPECT_EQ(ReadNpy(dir->path() + "/absent.npy", "x").status().code(),
            StatusCode::kNotFound);
  TensorView strings{"s", DataType::kBytes, {}, nullptr, 0};
  EXPECT_EQ(WriteNpy(dir->path() + "/s.npy", strings).code(),
            StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace adlik::compiler
