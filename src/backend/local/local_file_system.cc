#include "backend/local/local_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <climits>
#include <list>
#include <mutex>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <vector>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452  // Linux 6.6; the same number on every architecture
#endif

namespace elfs::backend {

using vfs::FileType;

namespace {

constexpr uint8_t kHandleTag = 0x4c;  // 'L'
constexpr size_t kHeaderSize = 6;
constexpr size_t kMaxKernelBytes = vfs::Handle::kMaxSize - kHeaderSize;
constexpr size_t kMaxSymlinkTarget = PATH_MAX - 1;
constexpr int64_t kMaxOffset = INT64_MAX;

using vfs::ErrnoStatus;

tl::unexpected<Status> ErrnoErr(std::string_view what) { return Err(ErrnoStatus(errno, what)); }

// Closes an fd at scope exit unless released.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// A kernel file handle with room for the largest one.
struct KernelHandle {
  KernelHandle() { fh()->handle_bytes = MAX_HANDLE_SZ; }
  file_handle* fh() { return reinterpret_cast<file_handle*>(buf); }
  alignas(file_handle) unsigned char buf[sizeof(file_handle) + MAX_HANDLE_SZ];
};

uint32_t Fnv32(std::span<const uint8_t> bytes) {
  uint32_t x = 2166136261u;
  for (uint8_t b : bytes) x = (x ^ b) * 16777619u;
  return x;
}

// True if the kernel handle is a FILEID_INO32_GEN one (<linux/exportfs.h>:
// 32-bit inode number, then generation; ext4's and others') of inode ino.
// Other layouts are not understood here, so never proven.
bool HandleNamesInode(KernelHandle& kh, uint64_t ino) {
  constexpr int kFileIdIno32Gen = 1;
  if (kh.fh()->handle_type != kFileIdIno32Gen || kh.fh()->handle_bytes < 8) return false;
  uint32_t v;
  std::memcpy(&v, kh.fh()->f_handle, sizeof v);  // host byte order, as the kernel wrote it
  return ino <= UINT32_MAX && v == static_cast<uint32_t>(ino);
}

// Unpacks our handle into a kernel one; kBadHandle if malformed.
Status Decode(const vfs::Handle& h, uint32_t export_tag, KernelHandle* out) {
  auto b = h.bytes();
  if (b.size() <= kHeaderSize || b[0] != kHandleTag) return {Errc::kBadHandle, "not a local handle"};
  uint32_t tag = 0;
  for (int i = 0; i < 4; ++i) tag |= uint32_t{b[1 + i]} << (8 * i);
  if (tag != export_tag) return {Errc::kStale, "handle of another export"};
  out->fh()->handle_type = b[5];
  out->fh()->handle_bytes = static_cast<unsigned>(b.size() - kHeaderSize);
  std::memcpy(out->fh()->f_handle, b.data() + kHeaderSize, b.size() - kHeaderSize);
  return {};
}

FileType TypeOf(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFDIR: return FileType::kDirectory;
    case S_IFLNK: return FileType::kSymlink;
    case S_IFBLK: return FileType::kBlockDevice;
    case S_IFCHR: return FileType::kCharDevice;
    case S_IFSOCK: return FileType::kSocket;
    case S_IFIFO: return FileType::kFifo;
    default: return FileType::kRegular;
  }
}

Timespec ToTimespec(const struct timespec& ts) {
  return {ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
}

vfs::Attr AttrOf(const struct stat& st) {
  vfs::Attr a;
  a.type = TypeOf(st.st_mode);
  a.mode = st.st_mode & vfs::kModeMask;
  a.nlink = static_cast<uint32_t>(st.st_nlink);
  a.uid = st.st_uid;
  a.gid = st.st_gid;
  a.size = static_cast<uint64_t>(st.st_size);
  a.space_used = static_cast<uint64_t>(st.st_blocks) * 512;
  a.fileid = st.st_ino;
  if (a.type == FileType::kBlockDevice || a.type == FileType::kCharDevice) {
    a.rdev_major = major(st.st_rdev);
    a.rdev_minor = minor(st.st_rdev);
  }
  a.atime = ToTimespec(st.st_atim);
  a.mtime = ToTimespec(st.st_mtim);
  a.ctime = ToTimespec(st.st_ctim);
  a.change = static_cast<uint64_t>(st.st_ctim.tv_sec) * 1'000'000'000u +
             static_cast<uint64_t>(st.st_ctim.tv_nsec);
  return a;
}

// The fields AttrOf reads, from a statx result.
struct stat StatOf(const struct statx& x) {
  struct stat st = {};
  st.st_dev = makedev(x.stx_dev_major, x.stx_dev_minor);
  st.st_ino = x.stx_ino;
  st.st_mode = x.stx_mode;
  st.st_nlink = x.stx_nlink;
  st.st_uid = x.stx_uid;
  st.st_gid = x.stx_gid;
  st.st_rdev = makedev(x.stx_rdev_major, x.stx_rdev_minor);
  st.st_size = static_cast<off_t>(x.stx_size);
  st.st_blocks = static_cast<blkcnt_t>(x.stx_blocks);
  st.st_atim = {x.stx_atime.tv_sec, x.stx_atime.tv_nsec};
  st.st_mtim = {x.stx_mtime.tv_sec, x.stx_mtime.tv_nsec};
  st.st_ctim = {x.stx_ctime.tv_sec, x.stx_ctime.tv_nsec};
  return st;
}

constexpr unsigned kStatxMask = STATX_BASIC_STATS | STATX_BTIME;

bool SameTime(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// chmod of the object an fd (O_PATH included) refers to. fchmod refuses O_PATH
// fds; fchmodat2 takes AT_EMPTY_PATH, older kernels need /proc's magic link.
int ChmodFd(int fd, uint32_t mode) {
  if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0) return 0;
  if (errno != ENOSYS) return -1;
  std::string proc = "/proc/self/fd/" + std::to_string(fd);
  return chmod(proc.c_str(), mode);
}

Status ValidateCreate(const vfs::CreateRequest& req) {
  if (req.type < FileType::kRegular || req.type > FileType::kFifo)
    return Status::Invalid("bad file type");
  if (req.mode & ~vfs::kModeMask) return Status::Invalid("mode has bits beyond 07777");
  if (req.type == FileType::kSymlink) {
    if (req.symlink_target.empty()) return Status::Invalid("empty symlink target");
    if (req.symlink_target.find('\0') != std::string_view::npos)
      return Status::Invalid("NUL in symlink target");
    if (req.symlink_target.size() > kMaxSymlinkTarget)
      return {Errc::kNameTooLong, "symlink target too long"};
  }
  return {};
}

}  // namespace

// One open object of the export.
struct LocalFileSystem::Node {
  Node(const vfs::Handle& h, int fd, FileType type) : handle(h), fd(fd), type(type) {}
  ~Node() {
    if (io_fd >= 0 && io_fd != fd) close(io_fd);
    close(fd);
  }
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const vfs::Handle handle;
  const int fd;  // O_PATH, or O_RDWR for files we created
  const FileType type;
  std::mutex mu;
  int io_fd = -1;         // GUARDED_BY(mu); once set, never changes
  bool io_writable = false;  // GUARDED_BY(mu)
  int io_write_errno = 0;    // GUARDED_BY(mu); why O_RDWR was refused
};

struct LocalFileSystem::Resolved {
  std::shared_ptr<Node> node;
  struct stat st;
};

// A bounded LRU of open objects by handle. Evicted nodes close their fds when
// their last user lets go of them (outside the cache's lock).
class LocalFileSystem::NodeCache {
 public:
  explicit NodeCache(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

  std::shared_ptr<Node> Get(const vfs::Handle& h) {
    std::lock_guard lock(mu_);
    auto it = map_.find(h);
    if (it == map_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return *it->second;
  }

  // Caches node unless its handle is cached already; returns the cached one.
  std::shared_ptr<Node> Put(std::shared_ptr<Node> node) {
    std::shared_ptr<Node> evicted;  // destroyed after the lock is released
    std::lock_guard lock(mu_);
    if (auto it = map_.find(node->handle); it != map_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return *it->second;
    }
    lru_.push_front(node);
    map_.emplace(node->handle, lru_.begin());
    if (lru_.size() > capacity_) {
      evicted = std::move(lru_.back());
      map_.erase(evicted->handle);
      lru_.pop_back();
    }
    return node;
  }

  void Erase(const vfs::Handle& h) {
    std::shared_ptr<Node> evicted;
    std::lock_guard lock(mu_);
    if (auto it = map_.find(h); it != map_.end()) {
      evicted = std::move(*it->second);
      lru_.erase(it->second);
      map_.erase(it);
    }
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return lru_.size();
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<std::shared_ptr<Node>> lru_;  // most recent first
  std::unordered_map<vfs::Handle, std::list<std::shared_ptr<Node>>::iterator, vfs::HandleHash>
      map_;
};

// The directory fd of a listing that stopped before its end, positioned
// after the entries in buf[pos, end) that it read but did not hand out.
struct LocalFileSystem::DirStream {
  explicit DirStream(int fd) : fd(fd), buf(kBufferSize) {}
  ~DirStream() { close(fd); }
  DirStream(const DirStream&) = delete;
  DirStream& operator=(const DirStream&) = delete;

  static constexpr size_t kBufferSize = 32 * 1024;
  const int fd;  // O_RDONLY|O_DIRECTORY, used by one call at a time
  vfs::Handle dir;
  uint64_t resume = 0;  // the cookie a ReadDir continuing here brings
  struct timespec dir_mtime = {}, dir_ctime = {};  // of dir when the listing stopped
  std::vector<char> buf;
  size_t pos = 0, end = 0;
};

// The kept DirStreams, most recently stopped first. A stream is taken out
// while a call uses it, so two calls never share one.
class LocalFileSystem::DirStreamCache {
 public:
  std::unique_ptr<DirStream> Take(const vfs::Handle& dir, uint64_t cookie) {
    std::lock_guard lock(mu_);
    for (auto it = streams_.begin(); it != streams_.end(); ++it) {
      if ((*it)->resume == cookie && (*it)->dir == dir) {
        auto s = std::move(*it);
        streams_.erase(it);
        return s;
      }
    }
    return nullptr;
  }

  void Put(std::unique_ptr<DirStream> s) {
    std::unique_ptr<DirStream> dropped;  // closed after the lock is released
    std::lock_guard lock(mu_);
    streams_.insert(streams_.begin(), std::move(s));
    if (streams_.size() > kMaxDirStreams) {
      dropped = std::move(streams_.back());
      streams_.pop_back();
    }
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<DirStream>> streams_;
};

// Handles of listed entries by inode number, each with the birth time of
// the inode it belongs to, so that ReadDir can skip name_to_handle_at for an
// entry listed before. An inode number reused by a new file is told apart by
// the birth time (and by Adopt, which sees the true handle of every object
// elfs creates or looks up). Sharded to keep the lock per entry uncontended;
// each shard is an open-addressing table (one cache miss per lookup, where
// a node-based map takes two or three: the lookup was 8% of elfsd's CPU in
// a READDIR run), allocated when first used and emptied when full.
class LocalFileSystem::ListedHandles {
 public:
  explicit ListedHandles(size_t capacity)
      : per_shard_(std::max<size_t>(capacity / kShards, 1)),
        slots_(std::bit_ceil(2 * per_shard_)) {}

  std::optional<vfs::Handle> Find(uint64_t ino, const struct statx_timestamp& btime) {
    Shard& sh = shards_[ino % kShards];
    std::lock_guard lock(sh.mu);
    const Slot* slot = sh.slots.empty() ? nullptr : Probe(sh, ino);
    if (!slot || !slot->used || slot->sec != btime.tv_sec || slot->nsec != btime.tv_nsec)
      return std::nullopt;
    return vfs::Handle({slot->bytes.data(), slot->size});
  }

  void Put(uint64_t ino, const struct statx_timestamp& btime, const vfs::Handle& h) {
    if (h.size() > Slot::kMaxBytes) return;
    Shard& sh = shards_[ino % kShards];
    std::lock_guard lock(sh.mu);
    if (sh.slots.empty()) sh.slots.resize(slots_);
    if (sh.count >= per_shard_) {
      std::fill(sh.slots.begin(), sh.slots.end(), Slot{});
      sh.count = 0;
    }
    Slot* slot = Probe(sh, ino);
    if (!slot->used) ++sh.count;
    slot->used = true;
    slot->ino = ino;
    slot->sec = btime.tv_sec;
    slot->nsec = btime.tv_nsec;
    slot->size = static_cast<uint8_t>(h.size());
    std::memcpy(slot->bytes.data(), h.bytes().data(), h.size());
  }

  // Forgets `ino` unless its handle is `h` (the handle it has now).
  void Check(uint64_t ino, const vfs::Handle& h) {
    Shard& sh = shards_[ino % kShards];
    std::lock_guard lock(sh.mu);
    if (sh.slots.empty()) return;
    Slot* slot = Probe(sh, ino);
    // Stays in place (no holes in a probe chain) with a birth time that
    // nothing has; Put overwrites it.
    if (slot->used && !(vfs::Handle({slot->bytes.data(), slot->size}) == h))
      slot->sec = kNoTime;
  }

 private:
  static constexpr int64_t kNoTime = INT64_MIN;
  struct Slot {
    static constexpr size_t kMaxBytes = 24;  // ext4's are 14 (6 ours + 8 kernel)
    uint64_t ino = 0;
    int64_t sec = kNoTime;
    uint32_t nsec = 0;
    bool used = false;
    uint8_t size = 0;
    std::array<uint8_t, kMaxBytes> bytes{};
  };
  struct Shard {
    std::mutex mu;
    std::vector<Slot> slots;  // empty until first used
    size_t count = 0;         // used slots, at most per_shard_ (half of them)
  };
  static constexpr size_t kShards = 16;

  // The slot holding ino, or the empty one where it would go. The table is
  // never more than half full, so an empty slot is always found.
  static Slot* Probe(Shard& sh, uint64_t ino) {
    const size_t mask = sh.slots.size() - 1;
    const int bits = std::countr_zero(sh.slots.size());  // >= 1
    size_t i = static_cast<size_t>((ino * 0x9e3779b97f4a7c15ull) >> (64 - bits));
    while (sh.slots[i].used && sh.slots[i].ino != ino) i = (i + 1) & mask;
    return &sh.slots[i];
  }

  const size_t per_shard_;
  const size_t slots_;  // per shard, a power of two >= 2 * per_shard_
  std::array<Shard, kShards> shards_;
};

// ---- construction ----

Result<std::unique_ptr<LocalFileSystem>> LocalFileSystem::Open(const std::string& root_dir,
                                                               Options options) {
  int fd = open(root_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoErr("open " + root_dir);
  FdGuard guard(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoErr("fstat " + root_dir);
  KernelHandle kh;
  int mount_id;
  if (name_to_handle_at(fd, "", kh.fh(), &mount_id, AT_EMPTY_PATH) != 0) {
    Status s = ErrnoStatus(errno, "name_to_handle_at " + root_dir);
    if (s.code() == Errc::kNotSupported)
      return Err(Errc::kNotSupported, root_dir + ": file system cannot make file handles");
    return Err(std::move(s));
  }
  uint32_t tag = Fnv32({kh.fh()->f_handle, kh.fh()->handle_bytes});
  std::unique_ptr<LocalFileSystem> fs(new LocalFileSystem(guard.release(), st, tag, options));
  auto root = fs->HandleOfFd(fs->root_fd_);
  if (!root) return Err(root.error());
  fs->root_handle_ = *root;
  fs->root_node_ = std::make_shared<Node>(*root, fs->root_fd_, FileType::kDirectory);
  return fs;
}

LocalFileSystem::LocalFileSystem(int root_fd, const struct stat& root_st, uint32_t export_tag,
                                 Options options)
    : root_fd_(root_fd),
      root_dev_(root_st.st_dev),
      root_ino_(root_st.st_ino),
      export_tag_(export_tag),
      cache_(std::make_unique<NodeCache>(options.max_cached_handles)),
      streams_(std::make_unique<DirStreamCache>()),
      listed_(std::make_unique<ListedHandles>(options.max_listed_handles)) {}

LocalFileSystem::~LocalFileSystem() {
  streams_.reset();
  cache_.reset();
  if (root_node_) {
    root_node_.reset();  // closes root_fd_
  } else {
    close(root_fd_);
  }
}

size_t LocalFileSystem::CachedHandles() const { return cache_->size(); }

// ---- handles ----

namespace {

// Our handle for a kernel one: tag, export, handle type, the kernel's bytes.
Result<vfs::Handle> MakeHandle(uint32_t export_tag, KernelHandle& kh) {
  if (kh.fh()->handle_bytes > kMaxKernelBytes || kh.fh()->handle_type < 0 ||
      kh.fh()->handle_type > 255)
    return Err(Errc::kNotSupported, "kernel file handle does not fit");
  std::array<uint8_t, vfs::Handle::kMaxSize> b{};
  b[0] = kHandleTag;
  for (int i = 0; i < 4; ++i) b[1 + i] = static_cast<uint8_t>(export_tag >> (8 * i));
  b[5] = static_cast<uint8_t>(kh.fh()->handle_type);
  std::memcpy(&b[kHeaderSize], kh.fh()->f_handle, kh.fh()->handle_bytes);
  return vfs::Handle(std::span(b.data(), kHeaderSize + kh.fh()->handle_bytes));
}

}  // namespace

Result<vfs::Handle> LocalFileSystem::HandleOfFd(int fd) const {
  KernelHandle kh;
  int mount_id;
  if (name_to_handle_at(fd, "", kh.fh(), &mount_id, AT_EMPTY_PATH) != 0)
    return ErrnoErr("name_to_handle_at");
  return MakeHandle(export_tag_, kh);
}

bool LocalFileSystem::UnderRoot(int dir_fd) const {
  struct stat st;
  if (fstat(dir_fd, &st) != 0) return false;
  int cur = -1;  // owned; the directory whose ".." is opened next (-1: dir_fd)
  bool inside = false;
  for (int depth = 0; depth <= kMaxDepth; ++depth) {
    if (st.st_dev == root_dev_ && st.st_ino == root_ino_) {
      inside = true;
      break;
    }
    if (st.st_dev != root_dev_) break;  // walked off the file system
    int parent = openat(cur >= 0 ? cur : dir_fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0) break;
    struct stat pst;
    bool ok = fstat(parent, &pst) == 0;
    if (cur >= 0) close(cur);
    cur = parent;
    if (!ok || SameFile(pst, st)) break;  // top of the tree: the root was not on the way
    st = pst;
  }
  if (cur >= 0) close(cur);
  return inside;
}

Result<LocalFileSystem::Resolved> LocalFileSystem::Resolve(const vfs::Handle& h) {
  Resolved r;
  if (h == root_handle_) {
    r.node = root_node_;
  } else {
    r.node = cache_->Get(h);
  }
  if (r.node) {
    if (fstat(r.node->fd, &r.st) != 0) return ErrnoErr("fstat");
    if (r.st.st_nlink == 0) {
      // Removed behind our back (or through another name of ours).
      if (r.node != root_node_) cache_->Erase(h);
      return Err(Errc::kStale, "object was removed");
    }
    return r;
  }

  KernelHandle kh;
  if (Status s = Decode(h, export_tag_, &kh); !s.ok()) return Err(std::move(s));
  int fd = open_by_handle_at(root_fd_, kh.fh(), O_PATH | O_CLOEXEC);
  if (fd < 0) {
    Status s = ErrnoStatus(errno, "open_by_handle_at");
    // The kernel's word for "no such object any more" and "not a handle".
    if (s.code() == Errc::kNotFound || s.code() == Errc::kStale) return Err(Errc::kStale, s.message());
    if (s.code() == Errc::kInvalid) return Err(Errc::kBadHandle, s.message());
    return Err(std::move(s));
  }
  FdGuard guard(fd);
  if (fstat(fd, &r.st) != 0) return ErrnoErr("fstat");
  if (r.st.st_nlink == 0) return Err(Errc::kStale, "object was removed");
  if (S_ISDIR(r.st.st_mode) && !UnderRoot(fd)) return Err(Errc::kStale, "outside the export");
  r.node = cache_->Put(std::make_shared<Node>(h, guard.release(), TypeOf(r.st.st_mode)));
  return r;
}

Result<LocalFileSystem::Resolved> LocalFileSystem::ResolveDir(const vfs::Handle& h) {
  auto r = Resolve(h);
  if (r && r->node->type != FileType::kDirectory) return Err(Errc::kNotDir, "not a directory");
  return r;
}

Result<vfs::Entry> LocalFileSystem::Adopt(int fd, bool open_for_io) {
  FdGuard guard(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoErr("fstat");
  if (st.st_dev != root_dev_) return Err(Errc::kCrossDevice, "a mount point inside the export");
  auto h = HandleOfFd(fd);
  if (!h) return Err(h.error());
  listed_->Check(st.st_ino, *h);  // the inode number may be a reused one
  if (*h != root_handle_) {
    auto node = std::make_shared<Node>(*h, guard.release(), TypeOf(st.st_mode));
    if (open_for_io && S_ISREG(st.st_mode)) {
      node->io_fd = node->fd;  // created by us: already open for I/O
      node->io_writable = true;
    }
    cache_->Put(std::move(node));
  }
  return vfs::Entry{*h, AttrOf(st)};
}

Result<int> LocalFileSystem::IoFd(Node& node) {
  std::lock_guard lock(node.mu);
  if (node.io_fd >= 0) return node.io_fd;
  KernelHandle kh;
  if (Status s = Decode(node.handle, export_tag_, &kh); !s.ok()) return Err(std::move(s));
  int fd = open_by_handle_at(root_fd_, kh.fh(), O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    node.io_writable = true;
  } else {
    // Read-only file system, immutable file, running executable: reads may
    // still be served; writes get the reason O_RDWR was refused.
    node.io_write_errno = errno;
    fd = open_by_handle_at(root_fd_, kh.fh(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoErr("open_by_handle_at");
  }
  node.io_fd = fd;
  return fd;
}

void LocalFileSystem::Forget(int dir_fd, std::string_view name) {
  int fd = openat(dir_fd, std::string(name).c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  FdGuard guard(fd);
  if (auto h = HandleOfFd(fd)) cache_->Erase(*h);
}

// ---- FileSystem ----

Result<vfs::Handle> LocalFileSystem::Root() { return root_handle_; }

Result<vfs::Attr> LocalFileSystem::GetAttr(const vfs::Handle& h) {
  auto r = Resolve(h);
  if (!r) return Err(r.error());
  return AttrOf(r->st);
}

Result<vfs::Entry> LocalFileSystem::Lookup(const vfs::Handle& dh, std::string_view name) {
  if (Status s = vfs::ValidateName(name); !s.ok()) return Err(std::move(s));
  auto dir = ResolveDir(dh);
  if (!dir) return Err(dir.error());
  int fd = openat(dir->node->fd, std::string(name).c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoErr("lookup " + std::string(name));
  return Adopt(fd);
}

Result<vfs::Entry> LocalFileSystem::LookupParent(const vfs::Handle& dh) {
  auto dir = ResolveDir(dh);
  if (!dir) return Err(dir.error());
  // The export root is its own parent: nothing above it is served.
  if (dir->st.st_dev == root_dev_ && dir->st.st_ino == root_ino_)
    return vfs::Entry{root_handle_, AttrOf(dir->st)};
  int fd = openat(dir->node->fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoErr("lookup ..");
  return Adopt(fd);
}

Result<vfs::Entry> LocalFileSystem::Create(const vfs::Handle& dh, std::string_view name,
                                           const vfs::CreateRequest& req) {
  if (Status s = vfs::ValidateName(name); !s.ok()) return Err(std::move(s));
  if (Status s = ValidateCreate(req); !s.ok()) return Err(std::move(s));
  auto dir = ResolveDir(dh);
  if (!dir) return Err(dir.error());
  const int dfd = dir->node->fd;
  const std::string n(name);

  int fd = -1;
  switch (req.type) {
    case FileType::kRegular:
      for (int attempt = 0; fd < 0; ++attempt) {
        // Created 0600 and fixed below: the umask must not decide.
        fd = openat(dfd, n.c_str(), O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) break;
        Status s = ErrnoStatus(errno, "create " + n);
        if (s.code() != Errc::kExists || req.exclusive || attempt == 3) return Err(std::move(s));
        // Unchecked create: an existing regular file is the answer.
        auto existing = Lookup(dh, name);
        if (existing) {
          if (existing->attr.type != FileType::kRegular) return Err(std::move(s));
          return existing;
        }
        if (existing.error().code() != Errc::kNotFound) return existing;
        // Removed in between: try again.
      }
      break;
    case FileType::kDirectory:
      if (mkdirat(dfd, n.c_str(), 0700) != 0) return ErrnoErr("mkdir " + n);
      fd = openat(dfd, n.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      break;
    case FileType::kSymlink:
      if (symlinkat(std::string(req.symlink_target).c_str(), dfd, n.c_str()) != 0)
        return ErrnoErr("symlink " + n);
      fd = openat(dfd, n.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
      break;
    default: {
      mode_t fmt = req.type == FileType::kBlockDevice  ? S_IFBLK
                   : req.type == FileType::kCharDevice ? S_IFCHR
                   : req.type == FileType::kFifo       ? S_IFIFO
                                                       : S_IFSOCK;
      if (mknodat(dfd, n.c_str(), fmt | 0600, makedev(req.rdev_major, req.rdev_minor)) != 0)
        return ErrnoErr("mknod " + n);
      fd = openat(dfd, n.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
      break;
    }
  }
  // The name may already have been replaced by someone else: leave it be.
  if (fd < 0) return ErrnoErr("open new " + n);

  // Owner first: chown clears set-id bits, the mode then sets them exactly.
  Status s;
  if (fchownat(fd, "", req.uid, req.gid, AT_EMPTY_PATH) != 0)
    s = ErrnoStatus(errno, "chown " + n);
  else if (req.type != FileType::kSymlink && ChmodFd(fd, req.mode) != 0)
    s = ErrnoStatus(errno, "chmod " + n);
  if (!s.ok()) {
    close(fd);
    unlinkat(dfd, n.c_str(), req.type == FileType::kDirectory ? AT_REMOVEDIR : 0);
    return Err(std::move(s));
  }
  return Adopt(fd, req.type == FileType::kRegular);
}

Result<vfs::Attr> LocalFileSystem::SetAttr(const vfs::Handle& h, const vfs::SetAttrs& set) {
  auto r = Resolve(h);
  if (!r) return Err(r.error());
  Node& node = *r->node;
  // Check everything first so that a refused request changes nothing.
  if (set.mode && (*set.mode & ~vfs::kModeMask)) return Err(Errc::kInvalid, "mode has bits beyond 07777");
  if (set.size) {
    if (node.type == FileType::kDirectory) return Err(Errc::kIsDir, "truncate of a directory");
    if (node.type != FileType::kRegular) return Err(Errc::kInvalid, "truncate of a special file");
    if (*set.size > static_cast<uint64_t>(kMaxOffset)) return Err(Errc::kFileTooBig, "size too large");
  }
  struct timespec times[2];
  const std::pair<vfs::TimeSet, Timespec> wanted[2] = {{set.atime_how, set.atime},
                                                       {set.mtime_how, set.mtime}};
  for (int i = 0; i < 2; ++i) {
    times[i].tv_sec = 0;
    switch (wanted[i].first) {
      case vfs::TimeSet::kDontChange: times[i].tv_nsec = UTIME_OMIT; break;
      case vfs::TimeSet::kServerTime: times[i].tv_nsec = UTIME_NOW; break;
      case vfs::TimeSet::kClientTime:
        if (wanted[i].second.nsec >= 1'000'000'000) return Err(Errc::kInvalid, "nanoseconds out of range");
        times[i].tv_sec = wanted[i].second.sec;
        times[i].tv_nsec = wanted[i].second.nsec;
        break;
    }
  }
  if (set.empty()) return AttrOf(r->st);

  if (set.uid || set.gid) {
    uid_t uid = set.uid ? *set.uid : static_cast<uid_t>(-1);
    gid_t gid = set.gid ? *set.gid : static_cast<gid_t>(-1);
    if (fchownat(node.fd, "", uid, gid, AT_EMPTY_PATH) != 0) return ErrnoErr("chown");
  }
  // Linux cannot change a symlink's mode; knfsd ignores it, so do we.
  if (set.mode && node.type != FileType::kSymlink && ChmodFd(node.fd, *set.mode) != 0)
    return ErrnoErr("chmod");
  if (set.size) {
    auto fd = IoFd(node);
    if (!fd) return Err(fd.error());
    {
      std::lock_guard lock(node.mu);
      if (!node.io_writable) return Err(ErrnoStatus(node.io_write_errno, "open for truncate"));
    }
    if (ftruncate(*fd, static_cast<off_t>(*set.size)) != 0) return ErrnoErr("ftruncate");
  }
  if (set.atime_how != vfs::TimeSet::kDontChange || set.mtime_how != vfs::TimeSet::kDontChange) {
    if (utimensat(node.fd, "", times, AT_EMPTY_PATH) != 0) return ErrnoErr("utimensat");
  }
  struct stat st;
  if (fstat(node.fd, &st) != 0) return ErrnoErr("fstat");
  return AttrOf(st);
}

Result<vfs::ReadResult> LocalFileSystem::Read(const vfs::Handle& h, uint64_t offset,
                                              std::span<uint8_t> out) {
  auto r = Resolve(h);
  if (!r) return Err(r.error());
  Node& node = *r->node;
  if (node.type == FileType::kDirectory) return Err(Errc::kIsDir, "read of a directory");
  if (node.type != FileType::kRegular) return Err(Errc::kWrongType, "read of a special file");
  vfs::ReadResult result;
  if (offset >= static_cast<uint64_t>(kMaxOffset)) {
    result.eof = true;
    return result;
  }
  auto fd = IoFd(node);
  if (!fd) return Err(fd.error());
  size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), kMaxOffset - offset));
  size_t done = 0;
  while (done < want) {
    ssize_t n = pread(*fd, out.data() + done, want - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (done > 0) break;  // report what was read; the error comes again next time
      return ErrnoErr("pread");
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  result.count = done;
  // A short read of a regular file only happens at its end; otherwise compare
  // with the size seen on entry.
  result.eof = done < want || offset + done >= static_cast<uint64_t>(r->st.st_size);
  return result;
}

Result<vfs::WriteResult> LocalFileSystem::Write(const vfs::Handle& h, uint64_t offset,
                                                std::span<const uint8_t> data,
                                                vfs::Stability how) {
  auto r = Resolve(h);
  if (!r) return Err(r.error());
  Node& node = *r->node;
  if (node.type == FileType::kDirectory) return Err(Errc::kIsDir, "write to a directory");
  if (node.type != FileType::kRegular) return Err(Errc::kWrongType, "write to a special file");
  if (data.empty()) return vfs::WriteResult{0, how};
  if (offset > static_cast<uint64_t>(kMaxOffset) || data.size() > kMaxOffset - offset)
    return Err(Errc::kFileTooBig, "write beyond the largest offset");
  auto fd = IoFd(node);
  if (!fd) return Err(fd.error());
  {
    std::lock_guard lock(node.mu);
    if (!node.io_writable) return Err(ErrnoStatus(node.io_write_errno, "open for write"));
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = pwrite(*fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (done > 0) break;  // a short write; the client sends the rest again
      return ErrnoErr("pwrite");
    }
    done += static_cast<size_t>(n);
  }
  if (how == vfs::Stability::kDataSync && fdatasync(*fd) != 0) return ErrnoErr("fdatasync");
  if (how == vfs::Stability::kFileSync && fsync(*fd) != 0) return ErrnoErr("fsync");
  return vfs::WriteResult{done, how};
}

Status LocalFileSystem::Commit(const vfs::Handle& h, uint64_t, uint64_t) {
  auto r = Resolve(h);
  if (!r) return r.error();
  Node& node = *r->node;
  if (node.type == FileType::kDirectory) return {Errc::kIsDir, "commit of a directory"};
  if (node.type != FileType::kRegular) return {Errc::kWrongType, "commit of a special file"};
  auto fd = IoFd(node);
  if (!fd) return fd.error();
  // fsync, not fdatasync: COMMIT promises the size and times too. The range
  // is not worth honouring: the kernel flushes whole files quickly enough.
  if (fsync(*fd) != 0) return ErrnoStatus(errno, "fsync");
  return {};
}

Status LocalFileSystem::Allocate(const vfs::Handle& h, uint64_t offset, uint64_t length) {
  auto r = Resolve(h);
  if (!r) return r.error();
  Node& node = *r->node;
  if (node.type == FileType::kDirectory) return {Errc::kIsDir, "allocate in a directory"};
  if (node.type != FileType::kRegular) return {Errc::kWrongType, "allocate in a special file"};
  if (offset > static_cast<uint64_t>(kMaxOffset) || length > kMaxOffset - offset)
    return {Errc::kFileTooBig, "allocate beyond the largest offset"};
  auto fd = IoFd(node);
  if (!fd) return fd.error();
  {
    std::lock_guard lock(node.mu);
    if (!node.io_writable) return ErrnoStatus(node.io_write_errno, "open for write");
  }
  int rc;
  do {
    rc = fallocate(*fd, 0, static_cast<off_t>(offset), static_cast<off_t>(length));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ErrnoStatus(errno, "fallocate");
  return {};
}

Result<std::string> LocalFileSystem::ReadLink(const vfs::Handle& h) {
  auto r = Resolve(h);
  if (!r) return Err(r.error());
  if (r->node->type != FileType::kSymlink) return Err(Errc::kWrongType, "not a symlink");
  std::string buf(std::max<size_t>(static_cast<size_t>(r->st.st_size), 64) + 1, '\0');
  for (;;) {
    ssize_t n = readlinkat(r->node->fd, "", buf.data(), buf.size());
    if (n < 0) return ErrnoErr("readlink");
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    if (buf.size() > PATH_MAX) return Err(Errc::kNameTooLong, "symlink target too long");
    buf.resize(buf.size() * 2);  // it grew since we looked
  }
}

Status LocalFileSystem::Remove(const vfs::Handle& dh, std::string_view name) {
  ELFS_RETURN_IF_ERROR(vfs::ValidateName(name));
  auto dir = ResolveDir(dh);
  if (!dir) return dir.error();
  const int dfd = dir->node->fd;
  const std::string n(name);
  int fd = openat(dfd, n.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "remove " + n);
  std::optional<vfs::Handle> handle;
  struct stat st;
  {
    FdGuard guard(fd);
    if (fstat(fd, &st) != 0) return ErrnoStatus(errno, "fstat " + n);
    if (auto h = HandleOfFd(fd)) handle = *h;
  }
  if (unlinkat(dfd, n.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0)
    return ErrnoStatus(errno, "remove " + n);
  // Let go of our fd at once: a removed file's space is freed at last close.
  if (handle) cache_->Erase(*handle);
  return {};
}

Status LocalFileSystem::Rename(const vfs::Handle& from_dh, std::string_view from_name,
                               const vfs::Handle& to_dh, std::string_view to_name) {
  ELFS_RETURN_IF_ERROR(vfs::ValidateName(from_name));
  ELFS_RETURN_IF_ERROR(vfs::ValidateName(to_name));
  auto from = ResolveDir(from_dh);
  if (!from) return from.error();
  auto to = ResolveDir(to_dh);
  if (!to) return to.error();
  const std::string to_n(to_name);
  std::optional<vfs::Handle> replaced;
  if (int fd = openat(to->node->fd, to_n.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC); fd >= 0) {
    FdGuard guard(fd);
    if (auto h = HandleOfFd(fd)) replaced = *h;
  }
  if (renameat(from->node->fd, std::string(from_name).c_str(), to->node->fd, to_n.c_str()) != 0) {
    Status s = ErrnoStatus(errno, "rename");
    // rename(2) may say EEXIST for a non-empty target directory.
    if (s.code() == Errc::kExists) return {Errc::kNotEmpty, s.message()};
    return s;
  }
  if (replaced) cache_->Erase(*replaced);
  return {};
}

Status LocalFileSystem::Link(const vfs::Handle& fh, const vfs::Handle& dh, std::string_view name) {
  ELFS_RETURN_IF_ERROR(vfs::ValidateName(name));
  auto file = Resolve(fh);
  if (!file) return file.error();
  // link(2) says EPERM; NFS (RFC 8881, 18.9.3) wants ISDIR. Both backends agree.
  if (file->node->type == FileType::kDirectory) return {Errc::kIsDir, "hard link to a directory"};
  auto dir = ResolveDir(dh);
  if (!dir) return dir.error();
  if (linkat(file->node->fd, "", dir->node->fd, std::string(name).c_str(), AT_EMPTY_PATH) != 0)
    return ErrnoStatus(errno, "link");
  return {};
}

Result<vfs::Entry> LocalFileSystem::EntryAt(int dfd, const char* name, ino_t listed_ino) const {
  // The handle and the attributes must be of one object: if the name was
  // replaced between the listing and here, the inode numbers disagree and
  // the entry is read again through an O_PATH descriptor.
  struct statx sx;
  // Listed before: one call (statx by name), the handle from the cache.
  if (statx(dfd, name, AT_SYMLINK_NOFOLLOW, kStatxMask, &sx) == 0 && sx.stx_ino == listed_ino &&
      (sx.stx_mask & STATX_BTIME)) {
    if (auto h = listed_->Find(sx.stx_ino, sx.stx_btime)) return vfs::Entry{*h, AttrOf(StatOf(sx))};
  }
  // Else two calls on the name, no open.
  KernelHandle kh;
  int mount_id;
  if (name_to_handle_at(dfd, name, kh.fh(), &mount_id, 0) == 0 &&
      statx(dfd, name, AT_SYMLINK_NOFOLLOW, kStatxMask, &sx) == 0 && sx.stx_ino == listed_ino) {
    auto h = MakeHandle(export_tag_, kh);
    if (!h) return Err(h.error());
    // Cached only if the handle provably names the inode that statx saw:
    // the name could have been replaced and put back between the two calls.
    if ((sx.stx_mask & STATX_BTIME) && HandleNamesInode(kh, sx.stx_ino))
      listed_->Put(sx.stx_ino, sx.stx_btime, *h);
    return vfs::Entry{*h, AttrOf(StatOf(sx))};
  }
  struct stat st;
  int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoErr("readdir open");
  FdGuard child(fd);
  if (fstat(fd, &st) != 0) return ErrnoErr("fstat");
  auto h = HandleOfFd(fd);
  if (!h) return Err(h.error());
  return vfs::Entry{*h, AttrOf(st)};
}

Result<bool> LocalFileSystem::ReadDir(const vfs::Handle& dh, uint64_t cookie, bool with_attrs,
                                      const DirSink& sink) {
  auto dir = ResolveDir(dh);
  if (!dir) return Err(dir.error());
  std::unique_ptr<DirStream> s;
  if (cookie != 0) s = streams_->Take(dh, cookie);
  // A kept stream continues only a listing of the unchanged directory; after
  // a change the listing resumes on a fresh fd, exactly as without the cache.
  if (s && !(SameTime(s->dir_mtime, dir->st.st_mtim) && SameTime(s->dir_ctime, dir->st.st_ctim)))
    s.reset();
  if (!s) {
    // A fresh fd per listing: the position of a shared one would race.
    int dfd = openat(dir->node->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return ErrnoErr("opendir");
    s = std::make_unique<DirStream>(dfd);
    s->dir = dh;
    if (cookie != 0) {
      if (cookie > static_cast<uint64_t>(kMaxOffset)) return Err(Errc::kInvalid, "bad cookie");
      if (lseek(dfd, static_cast<off_t>(cookie), SEEK_SET) < 0) return ErrnoErr("seekdir");
    }
  }
  // The resume point of the entries handed out so far: where the next call
  // of this listing will ask to continue.
  uint64_t resume = cookie;
  for (;;) {
    if (s->pos == s->end) {
      ssize_t n = getdents64(s->fd, s->buf.data(), s->buf.size());
      if (n < 0) return ErrnoErr("getdents64");
      if (n == 0) return true;
      s->pos = 0;
      s->end = static_cast<size_t>(n);
    }
    while (s->pos < s->end) {
      const auto* d = reinterpret_cast<const struct dirent64*>(s->buf.data() + s->pos);
      std::string_view name(d->d_name);
      if (name == "." || name == "..") {
        s->pos += d->d_reclen;
        continue;
      }
      // d_off is where the next entry starts: the resume point after this one.
      if (d->d_off <= 0) return Err(Errc::kIo, "file system gave a directory offset of 0");
      vfs::DirEntry de{name, static_cast<uint64_t>(d->d_off), d->d_ino, nullptr};
      vfs::Entry entry;
      if (with_attrs) {
        auto e = EntryAt(s->fd, d->d_name, d->d_ino);
        if (!e) {
          if (e.error().code() == Errc::kNotFound) {  // removed since listed
            s->pos += d->d_reclen;
            continue;
          }
          return Err(e.error());
        }
        entry = std::move(*e);
        de.entry = &entry;
      }
      if (!sink(de)) {
        // This entry was not taken: keep it first for the call that resumes
        // at `resume`. Entries skipped before it were gone or "."/"..", which
        // a fresh fd would skip as well.
        if (resume != 0) {
          s->resume = resume;
          s->dir_mtime = dir->st.st_mtim;  // as of the start of this call
          s->dir_ctime = dir->st.st_ctim;
          streams_->Put(std::move(s));
        }
        return false;
      }
      s->pos += d->d_reclen;
      resume = de.cookie;
    }
  }
}

Result<vfs::FsStats> LocalFileSystem::StatFs() {
  struct statvfs sv;
  if (fstatvfs(root_fd_, &sv) != 0) return ErrnoErr("fstatvfs");
  vfs::FsStats s;
  s.bytes_total = uint64_t{sv.f_blocks} * sv.f_frsize;
  s.bytes_free = uint64_t{sv.f_bfree} * sv.f_frsize;
  s.bytes_avail = uint64_t{sv.f_bavail} * sv.f_frsize;
  s.files_total = sv.f_files;
  s.files_free = sv.f_ffree;
  s.files_avail = sv.f_favail;
  return s;
}

}  // namespace elfs::backend
