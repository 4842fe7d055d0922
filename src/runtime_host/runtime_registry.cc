#include "runtime_host/runtime_registry.h"

#include <dlfcn.h>

#include <filesystem>

#include "base/logging.h"

namespace adlik {
namespace {
bool IsValidRuntimeName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  }
  return true;
}
}  // namespace

RuntimeRegistry::RuntimeRegistry(std::string runtime_dir)
    : runtime_dir_(std::move(runtime_dir)) {}

RuntimeRegistry::~RuntimeRegistry() = default;

std::string RuntimeRegistry::PluginPath(const std::string& name) const {
  return (std::filesystem::path(runtime_dir_) /
          ("libadlik_runtime_" + name + ".so"))
      .string();
}

StatusOr<Runtime*> RuntimeRegistry::Get(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) it = entries_.emplace(name, Load(name)).first;
  if (!it->second.error.ok()) return it->second.error;
  return it->second.runtime.get();
}

RuntimeRegistry::Entry RuntimeRegistry::Load(const std::string& name) const {
  Entry entry;
  if (!IsValidRuntimeName(name)) {
    entry.error = InvalidArgument("runtime '" + name +
                                  "': a runtime name is lower-case letters, "
                                  "digits and '_'");
    return entry;
  }
  const std::string path = PluginPath(name);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    entry.error = Unavailable("runtime '" + name + "' is not installed: no " +
                              path + " (see --runtime_dir)");
    return entry;
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    entry.error = Unavailable("runtime '" + name + "': cannot load " + path +
                              ": " + dlerror());
    return entry;
  }
  auto abi = reinterpret_cast<AdlikRuntimeAbiVersionFn>(
      dlsym(handle, "AdlikRuntimeAbiVersion"));
  auto create = reinterpret_cast<AdlikRuntimeCreateFn>(
      dlsym(handle, "AdlikRuntimeCreate"));
  if (abi == nullptr || create == nullptr) {
    entry.error =
        Unavailable("runtime '" + name + "': " + path +
                    " is not an Adlik runtime plugin (it does not "
                    "export AdlikRuntimeAbiVersion/AdlikRuntimeCreate)");
    return entry;
  }
  if (int v = abi(); v != kRuntimeAbiVersion) {
    entry.error = Unavailable(
        "runtime '" + name + "': " + path + " was built for runtime ABI " +
        std::to_string(v) + ", this server speaks ABI " +
        std::to_string(kRuntimeAbiVersion) + "; rebuild the plugin");
    return entry;
  }
  entry.runtime.reset(create());
  if (!entry.runtime) {
    entry.error = Unavailable("runtime '" + name + "': " + path +
                              " failed to initialize");
    return entry;
  }
  LOG(INFO) << "runtime '" << name << "' loaded from " << path;
  return entry;
}

}  // namespace adlik
