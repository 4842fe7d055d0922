// A std::mutex that Clang's thread-safety analysis knows about, and the
// scoped lock that goes with it (base/thread_annotations.h):
//
//   Mutex mu_;
//   std::condition_variable cv_;
//   bool stop_ ADLIK_GUARDED_BY(mu_) = false;
//   ...
//   MutexLock lock(&mu_);
//   while (!stop_) lock.Wait(cv_);
//
// Waits take a std::condition_variable and re-acquire the mutex before they
// return, so the analysis sees the mutex held throughout; write the
// predicate as a loop around Wait rather than as a lambda (the analysis
// cannot see that a lambda runs under the lock).
//
// Thread-safety: Mutex is a mutex. A MutexLock belongs to the thread that
// made it. Ownership: a MutexLock borrows its Mutex, which must outlive it.
#ifndef ADLIK_BASE_MUTEX_H_
#define ADLIK_BASE_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "base/thread_annotations.h"

namespace adlik {

class ADLIK_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ADLIK_ACQUIRE() { mu_.lock(); }
  void Unlock() ADLIK_RELEASE() { mu_.unlock(); }

 private:
  friend class MutexLock;
  std::mutex mu_;
};

class ADLIK_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ADLIK_ACQUIRE(mu) : lock_(mu->mu_) {}
  ~MutexLock() ADLIK_RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Lets go of the mutex for a while (around a callback, say) and takes it
  // back.
  void Unlock() ADLIK_RELEASE() { lock_.unlock(); }
  void Lock() ADLIK_ACQUIRE() { lock_.lock(); }

  void Wait(std::condition_variable& cv) { cv.wait(lock_); }
  template <class Rep, class Period>
  std::cv_status WaitFor(std::condition_variable& cv,
                         std::chrono::duration<Rep, Period> timeout) {
    return cv.wait_for(lock_, timeout);
  }
  template <class ClockT, class Duration>
  std::cv_status WaitUntil(std::condition_variable& cv,
                           std::chrono::time_point<ClockT, Duration> deadline) {
    return cv.wait_until(lock_, deadline);
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace adlik

#endif  // ADLIK_BASE_MUTEX_H_
