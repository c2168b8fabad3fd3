// LocalFileSystem: a vfs::FileSystem passing through to a directory of the
// host (the export root), in the manner of NFS-Ganesha's VFS FSAL. elfsd runs
// as root; this backend never lets host permissions decide anything (it acts
// with full privilege, see vfs.h) and never follows a symlink.
//
// Handles. A handle wraps the kernel's file handle (name_to_handle_at) of the
// object, so it survives a restart of elfsd, plus a tag of the export:
//   [0]     'L' (format 1)
//   [1..4]  export tag: FNV-1a of the root's kernel handle (little endian)
//   [5]     kernel handle_type
//   [6..]   kernel handle bytes (8 on ext4)
// It is resolved with open_by_handle_at(root fd, O_PATH); the kernel refuses
// (ESTALE) a handle whose inode is gone or was reused (generation), giving
// kStale. Malformed handles give kBadHandle, handles of another export kStale.
//
// Containment. The kernel resolves a handle anywhere on the export's file
// system, so a resolved directory is accepted only if a walk up its ".." chain
// (at most kMaxDepth steps) reaches the export root. A non-directory has no
// parent the kernel can name (a hard link can even have two), so it is
// accepted after the export-tag check alone, as knfsd does with its default
// no_subtree_check; handles reach us only through the NFS layer, which MACs
// them, so a handle for a file outside the export cannot be made up. The
// check is made once, when a handle is first resolved; the open object is then
// kept in a bounded LRU cache (a directory moved out of the export from the
// host side stays served while cached). Objects reached by Lookup, Create or
// LookupParent are inside by construction and are cached without the walk.
//
// Open files. The cache holds, per handle, an O_PATH fd (every *at() call is
// made relative to it) and, for regular files once read or written, an O_RDWR
// fd, so READ/WRITE do not reopen. At most max_cached_handles entries, so at
// most twice as many fds, plus those of operations in flight. A cached object
// whose link count dropped to zero is dropped and reported kStale; Remove and
// Rename drop the replaced name's entry at once, so that a deleted file's
// space is not held by our fd. Known cost: while a regular file's O_RDWR fd
// is cached, executing that file on the host fails with ETXTBSY (NFS clients
// execute on their side, so they are not affected).
//
// Create makes the object, then fchownat(req.uid, req.gid) and chmod to
// exactly req.mode: the umask, a set-group-ID parent directory and default
// ACLs do not decide owner or mode (the caller does, as in MemoryFileSystem).
// Entries of ReadDir with attributes are read by name relative to the
// directory fd (name_to_handle_at, statx); if the inode number differs from
// the listing's (the name was replaced meanwhile) the entry is opened O_PATH
// and both are read through that fd, so handle and attributes are of one
// object. The handles of listed entries are kept (max_listed_handles) by
// inode number with the inode's birth time: an entry listed again costs one
// statx. An inode number reused by another file has another birth time —
// unless the old file was deleted and the new one made outside elfs within
// one tick of the file system's clock and the old handle was cached; the
// client then gets a handle that is refused as stale (ESTALE, never another
// file's). Cached are only handles whose layout shows the inode number
// (FILEID_INO32_GEN, as on ext4) on file systems with birth times.
//
// Attributes: fileid = st_ino; space_used = st_blocks * 512; change = ctime in
// nanoseconds (ctime_sec * 1e9 + ctime_nsec): the kernel's i_version is not
// visible to user space, and ctime moves on every data or metadata change
// (with ns granularity on ext4/xfs/btrfs since multigrain timestamps; coarser
// kernels can miss two changes in one tick, and setting the clock back can
// make it go backwards).
//
// ReadDir cookies are the kernel's d_off values (on ext4 a hash of the name:
// stable, and still valid after other entries are removed); resumed with
// lseek on a fresh directory fd. A listing is usually many ReadDir calls in a
// row, each resuming where the last stopped: so the directory fd of a call
// that stopped before the end is kept, with the entries it had read from the
// kernel but not handed out, and the call resuming at that cookie continues
// from it (no open, lseek or re-read; on ext4 a fresh fd also rebuilds the
// hash-ordered view of the block) — but only if the directory's mtime and
// ctime are still those of when the listing stopped: after a change the call
// uses a fresh fd as before. At most kMaxDirStreams are kept (least recently
// stopped dropped first).
//
// Semantics kept equal to MemoryFileSystem where Linux leaves a choice:
// Read/Write of a directory kIsDir, of a special file kWrongType; ReadLink of
// a non-symlink kWrongType; Link of a directory kIsDir; symlink modes cannot
// change (ignored, as knfsd does). SetAttr applies chown, chmod, truncate and
// times in that order and is not atomic: a failure midway leaves the earlier
// steps done (everything that can be checked is checked first).
//
// Thread safety: all methods are thread-safe.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <string>

#include "vfs/vfs.h"

namespace elfs::backend {

struct LocalFileSystemOptions {
  // Most handles whose open fds are kept (each up to two fds).
  size_t max_cached_handles = 1024;
  // Most handles of listed entries kept for ReadDir (96 bytes of table
  // each, allocated as used: 12 MiB at most by default).
  size_t max_listed_handles = 128 * 1024;
};

class LocalFileSystem final : public vfs::FileSystem {
 public:
  using Options = LocalFileSystemOptions;
  // Longest ".." walk accepted when checking that a directory is in the export.
  static constexpr int kMaxDepth = 4096;
  // Directory fds of unfinished listings kept for the next ReadDir.
  static constexpr size_t kMaxDirStreams = 16;

  // Serves the directory root_dir (which must exist). Fails with
  // kNotSupported if its file system cannot make file handles.
  static Result<std::unique_ptr<LocalFileSystem>> Open(const std::string& root_dir,
                                                       Options options);
  ~LocalFileSystem() override;
  LocalFileSystem(const LocalFileSystem&) = delete;
  LocalFileSystem& operator=(const LocalFileSystem&) = delete;

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

  // Entries in the open-object cache now (for tests and metrics).
  size_t CachedHandles() const;

 private:
  struct Node;
  class NodeCache;
  struct Resolved;
  struct DirStream;
  class DirStreamCache;
  class ListedHandles;

  LocalFileSystem(int root_fd, const struct stat& root_st, uint32_t export_tag, Options options);

  Result<Resolved> Resolve(const vfs::Handle& h);
  Result<Resolved> ResolveDir(const vfs::Handle& h);
  Result<vfs::Handle> HandleOfFd(int fd) const;
  // The handle and attributes of `name` in the directory dfd, which a
  // listing showed with inode number listed_ino.
  Result<vfs::Entry> EntryAt(int dfd, const char* name, ino_t listed_ino) const;
  // Wraps a freshly opened fd (taking ownership) into an entry, caching it;
  // open_for_io: fd is an O_RDWR fd of a regular file, usable for I/O.
  Result<vfs::Entry> Adopt(int fd, bool open_for_io = false);
  bool UnderRoot(int dir_fd) const;
  Result<int> IoFd(Node& node);
  // Drops the cache entry of dir/name, if any (before it is unlinked).
  void Forget(int dir_fd, std::string_view name);

  const int root_fd_;  // O_RDONLY|O_DIRECTORY: also the mount fd for open_by_handle_at
  const dev_t root_dev_;
  const ino_t root_ino_;
  const uint32_t export_tag_;
  vfs::Handle root_handle_;
  std::shared_ptr<Node> root_node_;
  std::unique_ptr<NodeCache> cache_;
  std::unique_ptr<DirStreamCache> streams_;
  std::unique_ptr<ListedHandles> listed_;
};

}  // namespace elfs::backend
