#include "scheduler/rate_limiter.h"

#include <algorithm>
#include <charconv>
#include <future>
#include <string>
#include <vector>

namespace adlik {

RateLimiter::RateLimiter(std::vector<ResourceCount> fixed) {
  for (const ResourceCount& f : fixed) fixed_[{f.name, f.device}] = f.count;
}

std::optional<uint32_t> RateLimiter::FixedCapacity(const Key& key) const {
  auto it = fixed_.find(key);
  if (it == fixed_.end() && key.second != -1) it = fixed_.find({key.first, -1});
  if (it == fixed_.end()) return std::nullopt;
  return it->second;
}

uint32_t RateLimiter::CapacityLocked(const Key& key) const {
  if (auto fixed = FixedCapacity(key)) return *fixed;
  auto asked = asked_.find(key);
  return asked == asked_.end() ? 0 : *asked->second.rbegin();
}

Status RateLimiter::CheckFits(const std::vector<Resource>& resources,
                              int device) const {
  for (const Resource& r : resources) {
    const Key key{r.name, r.global ? -1 : std::max(0, device)};
    auto fixed = FixedCapacity(key);
    if (fixed && r.count > *fixed) {
      return InvalidArgument(
          "rate_limiter: resource '" + r.name + "' asks " +
          std::to_string(r.count) + " but the server has " +
          std::to_string(*fixed) +
          (r.global ? " (global)"
                    : " on device " + std::to_string(key.second)) +
          " (--rate_limit_resource): the instance could never run");
    }
  }
  return Status::Ok();
}

std::unique_ptr<RateLimiter::Client> RateLimiter::Register(
    std::vector<Resource> resources, int device, uint32_t priority) {
  std::vector<Need> needs;
  for (const Resource& r : resources) {
    if (r.count == 0) continue;
    needs.push_back({{r.name, r.global ? -1 : std::max(0, device)}, r.count});
  }
  std::unique_ptr<Client> client(
      new Client(this, std::move(needs), std::max<uint32_t>(1, priority)));
  std::vector<std::function<void()>> granted;
  {
    MutexLock lock(&mu_);
    for (const Need& n : client->needs_) asked_[n.key].insert(n.count);
    client->pass_ = virtual_time_;
    // Larger pools may let a waiter run.
    granted = GrantLocked();
  }
  for (auto& g : granted) g();
  return client;
}

void RateLimiter::Unregister(Client* client) {
  std::vector<std::function<void()>> granted;
  {
    MutexLock lock(&mu_);
    for (const Need& n : client->needs_) {
      auto& counts = asked_[n.key];
      counts.erase(counts.find(n.count));
      if (counts.empty()) asked_.erase(n.key);
    }
    granted = GrantLocked();
  }
  for (auto& g : granted) g();
}

bool RateLimiter::Fits(const Client& c) const {
  for (const Need& n : c.needs_) {
    const uint32_t capacity = CapacityLocked(n.key);
    auto used = used_.find(n.key);
    const uint32_t in_use = used == used_.end() ? 0 : used->second;
    if (in_use + n.count > capacity) return false;
  }
  return true;
}

void RateLimiter::Take(Client* c) {
  for (const Need& n : c->needs_) used_[n.key] += n.count;
  c->holds_ = true;
  virtual_time_ = std::max(virtual_time_, c->pass_);
  c->pass_ += c->stride_;
}

std::vector<std::function<void()>> RateLimiter::GrantLocked() {
  std::vector<std::function<void()>> granted;
  for (;;) {
    auto best = waiters_.end();
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (!Fits(*it->client)) continue;
      if (best == waiters_.end() || it->client->pass_ < best->client->pass_)
        best = it;
    }
    if (best == waiters_.end()) return granted;
    Take(best->client);
    granted.push_back(std::move(best->granted));
    waiters_.erase(best);
  }
}

void RateLimiter::Request(Client* client, std::function<void()> granted) {
  std::vector<std::function<void()>> now;
  {
    MutexLock lock(&mu_);
    // Back from an idle spell: no credit for the turns it did not want.
    client->pass_ = std::max(client->pass_, virtual_time_);
    waiters_.push_back({client, std::move(granted)});
    now = GrantLocked();
  }
  for (auto& g : now) g();
}

void RateLimiter::Release(Client* client) {
  std::vector<std::function<void()>> granted;
  {
    MutexLock lock(&mu_);
    if (!client->holds_) return;
    client->holds_ = false;
    for (const Need& n : client->needs_) used_[n.key] -= n.count;
    granted = GrantLocked();
  }
  for (auto& g : granted) g();
}

void RateLimiter::Acquire(Client* client) {
  std::promise<void> granted;
  std::future<void> done = granted.get_future();
  Request(client, [&granted] { granted.set_value(); });
  done.wait();
}

uint32_t RateLimiter::capacity(const std::string& name, bool global,
                               int device) const {
  MutexLock lock(&mu_);
  return CapacityLocked({name, global ? -1 : std::max(0, device)});
}

size_t RateLimiter::waiting() const {
  MutexLock lock(&mu_);
  return waiters_.size();
}

namespace {

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace

StatusOr<RateLimiter::ResourceCount> ParseResourceCount(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("--rate_limit_resource '" + std::string(text) +
                           "': " + std::string(why) +
                           " (the form is NAME:COUNT[:DEVICE])");
  };
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) return bad("wrong number of parts");
  RateLimiter::ResourceCount r;
  r.name = std::string(parts[0]);
  if (r.name.empty()) return bad("the name is empty");
  if (!ParseNumber(parts[1], &r.count)) {
    return bad("the count is not a non-negative number");
  }
  if (parts.size() == 3 &&
      (!ParseNumber(parts[2], &r.device) || r.device < 0)) {
    return bad("the device is not a non-negative number");
  }
  return r;
}

}  // namespace adlik
