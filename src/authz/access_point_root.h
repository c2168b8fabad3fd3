// An access point's root directory (SPEC §1.4): the directory a client of the
// access point sees as `/`, found by walking RootDirectory.Path from the file
// system's root, and created on first use when the access point has
// CreationInfo (missing parents too, each owned by CreationInfo's uid:gid
// with its permissions, as EFS does). Existing directories are used as they
// are: their owner and mode are never touched.
//
// Thread safety: a pure function of the backend; concurrent first mounts
// race only on Create, and the loser uses what the winner created.
#pragma once

#include "authz/client_authorizer.h"
#include "common/status.h"
#include "vfs/vfs.h"

namespace elfs::authz {

// The root of `ap` in `fs`, whose root directory is `fs_root`.
// kNotFound when a component is missing and the access point has no
// CreationInfo; kNotDir when a component is not a directory (symlinks are
// not followed); kInvalid for a path with "." or ".." components or a
// relative path; backend errors as they come.
Result<vfs::Entry> ResolveAccessPointRoot(vfs::FileSystem& fs, const vfs::Handle& fs_root,
                                          const AccessPointConfig& ap);

}  // namespace elfs::authz
