// A monotonic clock that tests can replace, so that queue delays and
// timeouts are tested without sleeping.
//
// Thread-safety: implementations must be safe to call from any thread.
#ifndef ADLIK_BASE_CLOCK_H_
#define ADLIK_BASE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace adlik {

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds on a monotonic scale.
  virtual uint64_t NowNs() const = 0;

  // The process-wide steady clock. Never destroyed.
  static const Clock* Real();
};

// A clock that only moves when told to. For tests.
class FakeClock : public Clock {
 public:
  uint64_t NowNs() const override { return now_.load(); }
  void AdvanceNs(uint64_t ns) { now_.fetch_add(ns); }

 private:
  std::atomic<uint64_t> now_{1'000'000'000};
};

inline const Clock* Clock::Real() {
  struct SteadyClock : Clock {
    uint64_t NowNs() const override {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
          .count();
    }
  };
  static const SteadyClock* clock = new SteadyClock();
  return clock;
}

}  // namespace adlik

#endif  // ADLIK_BASE_CLOCK_H_
