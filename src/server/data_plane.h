// NfsDataPlane: what the EFS API changes on the NFS side. A file system is a
// backend (DATA_DIR/fs/<fs-id>/ for the local one) exported by the NFSv4
// server under a number that is inside its file handles; a mount target is a
// listener at <ip>:<nfs port> bound to one export. Export numbers persist in
// DATA_DIR/state/exports.json (in cluster mode: in the shared store, the same
// on every node) and are never reused, so a handle of a deleted file system
// can never name a file of a new one.
//
// Network rules (SPEC §1.1, docs/network.md): every mount target listener
// asks a net::MountTargetGuard at accept time, before any byte is read, and
// refuses what the security groups, network ACLs or the privileged-port
// option do not allow; each decision goes to the audit log. When a network
// record (ec2/...), a mount target or its options change, a background
// thread re-checks the live connections of every mount target and closes
// those no longer allowed. Static listeners (the embedded default, --fs) are
// not mount targets: they accept every connection.
//
// Thread safety: thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/ip/tcp.hpp>

#include "api/common/audit_log.h"
#include "api/common/directory.h"
#include "net/certificate_authority.h"
#include "net/mount_target_guard.h"
#include "sigv4/sigv4.h"
#include "backend/ceph/ceph_file_system.h"
#include "nfs4/server.h"
#include "rpc/server.h"
#include "store/store.h"

namespace elfs::server {

class NfsDataPlane final : public api::DataPlane {
 public:
  struct Options {
    std::filesystem::path data_dir;
    std::string backend = "local";  // "local", "ceph" or "memory"
    uint16_t nfs_port = 2049;       // where mount targets listen
    // backend "ceph": each file system is the directory /<fs-id> of this
    // CephFS (root_path is set per file system).
    backend::CephFileSystemOptions ceph;
    // Cluster mode: export numbers come from this shared store
    // (server/cluster_state.h), the same on every node, instead of
    // DATA_DIR/state/exports.json. Must outlive the data plane.
    store::Store* shared_numbers = nullptr;
  };
  // `store` holds the network (ec2/...) the mount targets' rules come from;
  // store, nfs and rpc outlive the data plane.
  NfsDataPlane(Options options, nfs4::Nfs4Server& nfs, rpc::RpcServer& rpc, store::Store& store);
  ~NfsDataPlane() override;

  // Where connection decisions are recorded (null: spdlog only). `audit`
  // must outlive the data plane or be reset to null first.
  void SetAuditLog(api::AuditLog* audit);

  // TLS on the mount targets opened from now on (SPEC §1.2): plain RPC and
  // TLS on one port, RFC 9289 STARTTLS, certificates from `ca`, efs-utils
  // identities verified for `region` with `secrets` (thread-safe lookup).
  void SetTls(std::shared_ptr<net::CertificateAuthority> ca, std::string region,
              sigv4::SecretLookup secrets);

  // Exports fs_id (creating its storage if missing). Idempotent.
  Status Attach(std::string_view fs_id);
  // Serves fs_id at `at` outside the API's mount targets (the embedded
  // default and --fs flags). Returns the bound endpoint.
  Result<boost::asio::ip::tcp::endpoint> ServeAt(std::string_view fs_id,
                                                 const boost::asio::ip::tcp::endpoint& at);

  // api::DataPlane
  Status CreateStorage(std::string_view fs_id) override { return Attach(fs_id); }
  Status DeleteStorage(std::string_view fs_id) override;
  uint64_t MeteredSize(std::string_view fs_id) override;
  Status OpenMountTarget(std::string_view mount_target_id, std::string_view fs_id,
                         std::string_view ip) override;
  void CloseMountTarget(std::string_view mount_target_id) override;

 private:
  Result<const nfs4::Export*> ExportOf(std::string_view fs_id);
  // Static listeners pass no filter: they accept every connection.
  Result<boost::asio::ip::tcp::endpoint> Listen(
      const nfs4::Export& exp, const boost::asio::ip::tcp::endpoint& at,
      std::function<bool(const rpc::Connection&)> accept_filter = {},
      std::shared_ptr<const rpc::TlsOptions> tls = nullptr);
  Status SaveExportNumbers();
  void RecheckLoop();
  // Closes live connections of mount targets that the rules no longer allow.
  void RecheckConnections();

  // What the accept filters share (they may outlive this object inside the
  // RPC server until it stops).
  struct Network;
  struct MountTarget {
    boost::asio::ip::tcp::endpoint bound;
    std::string fs_id;
  };

  const Options options_;
  nfs4::Nfs4Server& nfs_;
  rpc::RpcServer& rpc_;
  std::mutex mu_;
  std::map<std::string, uint32_t, std::less<>> numbers_;                    // guarded by mu_
  std::map<std::string, const nfs4::Export*, std::less<>> exports_;         // guarded by mu_
  std::map<std::string, MountTarget, std::less<>> mount_targets_;  // guarded by mu_
  struct Metered {
    uint64_t bytes = 0;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, Metered, std::less<>> metered_;  // guarded by mu_
  std::shared_ptr<Network> network_;
  std::shared_ptr<net::CertificateAuthority> tls_ca_;  // guarded by mu_
  std::string tls_region_;                            // guarded by mu_
  sigv4::SecretLookup tls_secrets_;                   // guarded by mu_
  std::thread recheck_;  // runs RecheckLoop until network_ says stop
};

// Bytes a directory tree occupies: allocated blocks of every entry below the
// root (files, directories, symlinks), as EFS meters stored data.
uint64_t MeterTree(const std::filesystem::path& root);

}  // namespace elfs::server
