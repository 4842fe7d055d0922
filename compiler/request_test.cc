#include "request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "test_util/tiny_models.h"

namespace adlik::compiler {
namespace {

using ::testing::HasSubstr;

constexpr char kMinimal[] =
    R"({"input_model": "m.onnx", "model_name": "m", "export_path": "out",
        "max_batch_size": 8})";

std::string With(const std::string& extra) {
  std::string s = kMinimal;
  s.pop_back();  // the closing brace
  return s + ", " + extra + "}";
}

TEST(RequestJsonTest, MinimalRequestGetsDefaults) {
  auto r = ParseRequestJson(kMinimal, "req.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->input_model, "m.onnx");
  EXPECT_EQ(r->model_name, "m");
  EXPECT_EQ(r->export_path, "out");
  EXPECT_EQ(r->max_batch_size, 8);
  EXPECT_EQ(r->serving_type, "onnxruntime");
  EXPECT_FALSE(r->version.has_value());
  EXPECT_FALSE(r->enable_fp16);
  EXPECT_TRUE(r->keep_io_types);
  EXPECT_TRUE(r->numeric_check);
  EXPECT_FALSE(r->tolerance.has_value());
  EXPECT_FALSE(r->static_shapes);
  EXPECT_FALSE(r->dynamic_batching);
}

TEST(RequestJsonTest, ParsesEveryKey) {
  auto r = ParseRequestJson(With(R"("serving_type": "engine", "version": 3,
              "input_names": ["a", "b"], "output_names": ["y"],
              "input_formats": ["channels_first", null],
              "enable_fp16": true, "input_shapes": {"a": [8, 3, 4, 4]},
              "keep_io_types": false, "optimization_level": "extended",
              "numeric_check": false, "tolerance": 0.5, "seed": 7,
              "preferred_batch_size": [2, 4], "max_queue_delay_microseconds": 100,
              "instance_count": 2, "instance_kind": "cpu")"),
                            "req.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->serving_type, "engine");
  EXPECT_EQ(r->version, 3);
  EXPECT_EQ(r->input_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->output_names, (std::vector<std::string>{"y"}));
  EXPECT_EQ(r->input_formats,
            (std::vector<InputFormat>{InputFormat::kChannelsFirst,
                                      InputFormat::kNone}));
  EXPECT_TRUE(r->enable_fp16);
  EXPECT_EQ(r->input_shapes.at("a"), (std::vector<int64_t>{8, 3, 4, 4}));
  EXPECT_TRUE(r->static_shapes) << "input_shapes implies static_shapes";
  EXPECT_FALSE(r->keep_io_types);
  EXPECT_EQ(r->optimization_level, "extended");
  EXPECT_FALSE(r->numeric_check);
  EXPECT_DOUBLE_EQ(*r->tolerance, 0.5);
  EXPECT_EQ(r->seed, 7u);
  EXPECT_TRUE(r->dynamic_batching) << "preferred_batch_size implies it";
  EXPECT_EQ(r->preferred_batch_size, (std::vector<int>{2, 4}));
  EXPECT_EQ(r->max_queue_delay_microseconds, 100);
  EXPECT_EQ(r->instance_count, 2);
  EXPECT_EQ(r->instance_kind, "cpu");
}

TEST(RequestJsonTest, RefusesUnknownKeyByName) {
  auto r = ParseRequestJson(With(R"("job_id": 1)"), "req.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              HasSubstr("req.json: unknown key 'job_id'"));
}

TEST(RequestJsonTest, RefusesMissingRequiredKeysNamingEach) {
  auto r = ParseRequestJson(R"({"input_model": "m.onnx", "max_batch_size": 1})",
                            "req.json");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("missing required keys: model_name, export_path"));
}

TEST(RequestJsonTest, RefusesWrongTypesNamingKeyAndType) {
  struct Case {
    std::string json;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"input_model": "m.onnx", "model_name": "m", "export_path": "o", "max_batch_size": "8"})",
       "key 'max_batch_size': expected an integer, got a string"},
      {With(R"("enable_fp16": "yes")"),
       "key 'enable_fp16': expected a boolean, got a string"},
      {With(R"("input_names": "a")"),
       "key 'input_names': expected a list of strings, got a string"},
      {With(R"("input_names": ["a", 1])"),
       "key 'input_names': expected a list of strings, got a list"},
      {With(R"("input_shapes": {"a": [1, "x"]})"),
       "key 'input_shapes': expected an object"},
      {With(R"("tolerance": "0.1")"),
       "key 'tolerance': expected a number, got a string"},
      {With(R"("version": 1.5)"),
       "key 'version': expected an integer, got a number"},
  };
  for (const Case& c : cases) {
    auto r = ParseRequestJson(c.json, "req.json");
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(c.message)) << c.json;
  }
}

TEST(RequestJsonTest, RefusesValuesOutOfRange) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"input_model": "m.onnx", "model_name": "m", "export_path": "o", "max_batch_size": -1})",
       "key 'max_batch_size': must be between 0 and"},
      {With(R"("version": 0)"), "key 'version': must be between 1 and"},
      {With(R"("serving_type": "tpu")"),
       "serving_type 'tpu' is not a known target"},
      {With(R"("optimization_level": "max")"),
       "'max' is not one of disable, basic, extended, all"},
      {With(R"("input_formats": ["nchw"])"),
       "nchw is not channels_first, channels_last or null"},
      {With(R"("input_shapes": {"a": [0, 3]})"), "dimensions must be >= 1"},
      {With(R"("tolerance": -1)"),
       "key 'tolerance': must be a finite number >= 0"},
      {With(R"("instance_kind": "tpu")"),
       "'tpu' is not one of cpu, gpu, auto, model"},
      {R"({"input_model": "m.onnx", "model_name": "a/b", "export_path": "o", "max_batch_size": 1})",
       "key 'model_name': 'a/b' is not a usable folder name"},
      {R"({"input_model": "m.onnx", "model_name": "m", "export_path": "o", "max_batch_size": 0,
           "dynamic_batching": true})",
       "needs max_batch_size > 0"},
  };
  for (const auto& [json, message] : cases) {
    auto r = ParseRequestJson(json, "req.json");
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_THAT(r.status().message(), HasSubstr(message)) << json;
  }
}

TEST(RequestJsonTest, Int8KeysNeedEachOtherAndExistingFolders) {
  const std::string dir = ::testing::TempDir();
  const std::string folder = "\"" + dir + "\"";
  auto ok = ParseRequestJson(
      With(
          R"("enable_int8": true, "calibration_dataset": )" + folder +
          R"(, "validation_dataset": )" + folder +
          R"(, "max_accuracy_loss": 0.5, "image_mean": 127, "image_std": 128)"),
      "req.json");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->enable_int8);
  EXPECT_EQ(ok->calibration_dataset, dir);
  EXPECT_EQ(ok->max_accuracy_loss, 0.5);
  EXPECT_EQ(ok->image_std, 128);

  const std::vector<std::pair<std::string, std::string>> cases = {
      {With(R"("enable_int8": true)"),
       "key 'enable_int8': needs 'calibration_dataset'"},
      {With(R"("enable_int8": true, "calibration_dataset": )" + folder),
       "key 'enable_int8': needs 'validation_dataset'"},
      {With(R"("validation_dataset": )" + folder),
       "key 'validation_dataset': needs enable_int8"},
      {With(R"("enable_int8": true, "enable_fp16": true, )"
            R"("calibration_dataset": )" +
            folder + R"(, "validation_dataset": )" + folder),
       "'enable_int8' and 'enable_fp16' exclude each other"},
      {With(R"("calibration_dataset": "/no/such/folder")"),
       "key 'calibration_dataset': '/no/such/folder' is not a folder"},
      {With(R"("validation_labels": "/no/such/file")"),
       "key 'validation_labels': '/no/such/file' is not a file"},
      {With(R"("max_accuracy_loss": -1)"),
       "key 'max_accuracy_loss': must be in [0, 100]"},
      {With(R"("image_std": 0)"), "key 'image_std': must be a finite number"},
  };
  for (const auto& [json, message] : cases) {
    auto r = ParseRequestJson(json, "req.json");
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_THAT(r.status().message(), HasSubstr(message)) << json;
  }
}

TEST(RequestJsonTest, RefusesTextThatIsNotAJsonObject) {
  auto not_json = ParseRequestJson(R"({"input_model": )", "req.json");
  ASSERT_FALSE(not_json.ok());
  EXPECT_THAT(not_json.status().message(),
              HasSubstr("req.json: not valid JSON at offset"));
  auto array = ParseRequestJson("[1, 2]", "req.json");
  ASSERT_FALSE(array.ok());
  EXPECT_THAT(array.status().message(),
              HasSubstr("must be a JSON object, got a list"));
}

TEST(RequestFlagsTest, ParsesFlagsOfEveryKind) {
  auto r = ParseRequestFlags(
      {"--input_model=m.onnx", "--model_name=m", "--export_path=out",
       "--max_batch_size=4", "--enable_fp16", "--keep_io_types=false",
       "--input_names=a,b", "--input_formats=channels_last,none",
       "--input_shapes=a:4x3x8x8,b:4x2", "--tolerance=1e-3",
       "--preferred_batch_size=2,4"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->max_batch_size, 4);
  EXPECT_TRUE(r->enable_fp16);
  EXPECT_FALSE(r->keep_io_types);
  EXPECT_EQ(r->input_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->input_formats,
            (std::vector<InputFormat>{InputFormat::kChannelsLast,
                                      InputFormat::kNone}));
  EXPECT_EQ(r->input_shapes.at("a"), (std::vector<int64_t>{4, 3, 8, 8}));
  EXPECT_EQ(r->input_shapes.at("b"), (std::vector<int64_t>{4, 2}));
  EXPECT_DOUBLE_EQ(*r->tolerance, 1e-3);
  EXPECT_EQ(r->preferred_batch_size, (std::vector<int>{2, 4}));
}

TEST(RequestFlagsTest, FlagsOverrideTheRequestFileWhereverTheyStand) {
  const std::string dir = testing::MakeTempDir();
  const std::string file = dir + "/req.json";
  std::ofstream(file) << kMinimal;
  auto r = ParseRequestFlags(
      {"--max_batch_size=2", "--request=" + file, "--model_name=other"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->max_batch_size, 2);
  EXPECT_EQ(r->model_name, "other");
  EXPECT_EQ(r->input_model, "m.onnx");
}

TEST(RequestFlagsTest, RefusesBadFlagsNamingThem) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--colour=red"}, "unknown flag --colour"},
      {{"--max_batch_size=eight"},
       "flag --max_batch_size=eight: expected an integer"},
      {{"--enable_fp16=maybe"},
       "flag --enable_fp16=maybe: expected true or false"},
      {{"--model_name"}, "flag --model_name needs a value"},
      {{"--input_shapes=a:1xq"}, "'q' in 'a:1xq' is not an integer"},
      {{"--input_shapes=a"}, "expected NAME:D0xD1x..."},
      {{"model.onnx"}, "unexpected argument 'model.onnx'"},
      {{"--request=/no/such/file.json"},
       "request file '/no/such/file.json' cannot be read"},
      {{"--input_model=m.onnx"},
       "missing required keys: model_name, export_path, max_batch_size"},
  };
  for (const auto& [args, message] : cases) {
    auto r = ParseRequestFlags(args);
    ASSERT_FALSE(r.ok()) << args[0];
    EXPECT_THAT(r.status().message(), HasSubstr(message)) << args[0];
  }
}

TEST(RequestFlagsTest, HelpListsEveryKey) {
  const std::string help = RequestKeysHelp();
  for (const char* key : {"input_model", "serving_type", "input_formats",
                          "tolerance", "instance_kind", "optimization_level"}) {
    EXPECT_THAT(help, HasSubstr(key));
  }
}

}  // namespace
}  // namespace adlik::compiler
