// ClientPolicySource over the daemon's services: the EFS service answers
// file system ARNs, file system policies and access points; the IAM
// credential directory answers access keys, their principals and identity
// policies. The NFS data plane's ClientAuthorizer reads through it.
//
// Thread safety: thread-safe (the services are).
#pragma once

#include "api/common/directory.h"
#include "api/efs/efs_service.h"
#include "authz/client_authorizer.h"
#include "common/clock.h"

namespace elfs::server {

class ClientPolicySourceAdapter final : public authz::ClientPolicySource {
 public:
  // All three outlive the adapter.
  ClientPolicySourceAdapter(api::CredentialDirectory& credentials, api::efs::EfsService& efs,
                            const Clock& clock)
      : credentials_(credentials), efs_(efs), clock_(clock) {}

  std::string FileSystemArn(const std::string& fs_id) override;
  std::optional<std::string> FileSystemPolicy(const std::string& fs_id) override;
  Result<authz::ResolvedPrincipal> ResolveAccessKey(const std::string& access_key_id,
                                                    const std::string& session_token) override;
  std::optional<authz::AccessPointConfig> FindAccessPoint(const std::string& ap_id) override;

 private:
  api::CredentialDirectory& credentials_;
  api::efs::EfsService& efs_;
  const Clock& clock_;
};

}  // namespace elfs::server
