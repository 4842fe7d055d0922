#include "lifecycle/model_destroyer.h"

#include <malloc.h>

#include <string>

#include "base/logging.h"

namespace adlik {

ModelDestroyer::ModelDestroyer() : thread_([this] { Loop(); }) {}

ModelDestroyer::~ModelDestroyer() {
  MutexLock lock(&mu_);
  while (live_ > 0) lock.Wait(cv_);
  stop_ = true;
  cv_.notify_all();
  lock.Unlock();
  thread_.join();
}

std::shared_ptr<ServedModel> ModelDestroyer::Adopt(
    std::shared_ptr<ServedModel> model) {
  if (!model) return model;
  {
    MutexLock lock(&mu_);
    ++live_;
  }
  ServedModel* raw = model.get();
  return std::shared_ptr<ServedModel>(raw, HandOff{this, std::move(model)});
}

void ModelDestroyer::HandOff::operator()(ServedModel*) {
  {
    MutexLock lock(&destroyer->mu_);
    destroyer->doomed_.push_back({std::move(model), retired});
  }
  destroyer->cv_.notify_all();
}

void ModelDestroyer::Retire(std::shared_ptr<ServedModel> handle) {
  if (!handle) return;
  HandOff* hand_off = std::get_deleter<HandOff>(handle);
  if (hand_off != nullptr) {
    MutexLock lock(&mu_);
    // The handle is still held here, so the deleter cannot run meanwhile;
    // releasing it below publishes the flag to whichever thread runs it.
    hand_off->retired = true;
    ++retiring_;
  }
  handle.reset();
}

size_t ModelDestroyer::retiring() const {
  MutexLock lock(&mu_);
  return retiring_;
}

void ModelDestroyer::WaitUntilNoneRetiring() {
  MutexLock lock(&mu_);
  while (retiring_ > 0) lock.Wait(cv_);
}

void ModelDestroyer::Loop() {
  MutexLock lock(&mu_);
  for (;;) {
    if (doomed_.empty()) {
      if (stop_) return;
      lock.Wait(cv_);
      continue;
    }
    Doomed d = std::move(doomed_.front());
    doomed_.pop_front();
    lock.Unlock();
    const std::string name = d.model->name();
    const int64_t version = d.model->version();
    d.model.reset();  // drains its queue, joins its threads, frees the engine
    malloc_trim(0);   // gives the engine's freed memory back to the system
    LOG(INFO).Model(name).Version(version) << "destroyed";
    lock.Lock();
    --live_;
    if (d.retired) --retiring_;
    cv_.notify_all();
  }
}

}  // namespace adlik
