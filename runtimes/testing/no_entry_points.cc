// A test plugin that is a valid shared library but not a runtime: it exports
// none of the entry points of adlik/runtime_api.h
// (libadlik_runtime_testing_no_entry.so). The server must refuse it with a
// reason that names the file and the missing entry points.
extern "C" __attribute__((visibility("default"))) int
AdlikTestingNotARuntime() {
  return 42;
}
