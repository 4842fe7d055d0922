#include "lifecycle/version_policy.h"

#include <algorithm>

namespace adlik {

std::vector<int64_t> SelectVersions(const inference::ModelVersionPolicy& policy,
                                    const std::vector<int64_t>& available) {
  switch (policy.policy_choice_case()) {
    case inference::ModelVersionPolicy::kAll:
      return available;
    case inference::ModelVersionPolicy::kSpecific: {
      std::vector<int64_t> chosen;
      for (int64_t v : available) {
        const auto& want = policy.specific().versions();
        if (std::find(want.begin(), want.end(), v) != want.end())
          chosen.push_back(v);
      }
      return chosen;
    }
    default: {
      const size_t n =
          policy.has_latest()
              ? std::max<uint32_t>(1, policy.latest().num_versions())
              : 1;
      const size_t keep = std::min(n, available.size());
      return {available.end() - static_cast<std::ptrdiff_t>(keep),
              available.end()};
    }
  }
}

}  // namespace adlik
