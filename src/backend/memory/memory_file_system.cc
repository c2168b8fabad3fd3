#include "backend/memory/memory_file_system.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <string>

namespace elfs::backend {

using vfs::FileType;

namespace {

constexpr uint8_t kHandleTag = 0x4d;  // 'M'
constexpr size_t kHandleSize = 1 + 4 + 8 + 8;
// tmpfs reports a directory's size as this many bytes per entry ("." and ".."
// included); any stable number would do.
constexpr uint64_t kDirentSize = 20;
constexpr int64_t kRelatimeSeconds = 24 * 3600;

std::atomic<uint32_t> g_next_instance{1};

void Put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t Get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

bool ValidType(FileType t) {
  return t >= FileType::kRegular && t <= FileType::kFifo;
}

}  // namespace

struct MemoryFileSystem::Inode {
  using Block = std::array<uint8_t, kBlockSize>;
  struct Link {
    uint64_t ino;
    uint64_t seq;
  };

  uint64_t ino = 0;
  uint64_t gen = 0;
  vfs::Attr attr;  // size, nlink, times, change kept here; space_used derived
  // Regular files: allocated blocks by index; a missing block is a hole.
  std::map<uint64_t, std::unique_ptr<Block>> blocks;
  // Symlinks.
  std::string target;
  // Directories.
  uint64_t parent = 0;
  std::map<std::string, Link, std::less<>> entries;
  std::map<uint64_t, std::string> by_seq;  // cookie order
  uint64_t next_seq = 3;
};

MemoryFileSystem::MemoryFileSystem(const Clock& clock, Options options)
    : clock_(clock), options_(options), instance_(g_next_instance.fetch_add(1)) {
  std::lock_guard lock(mu_);
  Inode* root = Allocate(FileType::kDirectory);
  root->attr.mode = 0755;
  root->attr.nlink = 2;
  root->parent = root->ino;
  root_ino_ = root->ino;
}

MemoryFileSystem::~MemoryFileSystem() = default;

// ---- helpers (mu_ held) ----

vfs::Handle MemoryFileSystem::HandleOf(const Inode& inode) const {
  std::array<uint8_t, kHandleSize> b{};
  b[0] = kHandleTag;
  for (int i = 0; i < 4; ++i) b[1 + i] = static_cast<uint8_t>(instance_ >> (8 * i));
  Put64(&b[5], inode.ino);
  Put64(&b[13], inode.gen);
  return vfs::Handle(b);
}

Result<MemoryFileSystem::Inode*> MemoryFileSystem::Find(const vfs::Handle& h) {
  auto b = h.bytes();
  if (b.size() != kHandleSize || b[0] != kHandleTag) return Err(Errc::kBadHandle, "not a memory handle");
  uint32_t instance = 0;
  for (int i = 0; i < 4; ++i) instance |= uint32_t{b[1 + i]} << (8 * i);
  if (instance != instance_) return Err(Errc::kStale, "handle of another file system");
  auto it = inodes_.find(Get64(&b[5]));
  if (it == inodes_.end() || it->second->gen != Get64(&b[13]))
    return Err(Errc::kStale, "object no longer exists");
  return it->second.get();
}

Result<MemoryFileSystem::Inode*> MemoryFileSystem::FindDir(const vfs::Handle& h) {
  auto inode = Find(h);
  if (inode && (*inode)->attr.type != FileType::kDirectory) return Err(Errc::kNotDir, "not a directory");
  return inode;
}

vfs::Attr MemoryFileSystem::AttrOf(const Inode& inode) const {
  vfs::Attr a = inode.attr;
  a.fileid = inode.ino;
  switch (a.type) {
    case FileType::kRegular: a.space_used = inode.blocks.size() * uint64_t{kBlockSize}; break;
    case FileType::kDirectory: a.size = (inode.entries.size() + 2) * kDirentSize; break;
    case FileType::kSymlink: a.size = inode.target.size(); break;
    default: break;
  }
  return a;
}

vfs::Entry MemoryFileSystem::EntryOf(const Inode& inode) const {
  return {HandleOf(inode), AttrOf(inode)};
}

MemoryFileSystem::Inode* MemoryFileSystem::Allocate(FileType type) {
  auto inode = std::make_unique<Inode>();
  if (!free_inos_.empty()) {
    inode->ino = free_inos_.back();
    free_inos_.pop_back();
  } else {
    inode->ino = next_ino_++;
  }
  inode->gen = next_gen_++;
  Timespec now = clock_.Now();
  inode->attr.type = type;
  inode->attr.atime = inode->attr.mtime = inode->attr.ctime = now;
  inode->attr.change = 1;
  Inode* raw = inode.get();
  inodes_[raw->ino] = std::move(inode);
  return raw;
}

void MemoryFileSystem::Free(Inode* inode) {
  used_blocks_ -= inode->blocks.size();
  uint64_t ino = inode->ino;
  inodes_.erase(ino);
  free_inos_.push_back(ino);
}

void MemoryFileSystem::DropLink(Inode* inode) {
  if (inode->attr.type == FileType::kDirectory) {
    Free(inode);  // only empty directories lose their name
    return;
  }
  if (--inode->attr.nlink == 0) {
    Free(inode);
    return;
  }
  Modified(inode, false);
}

void MemoryFileSystem::AddEntry(Inode* dir, std::string_view name, uint64_t ino) {
  uint64_t seq = dir->next_seq++;
  dir->entries.emplace(std::string(name), Inode::Link{ino, seq});
  dir->by_seq.emplace(seq, std::string(name));
}

void MemoryFileSystem::RemoveEntry(Inode* dir, std::string_view name) {
  auto it = dir->entries.find(name);
  dir->by_seq.erase(it->second.seq);
  dir->entries.erase(it);
}

void MemoryFileSystem::Modified(Inode* inode, bool data) {
  Timespec now = clock_.Now();
  inode->attr.ctime = now;
  if (data) inode->attr.mtime = now;
  ++inode->attr.change;
}

void MemoryFileSystem::Accessed(Inode* inode) {
  // relatime (Linux's default): update atime only if it is not newer than
  // mtime or ctime, or is a day old. Not a change: `change` stays.
  Timespec now = clock_.Now();
  vfs::Attr& a = inode->attr;
  if (a.atime <= a.mtime || a.atime <= a.ctime || now.sec - a.atime.sec >= kRelatimeSeconds)
    a.atime = now;
}

void MemoryFileSystem::Truncate(Inode* inode, uint64_t size) {
  if (size < inode->attr.size) {
    // Drop whole blocks past the end and zero the tail of the last one, so
    // that growing the file again shows zeros, not old data.
    uint64_t keep = (size + kBlockSize - 1) / kBlockSize;
    auto it = inode->blocks.lower_bound(keep);
    used_blocks_ -= std::distance(it, inode->blocks.end());
    inode->blocks.erase(it, inode->blocks.end());
    if (size % kBlockSize != 0) {
      auto last = inode->blocks.find(size / kBlockSize);
      if (last != inode->blocks.end())
        std::fill(last->second->begin() + size % kBlockSize, last->second->end(), 0);
    }
  }
  inode->attr.size = size;
}

// ---- FileSystem ----

Result<vfs::Handle> MemoryFileSystem::Root() {
  std::lock_guard lock(mu_);
  return HandleOf(*inodes_.at(root_ino_));
}

Result<vfs::Attr> MemoryFileSystem::GetAttr(const vfs::Handle& h) {
  std::lock_guard lock(mu_);
  auto inode = Find(h);
  if (!inode) return Err(inode.error());
  return AttrOf(**inode);
}

Result<vfs::Entry> MemoryFileSystem::Lookup(const vfs::Handle& dh, std::string_view name) {
  if (Status s = vfs::ValidateName(name); !s.ok()) return Err(std::move(s));
  std::lock_guard lock(mu_);
  auto dir = FindDir(dh);
  if (!dir) return Err(dir.error());
  auto it = (*dir)->entries.find(name);
  if (it == (*dir)->entries.end()) return Err(Errc::kNotFound, std::string(name));
  return EntryOf(*inodes_.at(it->second.ino));
}

Result<vfs::Entry> MemoryFileSystem::LookupParent(const vfs::Handle& dh) {
  std::lock_guard lock(mu_);
  auto dir = FindDir(dh);
  if (!dir) return Err(dir.error());
  return EntryOf(*inodes_.at((*dir)->parent));
}

Result<vfs::Entry> MemoryFileSystem::Create(const vfs::Handle& dh, std::string_view name,
                                            const vfs::CreateRequest& req) {
  if (Status s = vfs::ValidateName(name); !s.ok()) return Err(std::move(s));
  if (!ValidType(req.type)) return Err(Errc::kInvalid, "bad file type");
  if (req.mode & ~vfs::kModeMask) return Err(Errc::kInvalid, "mode has bits beyond 07777");
  if (req.type == FileType::kSymlink) {
    // symlink(2): ENOENT for an empty target, ENAMETOOLONG past PATH_MAX.
    if (req.symlink_target.empty()) return Err(Errc::kInvalid, "empty symlink target");
    if (req.symlink_target.find('\0') != std::string_view::npos)
      return Err(Errc::kInvalid, "NUL in symlink target");
    if (req.symlink_target.size() > kMaxSymlinkTarget)
      return Err(Errc::kNameTooLong, "symlink target too long");
  }
  std::lock_guard lock(mu_);
  auto dir_r = FindDir(dh);
  if (!dir_r) return Err(dir_r.error());
  Inode* dir = *dir_r;
  if (auto it = dir->entries.find(name); it != dir->entries.end()) {
    Inode* existing = inodes_.at(it->second.ino).get();
    if (!req.exclusive && req.type == FileType::kRegular &&
        existing->attr.type == FileType::kRegular)
      return EntryOf(*existing);
    return Err(Errc::kExists, std::string(name));
  }
  if (inodes_.size() >= options_.max_inodes) return Err(Errc::kNoSpace, "no free inodes");

  Inode* inode = Allocate(req.type);
  inode->attr.mode = req.type == FileType::kSymlink ? 0777 : req.mode;
  inode->attr.uid = req.uid;
  inode->attr.gid = req.gid;
  inode->attr.nlink = 1;
  switch (req.type) {
    case FileType::kDirectory:
      inode->attr.nlink = 2;
      inode->parent = dir->ino;
      ++dir->attr.nlink;
      break;
    case FileType::kSymlink: inode->target = std::string(req.symlink_target); break;
    case FileType::kBlockDevice:
    case FileType::kCharDevice:
      inode->attr.rdev_major = req.rdev_major;
      inode->attr.rdev_minor = req.rdev_minor;
      break;
    default: break;
  }
  AddEntry(dir, name, inode->ino);
  Modified(dir, true);
  return EntryOf(*inode);
}

Result<vfs::Attr> MemoryFileSystem::SetAttr(const vfs::Handle& h, const vfs::SetAttrs& set) {
  std::lock_guard lock(mu_);
  auto inode_r = Find(h);
  if (!inode_r) return Err(inode_r.error());
  Inode* inode = *inode_r;
  vfs::Attr& a = inode->attr;
  // Check everything first so that a refused request changes nothing.
  if (set.mode && (*set.mode & ~vfs::kModeMask)) return Err(Errc::kInvalid, "mode has bits beyond 07777");
  if (set.size) {
    if (a.type == FileType::kDirectory) return Err(Errc::kIsDir, "truncate of a directory");
    if (a.type != FileType::kRegular) return Err(Errc::kInvalid, "truncate of a special file");
    if (*set.size > options_.max_file_size) return Err(Errc::kFileTooBig, "size beyond limit");
  }
  if ((set.atime_how == vfs::TimeSet::kClientTime && set.atime.nsec >= 1'000'000'000) ||
      (set.mtime_how == vfs::TimeSet::kClientTime && set.mtime.nsec >= 1'000'000'000))
    return Err(Errc::kInvalid, "nanoseconds out of range");
  if (set.empty()) return AttrOf(*inode);

  Timespec now = clock_.Now();
  if (set.uid || set.gid) {
    if (set.uid) a.uid = *set.uid;
    if (set.gid) a.gid = *set.gid;
    // chown(2) on a non-directory drops set-user-ID, and set-group-ID when
    // group execute is set (Linux does so even for root).
    if (a.type != FileType::kDirectory) {
      a.mode &= ~vfs::kSetUid;
      if (a.mode & 010) a.mode &= ~vfs::kSetGid;
    }
  }
  // Linux cannot change a symlink's mode; knfsd ignores it, so do we.
  if (set.mode && a.type != FileType::kSymlink) a.mode = *set.mode;
  if (set.size) {
    Truncate(inode, *set.size);
    a.mtime = now;  // ftruncate(2) sets mtime even when the size is unchanged
  }
  if (set.atime_how == vfs::TimeSet::kServerTime) a.atime = now;
  if (set.atime_how == vfs::TimeSet::kClientTime) a.atime = set.atime;
  if (set.mtime_how == vfs::TimeSet::kServerTime) a.mtime = now;
  if (set.mtime_how == vfs::TimeSet::kClientTime) a.mtime = set.mtime;
  a.ctime = now;
  ++a.change;
  return AttrOf(*inode);
}

Result<vfs::ReadResult> MemoryFileSystem::Read(const vfs::Handle& h, uint64_t offset,
                                               std::span<uint8_t> out) {
  std::lock_guard lock(mu_);
  auto inode_r = Find(h);
  if (!inode_r) return Err(inode_r.error());
  Inode* inode = *inode_r;
  if (inode->attr.type == FileType::kDirectory) return Err(Errc::kIsDir, "read of a directory");
  if (inode->attr.type != FileType::kRegular) return Err(Errc::kWrongType, "read of a special file");
  uint64_t size = inode->attr.size;
  vfs::ReadResult r;
  if (offset < size) {
    r.count = static_cast<size_t>(std::min<uint64_t>(out.size(), size - offset));
    size_t done = 0;
    while (done < r.count) {
      uint64_t pos = offset + done;
      uint64_t in_block = pos % kBlockSize;
      size_t n = static_cast<size_t>(std::min<uint64_t>(kBlockSize - in_block, r.count - done));
      auto it = inode->blocks.find(pos / kBlockSize);
      if (it == inode->blocks.end())
        std::fill_n(out.data() + done, n, 0);
      else
        std::memcpy(out.data() + done, it->second->data() + in_block, n);
      done += n;
    }
  }
  r.eof = offset + r.count >= size;
  Accessed(inode);
  return r;
}

Result<vfs::WriteResult> MemoryFileSystem::Write(const vfs::Handle& h, uint64_t offset,
                                                 std::span<const uint8_t> data,
                                                 vfs::Stability how) {
  std::lock_guard lock(mu_);
  auto inode_r = Find(h);
  if (!inode_r) return Err(inode_r.error());
  Inode* inode = *inode_r;
  if (inode->attr.type == FileType::kDirectory) return Err(Errc::kIsDir, "write to a directory");
  if (inode->attr.type != FileType::kRegular) return Err(Errc::kWrongType, "write to a special file");
  // Memory is as durable as it gets: whatever was asked is what is done.
  if (data.empty()) return vfs::WriteResult{0, how};
  if (offset > options_.max_file_size || data.size() > options_.max_file_size - offset)
    return Err(Errc::kFileTooBig, "write beyond the file size limit");

  uint64_t first = offset / kBlockSize, last = (offset + data.size() - 1) / kBlockSize;
  uint64_t missing = 0;
  for (uint64_t b = first; b <= last; ++b) missing += !inode->blocks.contains(b);
  if ((used_blocks_ + missing) * kBlockSize > options_.capacity_bytes)
    return Err(Errc::kNoSpace, "memory file system full");

  size_t done = 0;
  while (done < data.size()) {
    uint64_t pos = offset + done;
    uint64_t in_block = pos % kBlockSize;
    size_t n = static_cast<size_t>(std::min<uint64_t>(kBlockSize - in_block, data.size() - done));
    auto& block = inode->blocks[pos / kBlockSize];
    if (!block) {
      block = std::make_unique<Inode::Block>();
      block->fill(0);
      ++used_blocks_;
    }
    std::memcpy(block->data() + in_block, data.data() + done, n);
    done += n;
  }
  inode->attr.size = std::max<uint64_t>(inode->attr.size, offset + data.size());
  Modified(inode, true);
  return vfs::WriteResult{data.size(), how};
}

Status MemoryFileSystem::Commit(const vfs::Handle& h, uint64_t, uint64_t) {
  std::lock_guard lock(mu_);
  auto inode = Find(h);
  if (!inode) return inode.error();
  if ((*inode)->attr.type == FileType::kDirectory) return {Errc::kIsDir, "commit of a directory"};
  if ((*inode)->attr.type != FileType::kRegular) return {Errc::kWrongType, "commit of a special file"};
  return {};
}

Status MemoryFileSystem::Allocate(const vfs::Handle& h, uint64_t offset, uint64_t length) {
  std::lock_guard lock(mu_);
  auto inode_r = Find(h);
  if (!inode_r) return inode_r.error();
  Inode* inode = *inode_r;
  if (inode->attr.type == FileType::kDirectory) return {Errc::kIsDir, "allocate in a directory"};
  if (inode->attr.type != FileType::kRegular) return {Errc::kWrongType, "allocate in a special file"};
  if (length == 0) return {Errc::kInvalid, "allocate of nothing"};
  if (offset > options_.max_file_size || length > options_.max_file_size - offset)
    return {Errc::kFileTooBig, "allocate beyond the file size limit"};
  uint64_t first = offset / kBlockSize, last = (offset + length - 1) / kBlockSize;
  if (last - first + 1 > options_.capacity_bytes / kBlockSize + 1)
    return {Errc::kNoSpace, "memory file system full"};
  uint64_t missing = 0;
  for (uint64_t b = first; b <= last; ++b) missing += !inode->blocks.contains(b);
  if ((used_blocks_ + missing) * kBlockSize > options_.capacity_bytes)
    return {Errc::kNoSpace, "memory file system full"};
  for (uint64_t b = first; b <= last; ++b) {
    auto& block = inode->blocks[b];
    if (block) continue;
    block = std::make_unique<Inode::Block>();
    block->fill(0);
    ++used_blocks_;
  }
  inode->attr.size = std::max<uint64_t>(inode->attr.size, offset + length);
  Modified(inode, true);
  return {};
}

Result<std::string> MemoryFileSystem::ReadLink(const vfs::Handle& h) {
  std::lock_guard lock(mu_);
  auto inode = Find(h);
  if (!inode) return Err(inode.error());
  if ((*inode)->attr.type != FileType::kSymlink) return Err(Errc::kWrongType, "not a symlink");
  Accessed(*inode);
  return (*inode)->target;
}

Status MemoryFileSystem::Remove(const vfs::Handle& dh, std::string_view name) {
  ELFS_RETURN_IF_ERROR(vfs::ValidateName(name));
  std::lock_guard lock(mu_);
  auto dir_r = FindDir(dh);
  if (!dir_r) return dir_r.error();
  Inode* dir = *dir_r;
  auto it = dir->entries.find(name);
  if (it == dir->entries.end()) return Status::NotFound(std::string(name));
  Inode* child = inodes_.at(it->second.ino).get();
  if (child->attr.type == FileType::kDirectory) {
    if (!child->entries.empty()) return {Errc::kNotEmpty, std::string(name)};
    --dir->attr.nlink;  // its ".." is gone
  }
  RemoveEntry(dir, name);
  DropLink(child);
  Modified(dir, true);
  return {};
}

Status MemoryFileSystem::Rename(const vfs::Handle& from_dh, std::string_view from_name,
                                const vfs::Handle& to_dh, std::string_view to_name) {
  ELFS_RETURN_IF_ERROR(vfs::ValidateName(from_name));
  ELFS_RETURN_IF_ERROR(vfs::ValidateName(to_name));
  std::lock_guard lock(mu_);
  auto from_r = FindDir(from_dh);
  if (!from_r) return from_r.error();
  auto to_r = FindDir(to_dh);
  if (!to_r) return to_r.error();
  Inode* from = *from_r;
  Inode* to = *to_r;
  auto src_it = from->entries.find(from_name);
  if (src_it == from->entries.end()) return Status::NotFound(std::string(from_name));
  Inode* src = inodes_.at(src_it->second.ino).get();
  Inode* dst = nullptr;
  if (auto it = to->entries.find(to_name); it != to->entries.end())
    dst = inodes_.at(it->second.ino).get();
  // rename(2): two names of one file: nothing to do, success.
  if (dst == src) return {};

  bool src_is_dir = src->attr.type == FileType::kDirectory;
  // Checks in the order Linux makes them (do_renameat2, then vfs_rename).
  if (src_is_dir && from != to) {
    // The source may not become its own ancestor ...
    for (Inode* d = to;; d = inodes_.at(d->parent).get()) {
      if (d == src) return Status::Invalid("directory into its own subtree");
      if (d->ino == root_ino_) break;
    }
  }
  if (dst && dst->attr.type == FileType::kDirectory && from != to) {
    // ... and the target may not be an ancestor of the source.
    for (Inode* d = from;; d = inodes_.at(d->parent).get()) {
      if (d == dst) return {Errc::kNotEmpty, "target is an ancestor of the source"};
      if (d->ino == root_ino_) break;
    }
  }
  if (dst) {
    bool dst_is_dir = dst->attr.type == FileType::kDirectory;
    if (src_is_dir && !dst_is_dir) return {Errc::kNotDir, "directory over a non-directory"};
    if (!src_is_dir && dst_is_dir) return {Errc::kIsDir, "non-directory over a directory"};
    if (dst_is_dir && !dst->entries.empty()) return {Errc::kNotEmpty, std::string(to_name)};
  }

  if (dst) {
    if (dst->attr.type == FileType::kDirectory) --to->attr.nlink;
    RemoveEntry(to, to_name);
    DropLink(dst);
  }
  RemoveEntry(from, from_name);
  AddEntry(to, to_name, src->ino);
  if (src_is_dir && from != to) {
    --from->attr.nlink;
    ++to->attr.nlink;
    src->parent = to->ino;
  }
  Modified(src, false);  // Linux (ext4, tmpfs) sets ctime of the moved inode
  Modified(from, true);
  if (to != from) Modified(to, true);
  return {};
}

Status MemoryFileSystem::Link(const vfs::Handle& fh, const vfs::Handle& dh, std::string_view name) {
  ELFS_RETURN_IF_ERROR(vfs::ValidateName(name));
  std::lock_guard lock(mu_);
  auto file_r = Find(fh);
  if (!file_r) return file_r.error();
  Inode* file = *file_r;
  auto dir_r = FindDir(dh);
  if (!dir_r) return dir_r.error();
  Inode* dir = *dir_r;
  // link(2) says EPERM; NFS (RFC 8881, 18.9.3) wants ISDIR. Both backends agree.
  if (file->attr.type == FileType::kDirectory) return {Errc::kIsDir, "hard link to a directory"};
  if (dir->entries.contains(name)) return Status::Exists(std::string(name));
  if (file->attr.nlink >= kMaxLinks) return {Errc::kTooManyLinks, "too many links"};
  AddEntry(dir, name, file->ino);
  ++file->attr.nlink;
  Modified(file, false);
  Modified(dir, true);
  return {};
}

Result<bool> MemoryFileSystem::ReadDir(const vfs::Handle& dh, uint64_t cookie, bool with_attrs,
                                       const DirSink& sink) {
  // Entries are copied out in batches under the lock and handed to the sink
  // without it, so the sink may call back in; a batch bounds the copying
  // when the sink stops early.
  constexpr size_t kBatch = 128;
  struct Item {
    std::string name;
    uint64_t cookie, fileid;
    vfs::Entry entry;
  };
  std::vector<Item> batch;
  bool first = true;
  for (;;) {
    batch.clear();
    bool at_end;
    {
      std::lock_guard lock(mu_);
      auto dir_r = FindDir(dh);
      if (!dir_r) return Err(dir_r.error());
      Inode* dir = *dir_r;
      if (first) {
        Accessed(dir);
        first = false;
      }
      auto it = dir->by_seq.upper_bound(cookie);
      for (; it != dir->by_seq.end() && batch.size() < kBatch; ++it) {
        const Inode& child = *inodes_.at(dir->entries.find(it->second)->second.ino);
        Item item{it->second, it->first, child.ino, {}};
        if (with_attrs) item.entry = EntryOf(child);
        batch.push_back(std::move(item));
      }
      at_end = it == dir->by_seq.end();
    }
    for (const Item& item : batch) {
      vfs::DirEntry de{item.name, item.cookie, item.fileid, with_attrs ? &item.entry : nullptr};
      if (!sink(de)) return false;
    }
    if (at_end) return true;
    cookie = batch.back().cookie;
  }
}

Result<vfs::FsStats> MemoryFileSystem::StatFs() {
  std::lock_guard lock(mu_);
  vfs::FsStats s;
  s.bytes_total = options_.capacity_bytes;
  uint64_t used = used_blocks_ * kBlockSize;
  s.bytes_free = s.bytes_avail = used >= s.bytes_total ? 0 : s.bytes_total - used;
  s.files_total = options_.max_inodes;
  s.files_free = s.files_avail =
      inodes_.size() >= options_.max_inodes ? 0 : options_.max_inodes - inodes_.size();
  return s;
}

}  // namespace elfs::backend
