#include "frontends/adlik/adlik_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adlik/bytes_tensor.h"

namespace adlik::adlik_api {
namespace {

using ::testing::HasSubstr;

ModelMetadata Meta() {
  ModelMetadata m;
  m.name = "m";
  m.inputs = {{"x", DataType::kFp32, {-1, 2}}};
  return m;
}

TEST(AdlikProtocolTest, ShapeFromTheModelAndBatchSize) {
  as::PredictRequest req;
  req.set_batch_size(2);
  auto& x = (*req.mutable_inputs())["x"];
  x.set_dtype(tensorflow::DT_FLOAT);
  x.set_tensor_content(std::string(16, '\0'));
  (*req.mutable_output_filter())["y"].mutable_cls()->set_count(3);
  auto r = FromPredictRequest(req, Meta());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)->inputs[0].shape, (std::vector<int64_t>{2, 2}));
  ASSERT_EQ((*r)->outputs.size(), 1u);
  EXPECT_EQ((*r)->outputs[0].classification, 3u);
}

TEST(AdlikProtocolTest, BatchSizeIsChecked) {
  as::PredictRequest req;
  auto& x = (*req.mutable_inputs())["x"];
  x.set_dtype(tensorflow::DT_FLOAT);
  x.mutable_tensor_shape()->add_dim()->set_size(1);
  x.mutable_tensor_shape()->add_dim()->set_size(2);
  x.set_tensor_content(std::string(8, '\0'));
  EXPECT_THAT(FromPredictRequest(req, Meta()).status().message(),
              HasSubstr("batch_size must be >= 1"));
  req.set_batch_size(3);
  EXPECT_THAT(FromPredictRequest(req, Meta()).status().message(),
              HasSubstr("tensor_shape [1,2] does not start with batch_size 3"));
  req.set_batch_size(1);
  EXPECT_TRUE(FromPredictRequest(req, Meta()).ok());
}

TEST(AdlikProtocolTest, ClassesFromTheCoresClassification) {
  as::PredictRequest req;
  (*req.mutable_output_filter())["y"].mutable_cls()->set_count(2);
  std::string entries;
  for (const char* e :
       {"0.750000:3:cat:tabby", "0.250000:1", "0.500000:0:a", "0.125000:2:b"}) {
    AppendBytesElement(e, &entries);
  }
  InferResponse r;
  r.model_name = "m";
  r.model_version = "4";
  r.outputs.push_back(
      Tensor::FromBytes("y", DataType::kBytes, {2, 2}, entries));
  as::PredictResponse res;
  ASSERT_TRUE(ToPredictResponse(r, req, &res).ok());
  EXPECT_EQ(res.model_spec().version().value(), 4);
  const auto& out = res.outputs().at("y");
  EXPECT_FALSE(out.has_tensor());
  ASSERT_EQ(out.batch_classes_size(), 2);
  const auto& first = out.batch_classes(0).cls(0);
  EXPECT_EQ(first.idx(), 3);
  EXPECT_FLOAT_EQ(first.score(), 0.75f);
  EXPECT_EQ(first.label(), "cat:tabby");
  EXPECT_EQ(out.batch_classes(0).cls(1).label(), "");
  EXPECT_EQ(out.batch_classes(1).cls(1).idx(), 2);
}

TEST(AdlikProtocolTest, MetaFromTheConfigAndIndex) {
  inference::ModelConfig config;
  config.set_name("m");
  config.set_platform("onnxruntime_onnx");
  config.set_max_batch_size(8);
  auto* in = config.add_input();
  in->set_name("x");
  in->set_data_type(inference::TYPE_FP16);
  in->set_format(inference::ModelInput::FORMAT_NCHW);
  in->add_dims(3);
  auto* out = config.add_output();
  out->set_name("y");
  out->set_data_type(inference::TYPE_INT64);
  out->set_label_filename("labels.txt");
  std::vector<ModelIndexEntry> index = {
      {"m", "1", ModelState::kReady, ""},
      {"m", "2", ModelState::kUnavailable, "failed"},
      {"other", "1", ModelState::kReady, ""}};
  as::GetModelMetaResponse meta;
  RenderModelMeta(config, index, &meta);
  EXPECT_EQ(meta.config().input(0).data_type(), tensorflow::DT_HALF);
  EXPECT_EQ(meta.config().input(0).format(), as::ModelInput::FORMAT_NCHW);
  EXPECT_EQ(meta.config().output(0).data_type(), tensorflow::DT_INT64);
  EXPECT_EQ(meta.config().output(0).label_filename(), "labels.txt");
  ASSERT_EQ(meta.version_status_size(), 2);
  EXPECT_EQ(meta.version_status().at(1).ready_state(), as::MODEL_READY);
  EXPECT_EQ(meta.version_status().at(2).ready_state(), as::MODEL_UNAVAILABLE);
  as::ModelOperateResponse models;
  RenderModels(index, "", &models);
  ASSERT_EQ(models.models_size(), 2);
  EXPECT_EQ(models.models().at("m").versions(1).state(), "UNAVAILABLE");
}

}  // namespace
}  // namespace adlik::adlik_api
