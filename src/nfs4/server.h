// Nfs4Server: what every NFSv4 connection shares — the exported file
// systems, protocol state, the file-handle codec and the write verifier.
// One Nfs4Program (program.h) per listener binds a connection to one export,
// as an EFS mount target serves one file system.
//
// Thread safety: thread-safe. Exports come and go while serving (file systems
// created and deleted through the API); an Export object lives as long as
// the server, so a Program bound to one never dangles.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "authz/client_authorizer.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "nfs4/client_access.h"
#include "nfs4/drc.h"
#include "nfs4/file_handle.h"
#include "nfs4/state/state_manager.h"
#include "store/store.h"
#include "vfs/vfs.h"

namespace elfs::nfs4 {

struct Export {
  uint32_t id = 0;  // the fs_id inside file handles
  std::string name;
  std::shared_ptr<vfs::FileSystem> fs;
  vfs::Handle root;
  uint64_t root_fileid = 0;
  // fsid attribute (RFC 8881 section 5.8.1.9): unique per export.
  uint64_t fsid_major = 0, fsid_minor = 0;
};

struct Nfs4Options {
  state::StateOptions state;
  // Where client records persist across restarts (RFC 8881 section 8.4.2.1:
  // the server must remember which clients may reclaim). Not owned; null
  // keeps them in memory only.
  store::Store* store = nullptr;
  // The highest minor version a COMPOUND may name; above it the answer is
  // NFS4ERR_MINOR_VERS_MISMATCH. EFS serves 4.0 and 4.1; 2 is an opt-in.
  uint32_t max_minor_version = 1;
};

class Nfs4Server {
 public:
  Nfs4Server(Nfs4Options options, const Clock& clock, Random& random,
             std::span<const uint8_t, FileHandleCodec::kKeySize> fh_key);

  // `id` must be unique and stable across restarts (it is inside every file
  // handle).
  Result<const Export*> AddExport(uint32_t id, std::string name, std::shared_ptr<vfs::FileSystem> fs);
  // Only the live exports; a removed one stays allocated (see above).
  const Export* FindExport(uint32_t id) const;
  void RemoveExport(uint32_t id);

  state::StateManager& state() { return state_; }
  const FileHandleCodec& fh_codec() const { return fh_codec_; }
  DuplicateRequestCache& drc() { return drc_; }
  // Client authorization (IAM decisions per connection, root squash, access
  // points). Not owned; null (the default) serves every client without IAM
  // checks, as AUTH_SYS sends it (the protocol's unit tests). The daemon
  // sets it once, before serving, when its control plane exists.
  void SetClientAuthorizer(authz::ClientAuthorizer* a) {
    authorizer_.store(a, std::memory_order_release);
  }
  authz::ClientAuthorizer* authorizer() const { return authorizer_.load(std::memory_order_acquire); }
  AccessPointRoots& access_point_roots() { return ap_roots_; }
  // Changes on every start, so clients detect lost unstable writes
  // (RFC 8881 section 18.32.3).
  const std::array<uint8_t, 8>& write_verifier() const { return write_verifier_; }
  const Clock& clock() const { return clock_; }
  uint32_t max_minor_version() const { return options_.max_minor_version; }
  uint32_t lease_seconds() const {
    return static_cast<uint32_t>(options_.state.lease_time.count());
  }

 private:
  const Nfs4Options options_;
  const Clock& clock_;
  state::StateManager state_;
  FileHandleCodec fh_codec_;
  std::array<uint8_t, 8> write_verifier_{};
  DuplicateRequestCache drc_;
  AccessPointRoots ap_roots_;
  std::atomic<authz::ClientAuthorizer*> authorizer_{nullptr};
  mutable std::mutex exports_mu_;
  std::vector<std::unique_ptr<Export>> exports_;  // guarded by exports_mu_
  std::vector<std::unique_ptr<Export>> removed_;  // guarded by exports_mu_
};

}  // namespace elfs::nfs4
