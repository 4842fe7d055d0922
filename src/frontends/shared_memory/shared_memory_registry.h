// The system shared-memory regions clients register (the KServe/Triton
// system shared-memory extension): a name for a block [offset, offset +
// byte_size) of the POSIX shared-memory object `key` (/dev/shm/<key>), mapped
// once at registration, which requests then name as the place of an input's
// bytes or of an output's.
//
// A key is a shared-memory object's name: an optional leading '/', then
// neither '/' nor NUL, and not "." or "..", so that it names a file of
// /dev/shm and nothing else.
//
// Ownership: the registry owns the mappings. A Block keeps its region's mapping
// alive: unregistering a region a request still holds frees the name at once
// and unmaps once the last Block of it is gone, so that no request in flight
// reads or writes unmapped memory.
//
// Thread-safety: every method may be called concurrently from any thread.
#ifndef ADLIK_FRONTENDS_SHARED_MEMORY_SHARED_MEMORY_REGISTRY_H_
#define ADLIK_FRONTENDS_SHARED_MEMORY_SHARED_MEMORY_REGISTRY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adlik/status.h"
#include "base/mutex.h"

namespace adlik::shm {

struct RegionStatus {
  std::string name;
  std::string key;
  uint64_t offset = 0;
  uint64_t byte_size = 0;
};

// Bytes of a registered region, mapped while `mapping` is held.
struct Block {
  char* data = nullptr;
  size_t byte_size = 0;
  std::shared_ptr<const void> mapping;
};

class SharedMemoryRegistry {
 public:
  SharedMemoryRegistry() = default;
  SharedMemoryRegistry(const SharedMemoryRegistry&) = delete;
  SharedMemoryRegistry& operator=(const SharedMemoryRegistry&) = delete;

  // Maps [offset, offset + byte_size) of the object `key` under `name`.
  // INVALID_ARGUMENT: an empty name, a bad key, byte_size 0, a block past the
  // object's end (or whose end overflows); NOT_FOUND: no object `key`;
  // ALREADY_EXISTS: `name` is registered.
  Status Register(const std::string& name, const std::string& key,
                  uint64_t offset, uint64_t byte_size);

  // Forgets `name` (NOT_FOUND if it is not registered); the mapping goes once
  // no request holds a Block of it.
  Status Unregister(const std::string& name);
  void UnregisterAll();

  // The region `name`, or every region (by name) when `name` is empty.
  StatusOr<std::vector<RegionStatus>> List(const std::string& name) const;

  // [offset, offset + byte_size) of region `name`, for the tensor `what`
  // ("input 'x'") that the error messages name. NOT_FOUND: no such region;
  // INVALID_ARGUMENT: the block does not lie inside the region, or the object
  // has shrunk since it was registered.
  StatusOr<Block> Get(std::string_view name, uint64_t offset,
                      uint64_t byte_size, std::string_view what) const;

 private:
  struct Region;
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<const Region>, std::less<>> regions_
      ADLIK_GUARDED_BY(mu_);
};

// Checks a shared-memory object's name (see above).
Status CheckKey(std::string_view key);

}  // namespace adlik::shm

#endif  // ADLIK_FRONTENDS_SHARED_MEMORY_SHARED_MEMORY_REGISTRY_H_
