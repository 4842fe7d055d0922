// adlik_runtime_describe PLUGIN: prints what a runtime plugin says of itself,
// one field a line, for RuntimeRegistry (src/runtime_host/) to read:
//
//   api MAJOR MINOR
//   name NAME
//   file DEFAULT_MODEL_FILENAME
//   platform PLATFORM          (one line per platform)
//
// It runs in a process of its own, so that the server, looking for the
// runtime that serves a platform or a model file, loads only the plugin it
// chooses and not every plugin's engine libraries. Exit status 1, with the
// reason on stderr, when the plugin cannot be loaded or described.
#include <dlfcn.h>

#include <cstdio>

#include "adlik/runtime_api.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s libadlik_runtime_NAME.so\n", argv[0]);
    return 2;
  }
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    std::fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  auto version = reinterpret_cast<decltype(&AdlikRuntimeApiVersion)>(
      dlsym(lib, "AdlikRuntimeApiVersion"));
  auto describe = reinterpret_cast<decltype(&AdlikRuntimeDescribe)>(
      dlsym(lib, "AdlikRuntimeDescribe"));
  if (version == nullptr || describe == nullptr) {
    std::fprintf(stderr, "%s: no AdlikRuntimeApiVersion/AdlikRuntimeDescribe\n",
                 argv[1]);
    return 1;
  }
  uint32_t major = 0, minor = 0;
  version(&major, &minor);
  std::printf("api %u %u\n", major, minor);
  // Another major's AdlikRuntimeInfo may differ: describe only our own.
  if (major != ADLIK_RUNTIME_API_VERSION_MAJOR) return 0;
  AdlikRuntimeInfo info{};
  info.size = sizeof(info);
  describe(&info);
  if (info.name != nullptr) std::printf("name %s\n", info.name);
  if (info.default_model_filename != nullptr)
    std::printf("file %s\n", info.default_model_filename);
  for (const char* const* p = info.platforms; p != nullptr && *p != nullptr;
       ++p) {
    std::printf("platform %s\n", *p);
  }
  return 0;
}
