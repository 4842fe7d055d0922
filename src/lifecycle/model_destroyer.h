// Destroys served models on a thread of its own, as soon as their last
// handle is released, without polling.
//
// Adopt wraps a freshly loaded model into the handle the manager serves and
// hands out: every copy shares one count, and when the last copy goes,
// wherever that is (an HTTP or gRPC I/O thread, an instance thread finishing
// the last request, the reconciliation), the model is passed to the
// destroyer's thread, which destroys it there: the destructor drains the
// scheduler, joins the instance threads and frees the engine, which must
// never hold up an I/O thread or run on one of the model's own threads.
//
// Retire marks a handle as taken out of service: the model is "retiring"
// from then until it is destroyed (requests still holding it finish on it
// first). WaitUntilNoneRetiring waits for all of them.
//
// Thread-safety: all methods may be called from any thread.
// Lifetime: the destructor waits until every model it adopted has been
// destroyed (so every handle must have been released by then), then stops
// its thread.
#ifndef ADLIK_LIFECYCLE_MODEL_DESTROYER_H_
#define ADLIK_LIFECYCLE_MODEL_DESTROYER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <thread>

#include "base/mutex.h"
#include "lifecycle/served_model.h"

namespace adlik {

class ModelDestroyer {
 public:
  ModelDestroyer();
  ~ModelDestroyer();
  ModelDestroyer(const ModelDestroyer&) = delete;
  ModelDestroyer& operator=(const ModelDestroyer&) = delete;

  // The handle to serve `model` through; `model` must be its only owner.
  std::shared_ptr<ServedModel> Adopt(std::shared_ptr<ServedModel> model);

  // Drops the caller's `handle` (one Adopt returned), counting the model as
  // retiring until it is destroyed.
  void Retire(std::shared_ptr<ServedModel> handle);

  // Models retired and not destroyed yet.
  size_t retiring() const;

  void WaitUntilNoneRetiring();

 private:
  // The deleter of the handles: passes the model on to the thread.
  struct HandOff {
    ModelDestroyer* destroyer;
    std::shared_ptr<ServedModel> model;
    bool retired = false;  // set by Retire while the handle is still held
    void operator()(ServedModel*);
  };
  struct Doomed {
    std::shared_ptr<ServedModel> model;
    bool retired;
  };
  void Loop();

  mutable Mutex mu_;
  std::condition_variable cv_;  // work for the thread, or a model destroyed
  std::deque<Doomed> doomed_ ADLIK_GUARDED_BY(mu_);
  size_t live_ ADLIK_GUARDED_BY(mu_) = 0;      // adopted, not yet destroyed
  size_t retiring_ ADLIK_GUARDED_BY(mu_) = 0;  // retired, not yet destroyed
  bool stop_ ADLIK_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace adlik

#endif  // ADLIK_LIFECYCLE_MODEL_DESTROYER_H_
