#include "scheduler/batch_queue.h"

#include <algorithm>

namespace adlik {
namespace {

std::vector<int64_t> ShapeKey(const InferRequest& r) {
  std::vector<const InferInput*> inputs;
  for (const auto& in : r.inputs) inputs.push_back(&in);
  std::sort(inputs.begin(), inputs.end(),
            [](const InferInput* a, const InferInput* b) {
              return a->name < b->name;
            });
  // Names too: requests that leave out different optional inputs do not
  // batch together.
  std::vector<int64_t> key;
  for (const InferInput* in : inputs) {
    key.push_back(static_cast<int64_t>(in->name.size()));
    key.insert(key.end(), in->name.begin(), in->name.end());
    key.push_back(static_cast<int64_t>(in->shape.size()));
    key.insert(key.end(), in->shape.begin() + (in->shape.empty() ? 0 : 1),
               in->shape.end());
  }
  return key;
}

bool IsCancelled(const Pending& p) {
  return p.request->cancelled &&
         p.request->cancelled->load(std::memory_order_relaxed);
}

}  // namespace

BatchQueue::BatchQueue(BatchingPolicy policy)
    : policy_(std::move(policy)),
      levels_(std::max<uint32_t>(1, policy_.priority_levels)) {}

const QueuePolicy& BatchQueue::PolicyOf(uint32_t level) const {
  auto it = policy_.priority_queue_policy.find(level + 1);
  return it == policy_.priority_queue_policy.end()
             ? policy_.default_queue_policy
             : it->second;
}

Status BatchQueue::Push(Pending* p, uint64_t now_ns) {
  const InferRequest& r = *p->request;
  uint32_t level = 0;
  if (policy_.priority_levels > 0) {
    uint64_t priority = r.priority;
    if (priority == 0)
      priority = std::max<uint32_t>(1, policy_.default_priority_level);
    if (priority > policy_.priority_levels) {
      return InvalidArgument("priority " + std::to_string(r.priority) +
                             " is outside the model's levels 1.." +
                             std::to_string(policy_.priority_levels));
    }
    level = static_cast<uint32_t>(priority - 1);
  }
  const QueuePolicy& qp = PolicyOf(level);
  uint64_t timeout_us = qp.default_timeout_us;
  if (r.timeout_us > 0) {
    if (!qp.allow_timeout_override && r.timeout_us != qp.default_timeout_us) {
      return InvalidArgument(
          "the request sets a timeout but the model's queue policy does not "
          "allow_timeout_override");
    }
    timeout_us = r.timeout_us;
  }
  const uint32_t cap =
      qp.max_queue_size > 0 ? qp.max_queue_size : kDefaultMaxQueueSize;
  if (levels_[level].size() >= cap) {
    return Unavailable("the model's queue is full (" + std::to_string(cap) +
                       " requests waiting); try again later");
  }
  p->arrival_ns = now_ns;
  p->deadline_ns = timeout_us > 0 ? now_ns + timeout_us * 1000 : 0;
  p->sequence = next_sequence_++;
  p->level = level;
  if (policy_.dynamic_batching) p->shape_key = ShapeKey(r);
  if (p->deadline_ns)
    earliest_deadline_ns_ = std::min(earliest_deadline_ns_, p->deadline_ns);
  levels_[level].push_back(std::move(*p));
  ++size_;
  return Status::Ok();
}

void BatchQueue::SweepTimeouts(uint64_t now_ns, Decision* d) {
  if (now_ns < earliest_deadline_ns_) return;
  earliest_deadline_ns_ = UINT64_MAX;
  for (uint32_t level = 0; level < levels_.size(); ++level) {
    auto& q = levels_[level];
    const bool reject = PolicyOf(level).reject_on_timeout;
    for (auto it = q.begin(); it != q.end();) {
      if (it->deadline_ns == 0 || now_ns < it->deadline_ns) {
        if (it->deadline_ns)
          earliest_deadline_ns_ =
              std::min(earliest_deadline_ns_, it->deadline_ns);
        ++it;
        continue;
      }
      Pending p = std::move(*it);
      it = q.erase(it);
      if (reject) {
        --size_;
        d->refused.emplace_back(
            std::move(p),
            DeadlineExceeded(
                "the request's timeout passed while it was queued"));
      } else {
        p.deadline_ns = 0;
        delayed_.push_back(std::move(p));
      }
    }
  }
}

std::vector<std::pair<Pending, Status>> BatchQueue::Expire(uint64_t now_ns) {
  Decision d;
  SweepTimeouts(now_ns, &d);
  return std::move(d.refused);
}

BatchQueue::Decision BatchQueue::Next(uint64_t now_ns, bool flush) {
  Decision d;
  SweepTimeouts(now_ns, &d);

  // The candidates in serving order, as (queue, index); cancelled ones are
  // answered on the way.
  struct Ref {
    size_t queue, index;
  };
  std::vector<Ref> chosen;
  const Pending* head = nullptr;
  int total = 0;
  size_t best = 0;  // chosen.size() at the largest preferred size reached
  bool full = false;
  for (size_t qi = 0; qi < QueueCount() && !full; ++qi) {
    auto& q = Queue(qi);
    for (size_t i = 0; i < q.size(); ++i) {
      Pending& p = q[i];
      if (IsCancelled(p)) continue;  // removed below
      if (head == nullptr) {
        head = &p;
      } else if (!policy_.dynamic_batching || p.shape_key != head->shape_key) {
        if (!policy_.dynamic_batching) break;
        continue;
      }
      const int size = static_cast<int>(p.request->batch_size);
      if (policy_.dynamic_batching && total + size > policy_.max_batch_size) {
        full = true;
        break;
      }
      chosen.push_back({qi, i});
      total += size;
      if (!policy_.dynamic_batching) break;
      if (std::binary_search(policy_.preferred_batch_sizes.begin(),
                             policy_.preferred_batch_sizes.end(), total)) {
        best = chosen.size();
      }
      if (total == policy_.max_batch_size) {
        full = true;
        break;
      }
    }
    if (!policy_.dynamic_batching && !chosen.empty()) break;
  }

  size_t take = 0;
  if (!chosen.empty()) {
    if (!policy_.dynamic_batching) {
      take = 1;
    } else if (best > 0) {
      take = best;
    } else if (full || flush || policy_.max_queue_delay_us == 0 ||
               now_ns >= head->arrival_ns + policy_.max_queue_delay_us * 1000) {
      take = chosen.size();
    } else {
      d.wake_at_ns = head->arrival_ns + policy_.max_queue_delay_us * 1000;
    }
  }
  if (earliest_deadline_ns_ != UINT64_MAX &&
      (d.wake_at_ns == 0 || earliest_deadline_ns_ < d.wake_at_ns)) {
    d.wake_at_ns = earliest_deadline_ns_;
  }

  // Move the batch out, then drop the cancelled, erasing back to front.
  std::vector<std::vector<size_t>> erase(QueueCount());
  for (size_t k = 0; k < take; ++k) {
    d.batch.push_back(std::move(Queue(chosen[k].queue)[chosen[k].index]));
    erase[chosen[k].queue].push_back(chosen[k].index);
  }
  for (size_t qi = 0; qi < QueueCount(); ++qi) {
    auto& q = Queue(qi);
    for (size_t i = 0; i < q.size(); ++i) {
      if (q[i].request && IsCancelled(q[i])) {
        d.refused.emplace_back(std::move(q[i]),
                               Cancelled("the client cancelled the request"));
        erase[qi].push_back(i);
      }
    }
    std::sort(erase[qi].begin(), erase[qi].end());
    for (auto it = erase[qi].rbegin(); it != erase[qi].rend(); ++it) {
      q.erase(q.begin() + static_cast<std::ptrdiff_t>(*it));
    }
    size_ -= erase[qi].size();
  }
  return d;
}

}  // namespace adlik
