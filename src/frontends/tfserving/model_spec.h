// The version a ModelSpec names (TensorFlow Serving's and the original
// Adlik's, which have the same fields), as the server core takes it.
//
// Thread-safety: pure function.
#ifndef ADLIK_FRONTENDS_TFSERVING_MODEL_SPEC_H_
#define ADLIK_FRONTENDS_TFSERVING_MODEL_SPEC_H_

#include <string>

#include "adlik/status.h"

namespace adlik::tfserving {

// "" for the newest version (none given), else the version's number.
// INVALID_ARGUMENT for a version < 1; NOT_FOUND for a version label (this
// server has no version labels).
template <typename Spec>
StatusOr<std::string> SpecVersion(const Spec& spec) {
  if (spec.name().empty()) {
    return InvalidArgument("model_spec.name is missing");
  }
  if (spec.has_version()) {
    if (spec.version().value() < 1) {
      return InvalidArgument("model '" + spec.name() + "': version " +
                             std::to_string(spec.version().value()) +
                             " is not a version number (>= 1)");
    }
    return std::to_string(spec.version().value());
  }
  if (!spec.version_label().empty()) {
    return NotFound("model '" + spec.name() + "': no version has the label '" +
                    spec.version_label() +
                    "' (this server has no version labels; name the version "
                    "instead)");
  }
  return std::string();
}

}  // namespace adlik::tfserving

#endif  // ADLIK_FRONTENDS_TFSERVING_MODEL_SPEC_H_
