#include "server/request_validator.h"

#include <gtest/gtest.h>

#include "adlik/bytes_tensor.h"

namespace adlik {
namespace {

inference::ModelConfig SimpleConfig() {
  inference::ModelConfig c;
  c.set_name("simple");
  c.set_max_batch_size(8);
  for (const char* name : {"INPUT0", "INPUT1"}) {
    auto* in = c.add_input();
    in->set_name(name);
    in->set_data_type(inference::TYPE_INT32);
    in->add_dims(16);
  }
  for (const char* name : {"OUTPUT0", "OUTPUT1"}) {
    auto* out = c.add_output();
    out->set_name(name);
    out->set_data_type(inference::TYPE_INT32);
    out->add_dims(16);
  }
  return c;
}

InferInput Int32Input(const std::string& name, std::vector<int64_t> shape) {
  InferInput in;
  in.name = name;
  in.type = DataType::kInt32;
  in.shape = std::move(shape);
  in.owned.assign(ElementCount(in.shape) * 4, '\0');
  in.UseOwned();
  return in;
}

InferRequest GoodRequest(int64_t batch = 2) {
  InferRequest r;
  r.inputs.push_back(Int32Input("INPUT0", {batch, 16}));
  r.inputs.push_back(Int32Input("INPUT1", {batch, 16}));
  return r;
}

void ExpectRefused(InferRequest r, const std::string& piece) {
  Status s = ValidateRequest(SimpleConfig(), &r);
  ASSERT_FALSE(s.ok()) << "expected refusal mentioning: " << piece;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(piece), std::string::npos) << s.message();
}

TEST(RequestValidatorTest, AnOptionalInputMayBeLeftOut) {
  inference::ModelConfig c = SimpleConfig();
  c.mutable_input(1)->set_optional(true);
  InferRequest r;
  r.inputs.push_back(Int32Input("INPUT0", {2, 16}));
  Status s = ValidateRequest(c, &r);
  EXPECT_TRUE(s.ok()) << s.ToString();
  // Given, it is checked like any other, and only once.
  r.inputs.push_back(Int32Input("INPUT1", {2, 15}));
  EXPECT_FALSE(ValidateRequest(c, &r).ok());
  r.inputs.back() = Int32Input("INPUT1", {2, 16});
  r.inputs.push_back(Int32Input("INPUT1", {2, 16}));
  EXPECT_FALSE(ValidateRequest(c, &r).ok());
  // A required one may not.
  InferRequest only1;
  only1.inputs.push_back(Int32Input("INPUT1", {2, 16}));
  s = ValidateRequest(c, &only1);
  EXPECT_NE(s.message().find("input 'INPUT0' is missing"), std::string::npos);
}

TEST(RequestValidatorTest, AcceptsAGoodRequestAndFillsBatchAndOutputs) {
  InferRequest r = GoodRequest(3);
  ASSERT_TRUE(ValidateRequest(SimpleConfig(), &r).ok());
  EXPECT_EQ(r.batch_size, 3);
  ASSERT_EQ(r.outputs.size(), 2u);
  EXPECT_EQ(r.outputs[1].name, "OUTPUT1");
}

TEST(RequestValidatorTest, RefusesEachBadInputClass) {
  {
    InferRequest r = GoodRequest();
    r.inputs.pop_back();
    ExpectRefused(std::move(r), "input 'INPUT1' is missing");
  }
  {
    InferRequest r = GoodRequest();
    r.inputs.push_back(Int32Input("EXTRA", {2, 16}));
    ExpectRefused(std::move(r),
                  "input 'EXTRA': model 'simple' has no such input");
  }
  {
    InferRequest r = GoodRequest();
    r.inputs[0].type = DataType::kFp32;
    ExpectRefused(std::move(r),
                  "datatype FP32 does not match the model's INT32");
  }
  ExpectRefused(GoodRequest(9), "batch size 9 is outside 1..8");
  ExpectRefused(GoodRequest(0), "batch size 0 is outside 1..8");
  {
    InferRequest r = GoodRequest();
    r.inputs[1] = Int32Input("INPUT1", {2, 15});
    ExpectRefused(std::move(r),
                  "shape [2,15] does not match the model's [-1,16]");
  }
  {
    InferRequest r = GoodRequest();
    r.inputs[1] = Int32Input("INPUT1", {3, 16});
    ExpectRefused(std::move(r),
                  "batch size 3 differs from the other inputs' 2");
  }
  {
    InferRequest r = GoodRequest();
    r.inputs[0].byte_size -= 4;
    ExpectRefused(std::move(r),
                  "124 bytes of data, but shape [2,16] of INT32 needs 128");
  }
  {
    InferRequest r = GoodRequest();
    r.inputs.push_back(r.inputs[0]);
    ExpectRefused(std::move(r), "given more than once");
  }
  {
    InferRequest r = GoodRequest();
    r.outputs.push_back({"NOPE", 0});
    ExpectRefused(std::move(r),
                  "output 'NOPE': model 'simple' has no such output");
  }
}

TEST(RequestValidatorTest, ChecksBytesElementCounts) {
  inference::ModelConfig c;
  c.set_name("strings");
  auto* in = c.add_input();
  in->set_name("s");
  in->set_data_type(inference::TYPE_STRING);
  in->add_dims(2);
  c.add_output()->set_name("o");
  InferRequest r;
  InferInput s;
  s.name = "s";
  s.type = DataType::kBytes;
  s.shape = {2};
  AppendBytesElement("a", &s.owned);
  s.UseOwned();
  r.inputs.push_back(s);
  Status status = ValidateRequest(c, &r);
  EXPECT_NE(status.message().find("expected 2 BYTES elements"),
            std::string::npos)
      << status.message();
  AppendBytesElement("bc", &r.inputs[0].owned);
  r.inputs[0].UseOwned();
  EXPECT_TRUE(ValidateRequest(c, &r).ok());
}

inference::ModelConfig VariableConfig(inference::DataType type) {
  inference::ModelConfig c;
  c.set_name("variable");
  auto* in = c.add_input();
  in->set_name("s");
  in->set_data_type(type);
  in->add_dims(-1);
  in->add_dims(-1);
  c.add_output()->set_name("o");
  return c;
}

// A claimed element count is never used to size anything before it is
// checked against the bytes that came (this used to reserve 2^40 slots).
TEST(RequestValidatorTest, RefusesBytesCountsTheDataCannotHold) {
  InferRequest r;
  InferInput s;
  s.name = "s";
  s.type = DataType::kBytes;
  s.shape = {1, int64_t{1} << 40};
  r.inputs.push_back(s);
  Status status = ValidateRequest(VariableConfig(inference::TYPE_STRING), &r);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("0-byte buffer holds at most 0"),
            std::string::npos)
      << status.message();
}

TEST(RequestValidatorTest, RefusesShapesWhoseProductOverflows) {
  for (auto type : {inference::TYPE_STRING, inference::TYPE_FP32}) {
    InferRequest r;
    InferInput s;
    s.name = "s";
    s.type =
        type == inference::TYPE_STRING ? DataType::kBytes : DataType::kFp32;
    s.shape = {int64_t{1} << 32, int64_t{1} << 32};
    r.inputs.push_back(s);
    Status status = ValidateRequest(VariableConfig(type), &r);
    EXPECT_NE(status.message().find("more elements than a 64-bit count"),
              std::string::npos)
        << status.message();
  }
  // The element count fits, the byte count does not.
  InferRequest r;
  InferInput s;
  s.name = "s";
  s.type = DataType::kFp32;
  s.shape = {int64_t{1} << 31, int64_t{1} << 31};
  r.inputs.push_back(s);
  Status status = ValidateRequest(VariableConfig(inference::TYPE_FP32), &r);
  EXPECT_NE(status.message().find("needs more than 2^64"), std::string::npos)
      << status.message();
}

TEST(RequestValidatorTest, AcceptsScalarsOnUnbatchedModels) {
  inference::ModelConfig c;
  c.set_name("scalar");
  auto* in = c.add_input();
  in->set_name("x");
  in->set_data_type(inference::TYPE_FP32);
  c.add_output()->set_name("y");
  InferRequest r;
  InferInput x;
  x.name = "x";
  x.type = DataType::kFp32;
  x.owned.assign(4, '\0');
  x.UseOwned();
  r.inputs.push_back(x);
  EXPECT_TRUE(ValidateRequest(c, &r).ok());
  r.inputs[0].shape = {1};
  EXPECT_FALSE(ValidateRequest(c, &r).ok());
}

}  // namespace
}  // namespace adlik
