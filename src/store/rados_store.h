// RadosStore: the store interface on a Ceph cluster (librados), so that
// several elfs nodes share one service state (issue 8, cluster mode).
//
// Layout: one RADOS object (`object` in `pool`, optionally in a namespace)
// holds every record in its omap, key "<kind>\x01<id>", value the version
// (8 bytes, little endian) followed by the record's value; the object's xattr
// "elfs.seq" counts commits. A commit reads the sequence and the versions of
// the keys it touches, checks the expectations, and writes all its changes
// in one RADOS write operation guarded by "the sequence is still the one I
// read" (cmpxattr) that also advances the sequence. One operation on one
// object is atomic in RADOS, so a transaction is all or nothing; a commit
// that lost the race to another node re-reads and tries again, and fails
// with kConflict only when an expectation is false. Every commit is then
// announced with a RADOS notify on the object carrying the changed keys;
// every store watching it (other processes, other nodes) calls its watchers.
// docs/ceph.md explains the choice.
//
// Thread safety: thread-safe. Watchers run on the committing thread for this
// store's own commits and on a librados thread for other stores' commits.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "store/store.h"

namespace elfs::store {

struct RadosStoreOptions {
  std::string conf_path;            // ceph.conf; empty: librados's default search
  std::string client_id = "admin";  // cephx id (client.<id>); needs osd rw on the pool
  std::string pool = "elfs";        // made (replicas as the cluster's default) when absent
  std::string object = "elfs-state";
  std::string nspace;               // RADOS namespace within the pool; empty: the default
};

// Connects, makes the pool and the object if needed, and starts watching.
// Errors: kUnavailable when the cluster cannot be reached, kAccess when the
// key is refused, kIo otherwise.
Result<std::unique_ptr<Store>> OpenRadosStore(const RadosStoreOptions& options);

}  // namespace elfs::store
