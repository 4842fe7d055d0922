// libFuzzer target: the Adlik and TensorFlow Serving inference paths up to
// the core. The first byte picks the form of the rest: TensorFlow Serving's
// REST body, Adlik's proto3-JSON body, or either API's PredictRequest in
// protobuf. Each is turned into the core's InferRequest for both models of
// fuzz_models.h and validated; a TensorFlow Serving request's inputs are also
// rendered back as outputs, in its REST format.
#include <google/protobuf/util/json_util.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adlik_serving/apis/predict.pb.h"
#include "frontends/adlik/adlik_protocol.h"
#include "frontends/kserve/json_parse.h"
#include "frontends/tfserving/tfs_json.h"
#include "frontends/tfserving/tfs_protocol.h"
#include "fuzz_models.h"
#include "server/request_validator.h"

namespace {

adlik::ModelMetadata MetadataOf(const inference::ModelConfig& config) {
  adlik::ModelMetadata m;
  m.name = config.name();
  for (const auto& in : config.input()) {
    adlik::TensorMetadata& t = m.inputs.emplace_back();
    t.name = in.name();
    t.type = static_cast<adlik::DataType>(in.data_type());
    if (config.max_batch_size() > 0) t.shape.push_back(-1);
    t.shape.insert(t.shape.end(), in.dims().begin(), in.dims().end());
  }
  return m;
}

void Validate(const inference::ModelConfig& config,
              adlik::InferRequest* request) {
  (void)adlik::ValidateRequest(config, request);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1,
                              size - 1);
  for (const auto& config : adlik::fuzz::Models()) {
    const adlik::ModelMetadata metadata = MetadataOf(config);
    switch (data[0] % 4) {
      case 0: {
        rapidjson::Document doc;
        if (!adlik::kserve::ParseJson(body, "body", &doc).ok()) return 0;
        auto parsed = adlik::tfserving::ParsePredictJson(doc, metadata);
        if (!parsed.ok()) break;
        adlik::InferResponse echo;
        for (const auto& in : parsed->request->inputs) {
          echo.outputs.push_back(
              {in.name, in.type, in.shape, in.data, in.byte_size});
        }
        Validate(config, parsed->request.get());
        (void)adlik::tfserving::RenderPredictJson(echo, parsed->row_format);
        break;
      }
      case 1: {
        adlik::serving::PredictRequest m;
        google::protobuf::util::JsonParseOptions options;
        options.ignore_unknown_fields = true;
        if (!google::protobuf::util::JsonStringToMessage(std::string(body), &m,
                                                         options)
                 .ok()) {
          return 0;
        }
        auto request = adlik::adlik_api::FromPredictRequest(m, metadata);
        if (request.ok()) Validate(config, request->get());
        break;
      }
      case 2: {
        tensorflow::serving::PredictRequest m;
        if (!m.ParseFromArray(body.data(), static_cast<int>(body.size())))
          return 0;
        auto request = adlik::tfserving::FromPredictRequest(m);
        if (request.ok()) Validate(config, request->get());
        break;
      }
      default: {
        adlik::serving::PredictRequest m;
        if (!m.ParseFromArray(body.data(), static_cast<int>(body.size())))
          return 0;
        auto request = adlik::adlik_api::FromPredictRequest(m, metadata);
        if (request.ok()) Validate(config, request->get());
      }
    }
  }
  return 0;
}
