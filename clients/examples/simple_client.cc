// adlik_simple_client: the C++ client library's example. Sends two INT32
// [1,16] tensors to the `simple` example model and checks that OUTPUT0 is
// their sum and OUTPUT1 their difference.
//
//   adlik_simple_client http 127.0.0.1:8501
//   adlik_simple_client grpc 127.0.0.1:8500 [MODEL]
//
// Exit status: 0 when the answer is right, 1 when it is wrong or the call
// failed, 2 on a usage error.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "adlik/client/grpc_client.h"
#include "adlik/client/http_client.h"

namespace {

using adlik::DataType;
using adlik::client::InferInput;
using adlik::client::InferResult;

adlik::StatusOr<std::unique_ptr<adlik::client::InferenceClient>> Connect(
    const std::string& protocol, const std::string& url) {
  if (protocol == "http") {
    auto c = adlik::client::HttpClient::Create({.url = url});
    if (!c.ok()) return c.status();
    return std::unique_ptr<adlik::client::InferenceClient>(
        std::move(c).value());
  }
  if (protocol == "grpc") {
    auto c = adlik::client::GrpcClient::Create({.url = url});
    if (!c.ok()) return c.status();
    return std::unique_ptr<adlik::client::InferenceClient>(
        std::move(c).value());
  }
  return adlik::InvalidArgument("protocol must be http or grpc, not '" +
                                protocol + "'");
}

bool Check(const InferResult& result, const char* name,
           const std::vector<int32_t>& want) {
  const auto* out = result.Find(name);
  if (out == nullptr || out->type != DataType::kInt32 ||
      out->data.size() != want.size() * sizeof(int32_t)) {
    std::fprintf(stderr, "%s: missing or of the wrong type or size\n", name);
    return false;
  }
  std::vector<int32_t> got(want.size());
  std::memcpy(got.data(), out->data.data(), out->data.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (got[i] != want[i]) {
      std::fprintf(stderr, "%s[%zu] = %d, expected %d\n", name, i, got[i],
                   want[i]);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s http|grpc HOST:PORT [MODEL]\n", argv[0]);
    return 2;
  }
  const std::string model = argc == 4 ? argv[3] : "simple";
  auto client = Connect(argv[1], argv[2]);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 2;
  }
  auto live = (*client)->IsServerLive();
  if (!live.ok() || !*live) {
    std::fprintf(stderr, "server not live: %s\n",
                 live.ok() ? "it says no" : live.status().ToString().c_str());
    return 1;
  }

  std::vector<int32_t> a(16), b(16), sum(16), difference(16);
  for (int i = 0; i < 16; ++i) {
    a[i] = i * 7 - 20;
    b[i] = 3 - i * i;
    sum[i] = a[i] + b[i];
    difference[i] = a[i] - b[i];
  }
  const std::vector<InferInput> inputs = {
      {"INPUT0", DataType::kInt32, {1, 16}, adlik::client::AsBytes(a)},
      {"INPUT1", DataType::kInt32, {1, 16}, adlik::client::AsBytes(b)},
  };
  adlik::client::InferOptions options;
  options.request_id = "example";
  InferResult result;
  const adlik::Status s = (*client)->Infer(model, inputs, options, &result);
  if (!s.ok()) {
    std::fprintf(stderr, "inference failed: %s\n", s.ToString().c_str());
    return 1;
  }
  if (!Check(result, "OUTPUT0", sum) || !Check(result, "OUTPUT1", difference))
    return 1;
  std::printf(
      "%s over %s: OUTPUT0 = INPUT0 + INPUT1 and OUTPUT1 = INPUT0 - INPUT1 "
      "for all 16 elements (model %s, version %s, id %s)\n",
      model.c_str(), argv[1], result.model_name.c_str(),
      result.model_version.c_str(), result.id.c_str());
  return 0;
}
