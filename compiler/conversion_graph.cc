#include "conversion_graph.h"

#include <map>
#include <queue>
#include <set>

namespace adlik::compiler {
namespace {

bool Applies(const Pass& pass, const Format& format) {
  if (pass.from != format.base) return false;
  if ((format.properties & pass.requires_properties) !=
      pass.requires_properties)
    return false;
  if (pass.adds_properties != 0 &&
      (format.properties & pass.adds_properties) == pass.adds_properties)
    return false;
  return true;
}

bool Reached(const Format& format, std::string_view target, unsigned required) {
  return format.base == target && (format.properties & required) == required;
}

}  // namespace

void ConversionGraph::Add(Pass pass) { passes_.push_back(std::move(pass)); }

std::optional<Path> ConversionGraph::Search(const Format& source,
                                            std::string_view target,
                                            unsigned required,
                                            bool only_available) const {
  // parent[f] = (previous format, pass that led to f)
  std::map<Format, std::pair<Format, const Pass*>> parent;
  std::queue<Format> queue;
  queue.push(source);
  parent.emplace(source, std::make_pair(source, nullptr));
  while (!queue.empty()) {
    Format current = queue.front();
    queue.pop();
    if (Reached(current, target, required)) {
      Path path;
      for (Format f = current; !(f == source);) {
        const auto& [prev, pass] = parent.at(f);
        path.passes.insert(path.passes.begin(), pass);
        path.formats.insert(path.formats.begin(), f);
        f = prev;
      }
      path.formats.insert(path.formats.begin(), source);
      return path;
    }
    for (const Pass& pass : passes_) {
      if (!Applies(pass, current)) continue;
      if (only_available && !pass.available()) continue;
      Format next{pass.to, current.properties | pass.adds_properties};
      if (parent.emplace(next, std::make_pair(current, &pass)).second) {
        queue.push(next);
      }
    }
  }
  return std::nullopt;
}

StatusOr<Path> ConversionGraph::FindPath(const Format& source,
                                         std::string_view target,
                                         unsigned required) const {
  if (auto path = Search(source, target, required, /*only_available=*/true)) {
    return *path;
  }
  const Format goal{std::string(target), required};
  auto path = Search(source, target, required, /*only_available=*/false);
  if (!path) {
    std::set<std::string> reachable;
    for (const Pass& pass : passes_) {
      if (pass.to != source.base && Search(source, pass.to, 0, false)) {
        reachable.insert(pass.to);
      }
    }
    std::string list;
    for (const auto& r : reachable) list += (list.empty() ? "" : ", ") + r;
    return InvalidArgument(
        "no conversion from " + FormatName(source) + " to " + FormatName(goal) +
        (list.empty() ? " (nothing is reachable from it)"
                      : " (reachable from it: " + list + ")"));
  }
  std::string missing;
  for (const Pass* pass : path->passes) {
    if (pass->available()) continue;
    const std::string needs = pass->Missing();
    if (!missing.empty()) missing += "; ";
    missing += "pass '" + pass->name + "' (" +
               FormatName({pass->from, pass->requires_properties}) + " -> " +
               pass->to + ") needs " +
               (needs.empty() ? "an implementation" : needs);
  }
  return Unimplemented("cannot compile " + FormatName(source) + " to " +
                       std::string(target) + " with this build: " + missing +
                       " (the path would be " + DescribePath(*path) + ")");
}

std::string DescribePath(const Path& path) {
  if (path.formats.empty()) return "";
  std::string s = FormatName(path.formats[0]);
  for (size_t i = 0; i < path.passes.size(); ++i) {
    const Format& f = path.formats[i + 1];
    s += " -> " + FormatName({f.base, path.passes[i]->adds_properties});
  }
  return s;
}

}  // namespace adlik::compiler
