// MemoryFileSystem: a complete vfs::FileSystem held in memory, for unit tests
// of the NFS layer (and anything else that needs a file system without a disk).
//
// It behaves like a local Linux file system (ext4/tmpfs) where the interface
// leaves room: rename(2) semantics and errors, nlink counting ("." and ".."
// included for directories), ctime/mtime updates as Linux makes them, atime
// with relatime rules, sparse files (4 KiB blocks, holes read as zeros).
//
// Ownership: the file system owns every inode; callers own only handles.
// Handles are 21 bytes: a tag, an id of this instance, the inode number and
// its generation. Inode numbers are reused (most recently freed first) with a
// new generation, so a handle of a removed object yields kStale even when its
// number lives again. Handles from another instance yield kStale; malformed
// ones kBadHandle. An inode lives while it has a name (there are no opens).
//
// Times come from the injected Clock; `change` is a per-inode counter bumped
// on every data or metadata change (never on atime-only updates).
//
// ReadDir cookies are per-directory sequence numbers given to entries as they
// are added (the first is 3: 0 means "start", 1 and 2 are left alone because
// some NFS clients treat them specially). A cookie stays valid after any
// entry, itself included, is removed; a renamed entry gets a new one.
//
// Thread safety: all methods are thread-safe (one mutex). ReadDir calls its
// sink without holding the mutex, so a sink may call back into the file system.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "vfs/vfs.h"

namespace elfs::backend {

struct MemoryFileSystemOptions {
  // Reported by StatFs; writes that would allocate beyond it get kNoSpace.
  uint64_t capacity_bytes = 4ull << 30;
  // Object count limit; Create beyond it gets kNoSpace.
  uint64_t max_inodes = 1u << 20;
  // Largest file size (ext4's limit with 4 KiB blocks); beyond: kFileTooBig.
  uint64_t max_file_size = 16ull << 40;
};

class MemoryFileSystem final : public vfs::FileSystem {
 public:
  using Options = MemoryFileSystemOptions;
  static constexpr uint32_t kBlockSize = 4096;
  static constexpr uint32_t kMaxLinks = 65000;  // as ext4
  static constexpr size_t kMaxSymlinkTarget = 4095;

  // REQUIRES: clock outlives the file system.
  explicit MemoryFileSystem(const Clock& clock, Options options = Options());
  ~MemoryFileSystem() override;
  MemoryFileSystem(const MemoryFileSystem&) = delete;
  MemoryFileSystem& operator=(const MemoryFileSystem&) = delete;

  Result<vfs::Handle> Root() override;
  Result<vfs::Attr> GetAttr(const vfs::Handle& h) override;
  Result<vfs::Entry> Lookup(const vfs::Handle& dir, std::string_view name) override;
  Result<vfs::Entry> LookupParent(const vfs::Handle& dir) override;
  Result<vfs::Entry> Create(const vfs::Handle& dir, std::string_view name,
                            const vfs::CreateRequest& req) override;
  Result<vfs::Attr> SetAttr(const vfs::Handle& h, const vfs::SetAttrs& set) override;
  Result<vfs::ReadResult> Read(const vfs::Handle& h, uint64_t offset,
                               std::span<uint8_t> out) override;
  Result<vfs::WriteResult> Write(const vfs::Handle& h, uint64_t offset,
                                 std::span<const uint8_t> data, vfs::Stability how) override;
  Status Commit(const vfs::Handle& h, uint64_t offset, uint64_t count) override;
  Status Allocate(const vfs::Handle& h, uint64_t offset, uint64_t length) override;
  Result<std::string> ReadLink(const vfs::Handle& h) override;
  Status Remove(const vfs::Handle& dir, std::string_view name) override;
  Status Rename(const vfs::Handle& from_dir, std::string_view from_name,
                const vfs::Handle& to_dir, std::string_view to_name) override;
  Status Link(const vfs::Handle& file, const vfs::Handle& dir, std::string_view name) override;
  Result<bool> ReadDir(const vfs::Handle& dir, uint64_t cookie, bool with_attrs,
                       const DirSink& sink) override;
  Result<vfs::FsStats> StatFs() override;

 private:
  struct Inode;

  // All REQUIRES mu_ held.
  Result<Inode*> Find(const vfs::Handle& h);
  Result<Inode*> FindDir(const vfs::Handle& h);
  vfs::Handle HandleOf(const Inode& inode) const;
  vfs::Attr AttrOf(const Inode& inode) const;
  vfs::Entry EntryOf(const Inode& inode) const;
  Inode* Allocate(vfs::FileType type);
  void Free(Inode* inode);
  void DropLink(Inode* inode);  // one name fewer; frees at zero
  void AddEntry(Inode* dir, std::string_view name, uint64_t ino);
  void RemoveEntry(Inode* dir, std::string_view name);
  void Modified(Inode* inode, bool data);  // ctime (+ mtime if data), change
  void Accessed(Inode* inode);             // atime, relatime rules
  void Truncate(Inode* inode, uint64_t size);

  const Clock& clock_;
  const Options options_;
  const uint32_t instance_;
  std::mutex mu_;
  std::unordered_map<uint64_t, std::unique_ptr<Inode>> inodes_;  // GUARDED_BY(mu_)
  std::vector<uint64_t> free_inos_;                              // GUARDED_BY(mu_)
  uint64_t next_ino_ = 1;                                        // GUARDED_BY(mu_)
  uint64_t next_gen_ = 1;                                        // GUARDED_BY(mu_)
  uint64_t used_blocks_ = 0;                                     // GUARDED_BY(mu_)
  uint64_t root_ino_ = 0;
};

}  // namespace elfs::backend
