// The rate limiter of the config's `instance_group { rate_limiter { ... } }`,
// shared by every model of the server: an instance executes only while it
// holds every resource it lists, as with Triton's --rate-limit=
// execution_count.
//
// A resource is a name and a count. One that is `global` is shared by all
// instances of all models; any other exists once per device (an instance on
// GPU 0 and one on GPU 1 draw from different pools). The count of each pool
// is the largest count any registered instance asks of it (Triton's default
// when no --rate-limit-resource gives it), so an instance can always run on
// its own, unless the server fixes it (ResourceCount, from
// --rate_limit_resource): an instance that asks more than a fixed count can
// never run and is refused at load (CheckFits). Among instances waiting for
// resources, one that can be served now goes first; between those, the one with
// the least "pass" (stride scheduling): each grant adds the instance's priority
// (0 counts as 1) to its pass, so an instance of priority 2 gets half the turns
// of one of priority 1 while both wait.
//
// Thread-safety: all methods may be called from any thread.
// Ownership: a Client is owned by its instance and must be unregistered
// (destroyed) before the RateLimiter; callbacks run on the thread of the
// call that grants them (Request or Release), outside the limiter's lock.
#ifndef ADLIK_SCHEDULER_RATE_LIMITER_H_
#define ADLIK_SCHEDULER_RATE_LIMITER_H_

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adlik/status.h"
#include "base/mutex.h"

namespace adlik {

class RateLimiter {
 public:
  struct Resource {
    std::string name;
    bool global = false;
    uint32_t count = 0;
  };

  // A pool size the server fixes: `device` -1 gives it to every device (and to
  // the resource when it is global), another value to that device only.
  struct ResourceCount {
    std::string name;
    uint32_t count = 0;
    int device = -1;
  };

  class Client;

  explicit RateLimiter(std::vector<ResourceCount> fixed = {});
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Registers an instance on `device` needing `resources` (each at most
  // once by name) with `priority`. The pools grow to fit it.
  std::unique_ptr<Client> Register(std::vector<Resource> resources, int device,
                                   uint32_t priority);

  // OK when every resource of `resources` on `device` fits its pool; an
  // error naming the resource when the server fixed a smaller count.
  Status CheckFits(const std::vector<Resource>& resources, int device) const;

  // Calls `granted` once `client` holds its resources (at once when they are
  // free and no one waits for them). A client has one request at a time and
  // gives the resources back with Release.
  void Request(Client* client, std::function<void()> granted);
  void Release(Client* client);

  // Request, waiting for the grant.
  void Acquire(Client* client);

  // The size of a pool: `device` is ignored for a global resource. 0 when no
  // registered instance asks for it.
  uint32_t capacity(const std::string& name, bool global, int device) const;
  // Requests not granted yet.
  size_t waiting() const;

 private:
  using Key = std::pair<std::string, int>;  // device -1: global
  struct Need {
    Key key;
    uint32_t count;
  };
  struct Waiter {
    Client* client;
    std::function<void()> granted;
  };

  void Unregister(Client* client);
  // The fixed size of a pool, if any (not guarded: set at construction).
  std::optional<uint32_t> FixedCapacity(const Key& key) const;
  uint32_t CapacityLocked(const Key& key) const ADLIK_REQUIRES(mu_);
  bool Fits(const Client& c) const ADLIK_REQUIRES(mu_);
  // Grants what can be granted now, returning the callbacks to call.
  std::vector<std::function<void()>> GrantLocked() ADLIK_REQUIRES(mu_);
  void Take(Client* c) ADLIK_REQUIRES(mu_);

  std::map<Key, uint32_t> fixed_;  // device -1: every device (and global)
  mutable Mutex mu_;
  // Per pool: the counts registered clients ask (its capacity is the
  // largest) and how much is in use.
  std::map<Key, std::multiset<uint32_t>> asked_ ADLIK_GUARDED_BY(mu_);
  std::map<Key, uint32_t> used_ ADLIK_GUARDED_BY(mu_);
  std::list<Waiter> waiters_ ADLIK_GUARDED_BY(mu_);  // in arrival order
  // The pass of the last grant: a client that starts waiting after an idle
  // spell starts from it rather than from its own old pass.
  uint64_t virtual_time_ ADLIK_GUARDED_BY(mu_) = 0;
};

class RateLimiter::Client {
 public:
  ~Client() { limiter_->Unregister(this); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

 private:
  friend class RateLimiter;
  Client(RateLimiter* limiter, std::vector<Need> needs, uint32_t stride)
      : limiter_(limiter), needs_(std::move(needs)), stride_(stride) {}

  RateLimiter* const limiter_;
  const std::vector<Need> needs_;
  const uint32_t stride_;
  uint64_t pass_ = 0;   // guarded by the limiter's mu_
  bool holds_ = false;  // guarded by the limiter's mu_
};

// Parses Triton's --rate-limit-resource form, `NAME:COUNT[:DEVICE]`.
StatusOr<RateLimiter::ResourceCount> ParseResourceCount(std::string_view text);

}  // namespace adlik

#endif  // ADLIK_SCHEDULER_RATE_LIMITER_H_
