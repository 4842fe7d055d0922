#include "runtime_host/runtime_registry.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "base/logging.h"

namespace adlik {
namespace {
constexpr std::string_view kPrefix = "libadlik_runtime_";
constexpr std::string_view kSuffix = ".so";

bool IsValidRuntimeName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  }
  return true;
}

// Runs `helper plugin` and returns its standard output; when it cannot run or
// fails, an error with what it wrote (the helper writes its reason to stderr,
// which shares the pipe).
StatusOr<std::string> RunHelper(const std::string& helper,
                                const std::string& plugin) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return Internal("cannot describe " + plugin + ": pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  char* argv[] = {const_cast<char*>(helper.c_str()),
                  const_cast<char*>(plugin.c_str()), nullptr};
  pid_t pid = 0;
  const int rc =
      posix_spawn(&pid, helper.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  std::string out;
  if (rc == 0) {
    char buf[4096];
    for (;;) {
      const ssize_t n = read(fds[0], buf, sizeof buf);
      if (n > 0) {
        out.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        break;
      }
    }
  }
  close(fds[0]);
  if (rc != 0) {
    return Internal("cannot run " + helper + ": " + std::strerror(rc));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
      out.pop_back();
    }
    return Unavailable(out.empty()
                           ? plugin + " cannot be loaded (its describer failed)"
                           : out);
  }
  return out;
}

std::string Extension(const std::string& file) {
  const auto dot = file.rfind('.');
  return dot == std::string::npos ? "" : file.substr(dot);
}
}  // namespace

RuntimeRegistry::RuntimeRegistry(std::string runtime_dir, int thread_budget)
    : runtime_dir_(std::move(runtime_dir)),
      thread_budget_(std::max(1, thread_budget)) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto helper = self.parent_path() / "adlik_runtime_describe";
    if (access(helper.c_str(), X_OK) == 0) describer_ = helper.string();
  }
}

StatusOr<RuntimeInfo> RuntimeRegistry::Describe(const std::string& name) {
  MutexLock lock(&describe_mu_);
  auto it = described_.find(name);
  if (it != described_.end()) return it->second;
  StatusOr<RuntimeInfo> info = [&]() -> StatusOr<RuntimeInfo> {
    ASSIGN_OR_RETURN(std::string out, RunHelper(describer_, PluginPath(name)));
    RuntimeInfo i;
    std::istringstream lines(out);
    for (std::string key, value; lines >> key && std::getline(lines, value);) {
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      if (key == "api") {
        std::istringstream(value) >> i.api_major >> i.api_minor;
      } else if (key == "file") {
        i.default_model_filename = value;
      } else if (key == "platform") {
        i.platforms.push_back(value);
      }
    }
    i.name = name;  // the file's name, as RuntimePlugin::Open decides
    if (i.api_major != ADLIK_RUNTIME_API_VERSION_MAJOR ||
        i.api_minor > ADLIK_RUNTIME_API_VERSION_MINOR) {
      return InvalidArgument(
          "built for runtime API " + std::to_string(i.api_major) + "." +
          std::to_string(i.api_minor) + "; this server takes " +
          std::to_string(ADLIK_RUNTIME_API_VERSION_MAJOR) + ".0 to " +
          std::to_string(ADLIK_RUNTIME_API_VERSION_MAJOR) + "." +
          std::to_string(ADLIK_RUNTIME_API_VERSION_MINOR));
    }
    if (i.default_model_filename.empty()) {
      return InvalidArgument("declares no default model file name");
    }
    return i;
  }();
  described_.emplace(name, info);
  return info;
}

RuntimeRegistry::~RuntimeRegistry() = default;

std::string RuntimeRegistry::PluginPath(const std::string& name) const {
  return (std::filesystem::path(runtime_dir_) /
          (std::string(kPrefix) + name + std::string(kSuffix)))
      .string();
}

StatusOr<RuntimePlugin*> RuntimeRegistry::Get(const std::string& name) {
  MutexLock lock(&mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) it = entries_.emplace(name, Load(name)).first;
  if (!it->second.error.ok()) return it->second.error;
  return it->second.plugin.get();
}

template <typename Pred>
StatusOr<RuntimePlugin*> RuntimeRegistry::FindLoaded(
    const Pred& matches, const std::string& wanted) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(runtime_dir_, ec)) {
    const std::string file = e.path().filename().string();
    if (file.size() > kPrefix.size() + kSuffix.size() &&
        file.starts_with(kPrefix) && file.ends_with(kSuffix)) {
      names.push_back(file.substr(
          kPrefix.size(), file.size() - kPrefix.size() - kSuffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  // Those already loaded first: a search loads no more plugins than needed.
  std::stable_partition(names.begin(), names.end(), [&](const std::string& n) {
    MutexLock lock(&mu_);
    return entries_.count(n) > 0;
  });
  std::string found;
  std::string broken;  // plugins that cannot be loaded, with why
  auto skip = [&broken](const std::string& name, const Status& why) {
    broken += (broken.empty() ? "" : "; ") + name + " (" + why.message() + ")";
  };
  auto list = [&found](const RuntimeInfo& info) {
    found += (found.empty() ? "" : "; ") + info.name + " (" +
             info.default_model_filename;
    for (const auto& p : info.platforms) found += ", " + p;
    found += ")";
  };
  for (const std::string& name : names) {
    bool loaded = false;
    {
      MutexLock lock(&mu_);
      loaded = entries_.count(name) > 0;
    }
    if (!loaded && !describer_.empty()) {
      // Described apart: loaded only if it is the one.
      StatusOr<RuntimeInfo> info = Describe(name);
      if (!info.ok()) {
        skip(name, info.status());
        continue;
      }
      if (!matches(*info)) {
        list(*info);
        continue;
      }
    }
    auto plugin = Get(name);
    if (!plugin.ok()) {
      skip(name, plugin.status());
      continue;
    }
    if (matches((*plugin)->info())) return *plugin;
    list((*plugin)->info());
  }
  return InvalidArgument(
      wanted + "; the runtimes in " + runtime_dir_ +
      (found.empty() ? ": none" : ": " + found) + " (see --runtime_dir)" +
      (broken.empty() ? "" : "; runtimes that cannot be loaded: " + broken));
}

StatusOr<RuntimePlugin*> RuntimeRegistry::ForPlatform(
    const std::string& platform) {
  return FindLoaded(
      [&](const RuntimeInfo& info) {
        return std::find(info.platforms.begin(), info.platforms.end(),
                         platform) != info.platforms.end();
      },
      "platform: no runtime serves '" + platform +
          "' (name one with `backend: \"<name>\"`)");
}

StatusOr<RuntimePlugin*> RuntimeRegistry::ForModelFile(
    const std::vector<std::string>& version_files,
    const std::string& named_file) {
  auto present = [&](const std::string& f) {
    return std::find(version_files.begin(), version_files.end(), f) !=
           version_files.end();
  };
  return FindLoaded(
      [&](const RuntimeInfo& info) {
        if (named_file.empty()) return present(info.default_model_filename);
        return present(named_file) &&
               Extension(named_file) == Extension(info.default_model_filename);
      },
      "neither backend nor platform is set and no runtime's model file is "
      "in the version folder");
}

StatusOr<RuntimePlugin*> RuntimeRegistry::ForConfig(
    const std::string& backend, const std::string& platform,
    const std::vector<std::string>& version_files,
    const std::string& named_file) {
  if (!backend.empty()) return Get(backend);
  if (!platform.empty()) return ForPlatform(platform);
  return ForModelFile(version_files, named_file);
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
  auto plugin = RuntimePlugin::Open(path, thread_budget_);
  if (!plugin.ok()) {
    entry.error = plugin.status().WithPrefix("runtime '" + name + "'");
    return entry;
  }
  entry.plugin = std::move(plugin).value();
  LOG(INFO) << "runtime '" << name << "' loaded from " << path;
  return entry;
}

}  // namespace adlik
