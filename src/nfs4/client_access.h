// The connection context of SPEC §5 applied to one COMPOUND: the client
// authorization decision of the connection (authz/client_authorizer.h) turns
// into what the operations see — the mapped identity (access point PosixUser,
// root squash), the mount refusal, the read-only flag, and an access point's
// root as the client's `/` with its jail. Done once per COMPOUND, before the
// first operation; no handler reads a policy.
//
// Thread safety: AccessPointRoots is thread-safe; ApplyClientDecision works
// on one request's CompoundState.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "authz/client_authorizer.h"
#include "common/status.h"
#include "vfs/vfs.h"

namespace elfs::nfs4 {

struct CompoundState;

// Access point roots found (or created) once per authorizer generation:
// the first connection of an access point resolves its RootDirectory, the
// others reuse the handle until a store change moves the generation.
class AccessPointRoots {
 public:
  Result<vfs::Entry> Get(uint32_t export_id, vfs::FileSystem& fs, const vfs::Handle& fs_root,
                         const authz::AccessPointConfig& ap, uint64_t generation);

 private:
  struct Cached {
    vfs::Entry root;
    uint64_t generation = 0;
  };
  std::mutex mu_;
  std::map<std::pair<uint32_t, std::string>, Cached> roots_;  // guarded by mu_
};

// Sets cs.who from the AUTH_SYS `caller` as the decision maps it, and
// cs.mount_denied / read_only / root / jail. An access point whose root
// cannot be found or created refuses the mount (logged).
void ApplyClientDecision(CompoundState& cs, const authz::ClientDecision& d,
                         const authz::Identity& caller);

}  // namespace elfs::nfs4
