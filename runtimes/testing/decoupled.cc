// A decoupled test plugin (libadlik_runtime_testing_decoupled.so): FP32 "x"
// [-1, 4] -> "y" [-1, 4]. Execute answers the batch's odd requests from the
// batch's outputs (y = 2x) and takes over the even ones: for each, a thread of
// its own sends two responses, y = [[10k + 1] * 4] then [[10k + 2] * 4], and
// then the final flag alone, after Execute has returned. A response_send that
// returns an error (CANCELLED) ends the request at once with the final flag.
// A request that cannot be taken over (the model is not decoupled) is failed
// with response_begin's error; one the server lets it take over twice, or an
// output it lets it allocate as BYTES, is answered with an INTERNAL error.
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "adlik/runtime.h"

namespace {
using namespace adlik;

// Sends request k's responses (see above).
void Answer(Responder r, size_t k) {
  const int64_t shape[2] = {1, 4};
  for (int j = 1; j <= 2; ++j) {
    auto y = r.AllocateOutput("y", DataType::kFp32, shape);
    if (!y.ok()) {
      r.SendError(y.status(), true).IgnoreError();
      return;
    }
    const float value = static_cast<float>(10 * k + j);
    for (int i = 0; i < 4; ++i) std::memcpy(*y + i * 4, &value, 4);
    if (!r.Send(/*final=*/false).ok()) break;
  }
  r.Send(/*final=*/true).IgnoreError();
}

class DecoupledInstance : public Instance {
 public:
  ~DecoupledInstance() override {
    for (auto& t : threads_) t.join();
  }

  Status Execute(Batch& batch) override {
    const TensorView& x = batch.inputs()[0];
    ADLIK_ASSIGN_OR_RETURN(char* y, batch.AllocateOutput("y", x.type, x.shape));
    for (int64_t i = 0; i < ElementCount(x.shape); ++i) {
      float v;
      std::memcpy(&v, x.data + 4 * i, 4);
      v *= 2;
      std::memcpy(y + 4 * i, &v, 4);
    }
    for (size_t k = 0; k < batch.request_count(); k += 2) {
      StatusOr<Responder> r = batch.BeginResponse(k);
      if (!r.ok()) {
        batch.FailRequest(k, r.status());
        continue;
      }
      if (batch.BeginResponse(k).ok()) {
        r->SendError(Internal("response_begin took request " +
                              std::to_string(k) + " over twice"),
                     true)
            .IgnoreError();
        continue;
      }
      const int64_t one[1] = {1};
      if (r->AllocateOutput("y", DataType::kBytes, one).ok()) {
        r->SendError(Internal("a BYTES output was allocated"), true)
            .IgnoreError();
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      threads_.emplace_back(Answer, std::move(r).value(), k);
    }
    return Status::Ok();
  }

 private:
  std::mutex mu_;
  std::vector<std::thread> threads_;  // guarded by mu_
};

class DecoupledModel : public Model {
 public:
  Signature signature() const override {
    return {{{"x", DataType::kFp32, {-1, 4}}},
            {{"y", DataType::kFp32, {-1, 4}}}};
  }
  StatusOr<std::unique_ptr<Instance>> CreateInstance(
      const InstanceSpec&) override {
    return std::unique_ptr<Instance>(new DecoupledInstance());
  }
};

class DecoupledRuntime : public Runtime {
 public:
  StatusOr<std::unique_ptr<Model>> LoadModel(const ModelSpec&) override {
    return std::unique_ptr<Model>(new DecoupledModel());
  }
};
}  // namespace

ADLIK_DEFINE_RUNTIME(DecoupledRuntime, "testing_decoupled", "model.bin")
