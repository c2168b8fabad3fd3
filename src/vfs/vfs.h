// The backend interface: what the NFS layer asks of a file system.
//
// A FileSystem serves one exported file system. It acts with full privilege:
// it never checks permissions. Every permission decision (mode bits, owner
// rules, sticky bit, squash, access points) is made above it, in authz/, from
// the attributes it returns; a backend must never let the host's permissions
// decide in its place. The NFS layer never knows which backend it talks to.
//
// Handles are opaque, persistent byte strings chosen by the backend: the same
// object keeps the same handle across restarts of elfsd, and a handle whose
// object is gone yields Errc::kStale. Handles from another FileSystem are not
// valid here.
//
// Thread safety: every method may be called concurrently from many threads.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace elfs::vfs {

// A backend's handle: up to kMaxSize opaque bytes, stored inline (no heap).
class Handle {
 public:
  static constexpr size_t kMaxSize = 64;

  Handle() = default;
  // REQUIRES: bytes.size() <= kMaxSize.
  explicit Handle(std::span<const uint8_t> bytes) : size_(static_cast<uint8_t>(bytes.size())) {
    std::memcpy(data_.data(), bytes.data(), bytes.size());
  }
  static std::optional<Handle> FromBytes(std::span<const uint8_t> bytes) {
    if (bytes.size() > kMaxSize) return std::nullopt;
    return Handle(bytes);
  }

  std::span<const uint8_t> bytes() const { return {data_.data(), size_}; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  friend bool operator==(const Handle& a, const Handle& b) {
    return a.size_ == b.size_ && std::memcmp(a.data_.data(), b.data_.data(), a.size_) == 0;
  }

 private:
  std::array<uint8_t, kMaxSize> data_{};
  uint8_t size_ = 0;
};

struct HandleHash {
  size_t operator()(const Handle& h) const {
    // FNV-1a: handles are short.
    uint64_t x = 1469598103934665603ull;
    for (uint8_t b : h.bytes()) x = (x ^ b) * 1099511628211ull;
    return static_cast<size_t>(x);
  }
};

enum class FileType : uint8_t {
  kRegular = 1,
  kDirectory = 2,
  kBlockDevice = 3,
  kCharDevice = 4,
  kSymlink = 5,
  kSocket = 6,
  kFifo = 7,
};

// Permission and special bits of a mode: 07777.
inline constexpr uint32_t kModeMask = 07777;
inline constexpr uint32_t kSetUid = 04000;
inline constexpr uint32_t kSetGid = 02000;
inline constexpr uint32_t kSticky = 01000;

struct Attr {
  FileType type = FileType::kRegular;
  uint32_t mode = 0;  // permission and special bits only (07777)
  uint32_t nlink = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  uint64_t space_used = 0;
  uint64_t fileid = 0;  // unique within the file system, stable
  uint32_t rdev_major = 0;
  uint32_t rdev_minor = 0;
  Timespec atime, mtime, ctime;
  // Changes whenever data or metadata changes (RFC 8881 section 5.8.1.4).
  uint64_t change = 0;
};

// How a time is set by SetAttr.
enum class TimeSet : uint8_t { kDontChange, kServerTime, kClientTime };

struct SetAttrs {
  std::optional<uint32_t> mode;  // 07777 bits
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<uint64_t> size;
  TimeSet atime_how = TimeSet::kDontChange;
  Timespec atime;
  TimeSet mtime_how = TimeSet::kDontChange;
  Timespec mtime;

  bool empty() const {
    return !mode && !uid && !gid && !size && atime_how == TimeSet::kDontChange &&
           mtime_how == TimeSet::kDontChange;
  }
};

struct Entry {
  Handle handle;
  Attr attr;
};

struct CreateRequest {
  FileType type = FileType::kRegular;
  uint32_t mode = 0644;  // 07777 bits, applied exactly (no umask)
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string_view symlink_target;  // kSymlink only
  uint32_t rdev_major = 0, rdev_minor = 0;  // devices only
  // Fail with kExists if the name exists (always true for non-regular files).
  // When false and a regular file exists, return it unchanged.
  bool exclusive = true;
};

enum class Stability : uint8_t { kUnstable = 0, kDataSync = 1, kFileSync = 2 };

struct ReadResult {
  size_t count = 0;
  bool eof = false;
};

struct WriteResult {
  size_t count = 0;
  Stability committed = Stability::kUnstable;
};

struct DirEntry {
  std::string_view name;  // never "." or ".."
  uint64_t cookie = 0;    // resume point after this entry; never 0
  uint64_t fileid = 0;
  // Filled only when ReadDir was asked for attributes.
  const Entry* entry = nullptr;
};

struct FsStats {
  uint64_t bytes_total = 0, bytes_free = 0, bytes_avail = 0;
  uint64_t files_total = 0, files_free = 0, files_avail = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual Result<Handle> Root() = 0;
  virtual Result<Attr> GetAttr(const Handle& h) = 0;

  // Looks up one name (never "." or "..") in a directory.
  virtual Result<Entry> Lookup(const Handle& dir, std::string_view name) = 0;
  // The parent of a directory; the root's parent is the root itself.
  virtual Result<Entry> LookupParent(const Handle& dir) = 0;

  // Creates a file, directory, symlink, device, fifo or socket, owned by
  // req.uid:req.gid with exactly req.mode.
  virtual Result<Entry> Create(const Handle& dir, std::string_view name,
                               const CreateRequest& req) = 0;
  // Applies the set attributes together; returns the attributes after.
  virtual Result<Attr> SetAttr(const Handle& h, const SetAttrs& set) = 0;

  // Reads up to out.size() bytes at offset into out.
  virtual Result<ReadResult> Read(const Handle& h, uint64_t offset, std::span<uint8_t> out) = 0;
  virtual Result<WriteResult> Write(const Handle& h, uint64_t offset,
                                    std::span<const uint8_t> data, Stability how) = 0;
  // Makes earlier unstable writes durable (count 0 = to end of file).
  virtual Status Commit(const Handle& h, uint64_t offset, uint64_t count) = 0;
  // Reserves storage for [offset, offset+length) as fallocate(2) mode 0
  // does, growing the size if the range ends past it. Backends that cannot
  // keep kNotSupported.
  virtual Status Allocate(const Handle& /*h*/, uint64_t /*offset*/, uint64_t /*length*/) {
    return {Errc::kNotSupported, "allocate"};
  }

  virtual Result<std::string> ReadLink(const Handle& h) = 0;
  // Removes a name: a non-directory, or an empty directory (else kNotEmpty).
  virtual Status Remove(const Handle& dir, std::string_view name) = 0;
  // rename(2) semantics: replaces an existing target of compatible type.
  virtual Status Rename(const Handle& from_dir, std::string_view from_name, const Handle& to_dir,
                        std::string_view to_name) = 0;
  virtual Status Link(const Handle& file, const Handle& dir, std::string_view name) = 0;

  // Calls sink for each entry after `cookie` (0 = from the start) until
  // sink returns false or the directory ends. Returns true at end of
  // directory. Cookies are stable across calls while the directory is not
  // changed, and a cookie stays usable after other entries are removed.
  using DirSink = std::function<bool(const DirEntry&)>;
  virtual Result<bool> ReadDir(const Handle& dir, uint64_t cookie, bool with_attrs,
                               const DirSink& sink) = 0;

  virtual Result<FsStats> StatFs() = 0;
};

// Validates a single path component as every backend requires it: non-empty,
// no '/', no NUL, not "." or "..", at most 255 bytes.
Status ValidateName(std::string_view name);

// The one errno translation of the backends (a failed system or library
// call with errno `err`): ENOENT -> kNotFound, EEXIST -> kExists, ...;
// anything unlisted is kIo. The message is `what` and strerror(err).
Status ErrnoStatus(int err, std::string_view what);

}  // namespace elfs::vfs
