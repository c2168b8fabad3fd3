#include "nfs4/client_access.h"

#include <spdlog/spdlog.h>

#include "authz/access_point_root.h"
#include "nfs4/compound.h"

namespace elfs::nfs4 {

Result<vfs::Entry> AccessPointRoots::Get(uint32_t export_id, vfs::FileSystem& fs,
                                         const vfs::Handle& fs_root,
                                         const authz::AccessPointConfig& ap, uint64_t generation) {
  const auto key = std::make_pair(export_id, ap.id);
  {
    std::lock_guard lock(mu_);
    auto it = roots_.find(key);
    if (it != roots_.end() && it->second.generation == generation) return it->second.root;
  }
  // Outside the lock: creating the directories is backend I/O. Failures are
  // not cached, so a directory created later is found at the next mount.
  auto root = authz::ResolveAccessPointRoot(fs, fs_root, ap);
  if (!root) return root;
  std::lock_guard lock(mu_);
  roots_[key] = Cached{*root, generation};
  return root;
}

void ApplyClientDecision(CompoundState& cs, const authz::ClientDecision& d,
                         const authz::Identity& caller) {
  cs.who = d.Map(caller);
  if (!d.mountable()) {
    cs.mount_denied = true;
    return;
  }
  cs.read_only = !d.write;
  if (!d.access_point) return;
  auto root = cs.server.access_point_roots().Get(cs.exp.id, cs.fs(), cs.exp.root,
                                                 *d.access_point, d.generation);
  if (!root) {
    spdlog::warn("access point {} of {}: mount refused: {}", d.access_point->id, cs.exp.name,
                 root.error().message());
    cs.mount_denied = true;
    return;
  }
  cs.root = root->handle;
  // The fileid of the root is the jail tag; 0 is never a fileid of a
  // directory here, but keep the tag nonzero whatever the backend says.
  cs.jail = root->attr.fileid ? root->attr.fileid : ~uint64_t{0};
}

}  // namespace elfs::nfs4
