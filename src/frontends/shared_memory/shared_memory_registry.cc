#include "frontends/shared_memory/shared_memory_registry.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace adlik::shm {

// A mapped region: unmapped (and its descriptor closed) when the last holder
// lets go.
struct SharedMemoryRegistry::Region {
  RegionStatus status;
  int fd = -1;
  void* base = nullptr;  // the object's bytes [0, offset + byte_size)
  size_t mapped = 0;

  Region() = default;
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;
  ~Region() {
    if (base != nullptr) munmap(base, mapped);
    if (fd >= 0) close(fd);
  }
};

namespace {

std::string Quoted(std::string_view s) {
  std::string q(1, '\'');
  q.append(s);
  q += '\'';
  return q;
}

}  // namespace

Status CheckKey(std::string_view key) {
  std::string_view name = key;
  if (name.starts_with('/')) name.remove_prefix(1);
  if (name.empty()) {
    return InvalidArgument("shared-memory key " + Quoted(key) +
                           " names no object");
  }
  if (name.size() > NAME_MAX) {
    return InvalidArgument("shared-memory key is longer than " +
                           std::to_string(NAME_MAX) + " characters");
  }
  if (name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos || name == "." ||
      name == "..") {
    return InvalidArgument(
        "shared-memory key " + Quoted(key) +
        " is not the name of a shared-memory object (a '/' only at the "
        "start, no NUL, not '.' or '..')");
  }
  return Status::Ok();
}

Status SharedMemoryRegistry::Register(const std::string& name,
                                      const std::string& key, uint64_t offset,
                                      uint64_t byte_size) {
  if (name.empty()) {
    return InvalidArgument("a shared-memory region needs a name");
  }
  const std::string where = "shared-memory region " + Quoted(name);
  RETURN_IF_ERROR(CheckKey(key).WithPrefix(where));
  if (byte_size == 0) return InvalidArgument(where + ": byte_size is 0");
  uint64_t end = 0;
  if (__builtin_add_overflow(offset, byte_size, &end) ||
      end > std::numeric_limits<size_t>::max() ||
      end > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
    return InvalidArgument(where + ": offset " + std::to_string(offset) +
                           " + byte_size " + std::to_string(byte_size) +
                           " overflows");
  }
  {
    MutexLock lock(&mu_);
    if (regions_.contains(name)) {
      return AlreadyExists(where + " is already registered");
    }
  }
  auto region = std::make_shared<Region>();
  region->status = {name, key, offset, byte_size};
  const std::string object = key.starts_with('/') ? key : "/" + key;
  // shm_open adds O_NOFOLLOW: a link in /dev/shm is refused.
  region->fd = shm_open(object.c_str(), O_RDWR, 0);
  if (region->fd < 0) {
    const int e = errno;
    const std::string why = where + ": cannot open shared-memory object " +
                            Quoted(key) + ": " + std::strerror(e);
    return e == ENOENT ? NotFound(why) : InvalidArgument(why);
  }
  struct stat st;
  if (fstat(region->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return InvalidArgument(where + ": " + Quoted(key) +
                           " is not a shared-memory object");
  }
  if (static_cast<uint64_t>(st.st_size) < end) {
    return InvalidArgument(where + ": offset " + std::to_string(offset) +
                           " + byte_size " + std::to_string(byte_size) +
                           " runs past the end of " + Quoted(key) + " (" +
                           std::to_string(st.st_size) + " bytes)");
  }
  void* base =
      mmap(nullptr, end, PROT_READ | PROT_WRITE, MAP_SHARED, region->fd, 0);
  if (base == MAP_FAILED) {
    return InvalidArgument(where + ": cannot map " + Quoted(key) + ": " +
                           std::strerror(errno));
  }
  region->base = base;
  region->mapped = end;
  MutexLock lock(&mu_);
  // Another registration of the name may have won meanwhile.
  if (!regions_.emplace(name, std::move(region)).second) {
    return AlreadyExists(where + " is already registered");
  }
  return Status::Ok();
}

Status SharedMemoryRegistry::Unregister(const std::string& name) {
  std::shared_ptr<const Region> gone;  // unmapped outside the lock
  MutexLock lock(&mu_);
  auto it = regions_.find(name);
  if (it == regions_.end()) {
    return NotFound("shared-memory region " + Quoted(name) +
                    " is not registered");
  }
  gone = std::move(it->second);
  regions_.erase(it);
  return Status::Ok();
}

void SharedMemoryRegistry::UnregisterAll() {
  std::map<std::string, std::shared_ptr<const Region>, std::less<>> gone;
  MutexLock lock(&mu_);
  gone.swap(regions_);
}

StatusOr<std::vector<RegionStatus>> SharedMemoryRegistry::List(
    const std::string& name) const {
  std::vector<RegionStatus> out;
  MutexLock lock(&mu_);
  if (name.empty()) {
    for (const auto& [n, r] : regions_) out.push_back(r->status);
    return out;
  }
  auto it = regions_.find(name);
  if (it == regions_.end()) {
    return NotFound("shared-memory region " + Quoted(name) +
                    " is not registered");
  }
  out.push_back(it->second->status);
  return out;
}

StatusOr<Block> SharedMemoryRegistry::Get(std::string_view name,
                                          uint64_t offset, uint64_t byte_size,
                                          std::string_view what) const {
  std::shared_ptr<const Region> region;
  {
    MutexLock lock(&mu_);
    auto it = regions_.find(name);
    if (it != regions_.end()) region = it->second;
  }
  const std::string where(what);
  if (region == nullptr) {
    return NotFound(where + ": shared-memory region " + Quoted(name) +
                    " is not registered");
  }
  const uint64_t size = region->status.byte_size;
  uint64_t end = 0;
  if (__builtin_add_overflow(offset, byte_size, &end) || end > size) {
    return InvalidArgument(
        where + ": shared_memory_offset " + std::to_string(offset) +
        " + shared_memory_byte_size " + std::to_string(byte_size) +
        " is outside shared-memory region " + Quoted(name) + " (" +
        std::to_string(size) + " bytes)");
  }
  // The client owns the object and may shrink it: touching a page past its
  // end would kill the server (SIGBUS).
  struct stat st;
  if (fstat(region->fd, &st) != 0 ||
      static_cast<uint64_t>(st.st_size) < region->mapped) {
    return InvalidArgument(
        where + ": shared-memory object " + Quoted(region->status.key) +
        " of region " + Quoted(name) + " has shrunk since it was registered");
  }
  Block block;
  block.data =
      static_cast<char*>(region->base) + region->status.offset + offset;
  block.byte_size = byte_size;
  block.mapping = std::move(region);
  return block;
}

}  // namespace adlik::shm
