// CephFileSystem: a vfs::FileSystem on CephFS, through libcephfs's low-level
// API (ceph_ll_*, Inode references), in the manner of NFS-Ganesha's FSAL_CEPH.
// Several elfs nodes mounting the same CephFS see the same files; a handle
// made on one node resolves on every other (issue 8).
//
// Identity. Like every backend it acts with full privilege (vfs.h): authz/
// decides permissions above it. Every libcephfs call is made with one root
// UserPerm (uid 0, gid 0) and the client's own permission checks are off
// (client_permissions = false); owners come from the request: Create makes
// the object as root and then sets req.uid, req.gid and exactly req.mode in
// one setattr (a second one if Ceph cleared set-id bits on the chown).
//
// Handles. 30 bytes, resolvable by any node of the cluster:
//   [0]      'C'
//   [1]      format 1
//   [2..5]   export tag: FNV-1a of the file system id (fscid) and the inode
//            number of the export root (little endian)
//   [6..13]  Ceph inode number
//   [14..21] birth time seconds, [22..25] nanoseconds: a generation, so
//            that a reused inode number never names another object
//   [26..29] FNV-1a of bytes 0..25: a damaged handle is kBadHandle
// Resolved with ceph_ll_lookup_inode (the client's cache, else the MDS), so a
// fresh mount resolves any handle. An object whose link count is zero (it
// was removed while still cached or open) or that the MDS no longer knows is
// kStale; a handle of another export or file system is kStale. As with the
// local backend, a non-root handle is not checked to lie under the export
// root: handles reach us only through the NFS layer, which MACs them.
//
// Data. Writes go through the client's object cache (client_oc_size bytes,
// configurable); kDataSync and kFileSync writes and Commit are made durable
// with ceph_ll_fsync / ceph_ll_sync_inode before returning, so an
// acknowledged stable write survives the loss of this node. Open files are
// kept in a bounded cache of libcephfs file handles (Fh), dropped when their
// name is removed.
//
// Attributes: fileid = Ceph inode number; change = Ceph's change attribute
// (stx_version); space_used = 512-byte blocks as Ceph reports them. ReadDir
// cookies are Ceph's directory offsets (ceph_telldir), hash-ordered and so
// still valid after other entries are removed.
//
// Semantics kept equal to the memory and local backends where Linux leaves a
// choice (see local_file_system.h). Thread safety: all methods are
// thread-safe (libcephfs serialises on its client lock).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vfs/vfs.h"

struct ceph_mount_info;
struct Inode;
struct UserPerm;

namespace elfs::backend {

struct CephFileSystemOptions {
  // ceph.conf to read; empty = libcephfs's default search (CEPH_CONF, /etc/ceph).
  std::string conf_path;
  // Cephx client id (client.<id>), e.g. "admin".
  std::string client_id = "admin";
  // CephFS to mount; empty = the cluster's default file system.
  std::string fs_name;
  // Directory inside the CephFS served as the export root; it must exist.
  std::string root_path = "/";
  // Bytes of the client's object (write-back) cache; 0 = Ceph's default.
  uint64_t client_oc_size = 0;
  // Most open files (libcephfs Fh) kept between reads and writes.
  size_t max_open_files = 256;
  // Further settings passed to ceph_conf_set before mounting.
  std::vector<std::pair<std::string, std::string>> conf;
  // A name of this client that stays the same across restarts (the node
  // and the export), unique in the cluster; empty: none. When set, Open
  // first resets the MDS session of an earlier client with that name (this
  // node before a crash), so that its capabilities and locks are released
  // at once instead of when its session times out, then mounts under the
  // name (libcephfs session reclaim, as NFS-Ganesha's FSAL_CEPH does).
  std::string reclaim_uuid;
};

class CephFileSystem final : public vfs::FileSystem {
 public:
  using Options = CephFileSystemOptions;

  // Mounts the CephFS. kNotFound if root_path does not exist, kUnavailable
  // if the cluster cannot be reached, kInvalid for bad settings.
  static Result<std::unique_ptr<CephFileSystem>> Open(const Options& options);
  // Unmounts cleanly (an unclean exit makes the MDS wait for this client's
  // session to time out before other clients get its capabilities).
  ~CephFileSystem() override;
  CephFileSystem(const CephFileSystem&) = delete;
  CephFileSystem& operator=(const CephFileSystem&) = delete;

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

  // Open files cached now (for tests).
  size_t OpenFiles() const;

 private:
  class Ref;
  class OpenFiles_;
  struct Resolved;

  CephFileSystem(ceph_mount_info* cmount, UserPerm* root_perm, Inode* root, uint64_t root_ino,
                 uint32_t export_tag, const Options& options);

  Result<Resolved> Resolve(const vfs::Handle& h);
  Result<Resolved> ResolveDir(const vfs::Handle& h);
  // Takes a reference from libcephfs and its statx into an entry.
  Result<vfs::Entry> EntryOf(Inode* in, const void* stx);
  Result<vfs::Attr> AttrOfInode(Inode* in);
  vfs::Handle MakeHandle(uint64_t ino, int64_t btime_sec, uint32_t btime_nsec) const;
  // Applies a raw setattr; returns the statx after.
  Status SetAttrRaw(Inode* in, void* stx, int mask);

  ceph_mount_info* const cmount_;
  UserPerm* const perm_;
  Inode* const root_;
  const uint64_t root_ino_;
  const uint32_t export_tag_;
  vfs::Handle root_handle_;
  std::unique_ptr<OpenFiles_> open_;
};

}  // namespace elfs::backend
