#include "config/tensor_reshape.h"

#include <gtest/gtest.h>

namespace adlik::config {
namespace {

using Shape = std::vector<int64_t>;

TEST(TensorReshapeTest, SameElementCount) {
  EXPECT_TRUE(CheckReshape(Shape{3, 224, 224}, Shape{1, 3, 224, 224}).ok());
  EXPECT_TRUE(CheckReshape(Shape{1000}, Shape{1, 1000, 1, 1}).ok());
  Status s = CheckReshape(Shape{16}, Shape{4, 5});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("element counts differ"), std::string::npos)
      << s.message();
}

TEST(TensorReshapeTest, OneElementMayBecomeAScalar) {
  EXPECT_TRUE(CheckReshape(Shape{1}, Shape{}).ok());
  EXPECT_TRUE(CheckReshape(Shape{1, 1}, Shape{}).ok());
  EXPECT_FALSE(CheckReshape(Shape{2}, Shape{}).ok());
  EXPECT_FALSE(CheckReshape(Shape{-1}, Shape{}).ok());
}

TEST(TensorReshapeTest, VariableDimensionsKeepTheirRuns) {
  // Triton's own example: 2*4 = 8 before the -1, 6 = 1*6 after it.
  EXPECT_TRUE(CheckReshape(Shape{2, 4, -1, 6}, Shape{8, -1, 1, 6}).ok());
  EXPECT_FALSE(CheckReshape(Shape{2, 4, -1, 6}, Shape{4, -1, 2, 6}).ok());
  Status s = CheckReshape(Shape{-1, 4}, Shape{-1, -1});
  EXPECT_NE(s.message().find("1 variable (-1) dimensions become 2"),
            std::string::npos)
      << s.message();
  EXPECT_FALSE(CheckReshape(Shape{4}, Shape{-2, -2}).ok());
}

TEST(TensorReshapeTest, MapShapeFillsVariableDimensionsAndKeepsTheBatch) {
  auto to = MapShape(Shape{2, 4, -1, 6}, Shape{8, -1, 1, 6},
                     Shape{5, 2, 4, 7, 6}, /*leading=*/1);
  ASSERT_TRUE(to.ok());
  EXPECT_EQ(*to, (Shape{5, 8, 7, 1, 6}));
  auto back = MapShape(Shape{8, -1, 1, 6}, Shape{2, 4, -1, 6}, *to, 1);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, (Shape{5, 2, 4, 7, 6}));
  // Scalar both ways, without and with a batch dimension.
  EXPECT_EQ(*MapShape(Shape{1}, Shape{}, Shape{1}, 0), Shape{});
  EXPECT_EQ(*MapShape(Shape{}, Shape{1}, Shape{3}, 1), (Shape{3, 1}));
  EXPECT_FALSE(MapShape(Shape{16}, Shape{4, 4}, Shape{2, 4, 4}, 1).ok());
}

}  // namespace
}  // namespace adlik::config
