// ControlPlane: the management API of elfsd, wired. One store, the IAM
// directory and the EFS, IAM, STS and EC2 services over it, the policy
// authorizer, the gateway (SigV4, routing, audit) and the HTTP server.
// EFS changes reach the NFS side through the DataPlane it is given.
//
// First start creates the account (its id from the config or random, then
// kept in the store) and its root access key, written to
// DATA_DIR/secrets/root-credentials (0600, AWS shared-credentials format).
//
// Thread safety: Start/Stop from one thread; the rest is the services'.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "api/common/audit_log.h"
#include <nlohmann/json.hpp>

#include "api/common/directory.h"
#include "authz/client_authorizer.h"
#include "common/status.h"
#include "server/config.h"
#include "store/store.h"

namespace elfs::server {

class ControlPlane {
 public:
  // `store` and `data_plane` outlive the control plane.
  static Result<std::unique_ptr<ControlPlane>> Create(const Config& config, store::Store& store,
                                                      api::DataPlane& data_plane);
  ~ControlPlane();

  // Re-opens the listeners of every mount target in the store, then serves
  // the API at config.api_listen (if set).
  Status Start();
  void Stop();

  // The embedded default file system (creation token "elfs-default"),
  // created with `adopt_id` (if not empty) on first start.
  Result<std::string> EnsureDefaultFileSystem(const std::string& adopt_id);
  // A file system named by --fs: an API object with that id.
  Result<std::string> EnsureStaticFileSystem(const std::string& fs_id);
  bool OwnsFileSystem(const std::string& fs_id) const;

  // The audit log (DATA_DIR/logs/audit.jsonl); the data plane writes its
  // connection decisions there too.
  api::AuditLog& audit_log() const;
  // The NFS data plane's client authorization over this control plane's
  // file system policies, access points, keys and identity policies;
  // invalidated on every store change of IAM or EFS data.
  authz::ClientAuthorizer& client_authorizer() const;
  // "Could this client, from this address, with these credentials, mount
  // this file system and write as root?" — answered layer by layer (network,
  // transport, identity and IAM, POSIX mapping) from the current state, as a
  // JSON object. The TLS client certificate's signature is assumed valid: the
  // question is what its identity may do.
  struct ExplainRequest {
    std::string mount_target_id;
    std::string source_ip;
    uint16_t source_port = 40000;
    bool tls = false;
    std::string access_key_id;
    std::string access_point_id;
  };
  Result<nlohmann::json> Explain(const ExplainRequest& request) const;

  const std::string& account_id() const;
  uint16_t api_port() const;  // 0 when the API is off
  // Where the root credentials are, and whether this start created them.
  const std::filesystem::path& root_credentials_file() const;
  bool created_root_credentials() const;

  struct Impl;

 private:
  explicit ControlPlane(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace elfs::server
