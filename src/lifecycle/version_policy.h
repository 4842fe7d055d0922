// Which versions of a model are served, by the config's version_policy:
//   latest { num_versions: N }   the N highest (default: latest, N = 1)
//   all { }                      every version
//   specific { versions: [...] } those listed that exist
//
// Thread-safety: pure function.
#ifndef ADLIK_LIFECYCLE_VERSION_POLICY_H_
#define ADLIK_LIFECYCLE_VERSION_POLICY_H_

#include <cstdint>
#include <vector>

#include "config/model_config.pb.h"

namespace adlik {

// `available` ascending; the result ascending.
std::vector<int64_t> SelectVersions(const inference::ModelVersionPolicy& policy,
                                    const std::vector<int64_t>& available);

}  // namespace adlik

#endif  // ADLIK_LIFECYCLE_VERSION_POLICY_H_
