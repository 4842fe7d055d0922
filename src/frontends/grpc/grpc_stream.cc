#include "frontends/grpc/grpc_stream.h"

#include <atomic>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/logging.h"
#include "frontends/grpc/grpc_infer_request.h"
#include "frontends/shared_memory/shared_memory_tensors.h"

namespace adlik::grpc_frontend {
namespace {

using inference::ModelInferRequest;
using inference::ModelStreamInferResponse;

constexpr char kFinalParameter[] = "triton_final_response";
constexpr char kEmptyFinalParameter[] = "triton_enable_empty_final_response";

// What the message of the exception being handled says.
std::string ExceptionMessage() {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return "out of memory while handling the request";
  } catch (const std::exception& e) {
    return std::string("internal error: ") + e.what();
  } catch (...) {
    return "internal error (unknown exception)";
  }
}

// What an answer must echo of its request.
struct RequestEcho {
  std::string id, model_name, model_version;
  bool empty_final = false;  // triton_enable_empty_final_response
  // The outputs in shared memory (each answer is written there).
  std::vector<std::optional<kserve::SharedMemoryRef>> shm;
  std::vector<std::optional<shm::Block>> blocks;
};

// One answer as a stream message; nullptr when nothing is to be written (a
// final flag alone that the request did not ask to see).
std::unique_ptr<ModelStreamInferResponse> Render(
    const RequestEcho& echo, std::optional<StatusOr<InferResponse>> response,
    bool final) {
  if (!response && !echo.empty_final) return nullptr;
  auto m = std::make_unique<ModelStreamInferResponse>();
  inference::ModelInferResponse* r = m->mutable_infer_response();
  try {
    if (response && response->ok()) {
      if (Status s = shm::WriteOutputs(echo.blocks, **response); !s.ok())
        *response = s;
    }
    if (response && response->ok()) {
      ToProto(**response, r, echo.shm);
      // Ends the success duration in the statistics.
      if ((*response)->encoded) (*response)->encoded();
    } else {
      if (response) m->set_error_message(response->status().message());
      r->set_id(echo.id);
      if (!response) {  // the empty final response
        r->set_model_name(echo.model_name);
        r->set_model_version(echo.model_version);
      }
    }
  } catch (...) {
    m->Clear();
    r = m->mutable_infer_response();
    m->set_error_message("ModelStreamInfer: " + ExceptionMessage());
    r->set_id(echo.id);
  }
  (*r->mutable_parameters())[kFinalParameter].set_bool_param(final);
  return m;
}

// The part of a stream the core's callbacks reach. It outlives the reactor:
// once the call is finished, answers that still come are dropped.
class StreamState {
 public:
  explicit StreamState(StreamReactor* reactor) : reactor_(reactor) {}

  // The client's requests are dropped or refused from now on.
  const std::shared_ptr<std::atomic<bool>> cancelled =
      std::make_shared<std::atomic<bool>>(false);

  // A request was read; call before handing it to the core. False when the
  // call is ending (drop the request).
  bool BeginRequest() {
    std::lock_guard<std::mutex> lock(mu_);
    if (finishing_) return false;
    ++in_flight_;
    return true;
  }

  // One answer of a request (any thread).
  void Answer(std::unique_ptr<ModelStreamInferResponse> message, bool final) {
    std::unique_lock<std::mutex> lock(mu_);
    if (final) --in_flight_;
    if (finishing_) return;
    if (message != nullptr) queue_.push_back(std::move(message));
    Proceed(lock);
  }

  // The client half-closed the stream (or the read failed).
  void ReadsDone() {
    std::unique_lock<std::mutex> lock(mu_);
    reads_done_ = true;
    Proceed(lock);
  }

  // The write in progress is done.
  void WriteDone(bool ok) {
    std::unique_lock<std::mutex> lock(mu_);
    writing_.reset();
    if (!ok) Abort();
    Proceed(lock);
  }

  // The call is cancelled (the client went, the deadline passed, shutdown).
  void Cancel() {
    std::unique_lock<std::mutex> lock(mu_);
    Abort();
    Proceed(lock);
  }

 private:
  // Under mu_: stop reading and writing; finish once no write is in progress.
  void Abort() {
    cancelled->store(true);
    aborted_ = true;
    queue_.clear();
  }

  // Under mu_ (released here): starts the next write, or finishes the call
  // when nothing is left to do. The reactor is alive: it is deleted only
  // after Finish, and Finish waits for the write in progress.
  void Proceed(std::unique_lock<std::mutex>& lock) {
    if (finishing_ || writing_ != nullptr) return;
    if (!queue_.empty()) {
      writing_ = std::move(queue_.front());
      queue_.pop_front();
      const ModelStreamInferResponse* next = writing_.get();
      lock.unlock();
      reactor_->StartWrite(next);
      return;
    }
    if (!aborted_ && !(reads_done_ && in_flight_ == 0)) return;
    finishing_ = true;
    lock.unlock();
    reactor_->Finish(aborted_ ? grpc::Status::CANCELLED : grpc::Status::OK);
  }

  StreamReactor* const reactor_;
  std::mutex mu_;
  std::deque<std::unique_ptr<ModelStreamInferResponse>> queue_;  // mu_
  std::unique_ptr<ModelStreamInferResponse> writing_;  // mu_; in progress
  size_t in_flight_ = 0;     // mu_: requests without their final answer
  bool reads_done_ = false;  // mu_
  bool aborted_ = false;     // mu_
  bool finishing_ = false;   // mu_: Finish was called
};

class InferStream final : public StreamReactor {
 public:
  InferStream(ServerCore* core, const shm::SharedMemoryRegistry* shm)
      : core_(core), shm_(shm), state_(std::make_shared<StreamState>(this)) {
    ReadNext();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      state_->ReadsDone();
      return;
    }
    const uint64_t received_ns = Clock::Real()->NowNs();
    std::shared_ptr<ModelInferRequest> message = std::move(reading_);
    if (!state_->BeginRequest()) return;
    // Read the next request while this one runs.
    ReadNext();
    Submit(std::move(message), received_ns);
  }

  void OnWriteDone(bool ok) override { state_->WriteDone(ok); }
  void OnCancel() override { state_->Cancel(); }
  void OnDone() override { delete this; }

 private:
  void ReadNext() {
    reading_ = std::make_shared<ModelInferRequest>();
    StartRead(reading_.get());
  }

  // Hands one request to the core; its answers go to the stream.
  void Submit(std::shared_ptr<ModelInferRequest> message,
              uint64_t received_ns) {
    auto echo = std::make_shared<RequestEcho>();
    std::shared_ptr<StreamState> state = state_;
    try {
      echo->id = message->id();
      echo->model_name = message->model_name();
      echo->model_version = message->model_version();
      if (auto it = message->parameters().find(kEmptyFinalParameter);
          it != message->parameters().end()) {
        echo->empty_final = it->second.bool_param();
      }
      kserve::SharedMemoryRefs refs;
      auto parsed = FromProto(*message, &refs);
      if (!parsed.ok()) {
        state->Answer(Render(*echo, parsed.status(), true), true);
        return;
      }
      std::unique_ptr<InferRequest> request = std::move(parsed).value();
      auto blocks = shm::PlaceTensors(shm_, refs, request.get());
      if (!blocks.ok()) {
        state->Answer(Render(*echo, blocks.status(), true), true);
        return;
      }
      echo->blocks = std::move(blocks).value();
      echo->shm = std::move(refs.outputs);
      request->cancelled = state->cancelled;
      request->received_ns = received_ns;
      // The inputs are read in place from the message (and the blocks
      // PlaceTensors put in the keepalive stay held with it).
      struct Both {
        std::shared_ptr<const void> message, blocks;
      };
      request->keepalive = std::make_shared<Both>(
          Both{std::move(message), std::move(request->keepalive)});
      core_->InferStream(
          std::move(request),
          [state, echo](std::optional<StatusOr<InferResponse>> response,
                        bool final) {
            state->Answer(Render(*echo, std::move(response), final), final);
          });
    } catch (...) {
      LOG(ERROR) << "gRPC ModelStreamInfer: " << ExceptionMessage();
      state->Answer(
          Render(*echo, Internal("ModelStreamInfer: " + ExceptionMessage()),
                 true),
          true);
    }
  }

  ServerCore* const core_;
  const shm::SharedMemoryRegistry* const shm_;
  const std::shared_ptr<StreamState> state_;
  std::shared_ptr<ModelInferRequest> reading_;  // the read in progress
};

class RefusedStream final : public StreamReactor {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

StreamReactor* StartInferStream(ServerCore* core,
                                const shm::SharedMemoryRegistry* shm) {
  return new InferStream(core, shm);
}

StreamReactor* RefuseInferStream(const grpc::Status& status) {
  return new RefusedStream(status);
}

}  // namespace adlik::grpc_frontend
