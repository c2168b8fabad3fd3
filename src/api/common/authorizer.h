// The authorization seam. A service parses and validates its input, then asks
// the authorizer, naming the action, the resource ARN and the condition keys
// only it knows (aws:ResourceTag/..., aws:RequestTag/..., aws:TagKeys,
// elasticfilesystem:CreateAction ...). The gateway implements it with the
// policy engine and adds the global keys (aws:SourceIp, aws:SecureTransport,
// aws:CurrentTime, aws:PrincipalArn, aws:username ...) itself.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/common/error.h"
#include "api/common/principal.h"

namespace elfs::api {

using ConditionKeys = std::map<std::string, std::vector<std::string>>;

struct AuthzRequest {
  std::string action;    // "elasticfilesystem:CreateFileSystem", "iam:CreateUser", ...
  std::string resource;  // an ARN, or "*" for actions without resource-level permissions
  ConditionKeys context; // service-specific keys
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // OK, or AccessDenied/AccessDeniedException (403) naming the action and the
  // principal, formatted by the caller's protocol (the service maps `code`).
  virtual tl::expected<void, ApiError> Authorize(const CallContext& ctx, const AuthzRequest& req) = 0;
};

// For tests: allows everything and records what it was asked.
class RecordingAuthorizer final : public Authorizer {
 public:
  tl::expected<void, ApiError> Authorize(const CallContext&, const AuthzRequest& req) override {
    asked.push_back(req);
    if (deny_action == req.action) {
      return tl::unexpected<ApiError>(ApiError{403, "AccessDenied", "denied " + req.action});
    }
    return {};
  }
  std::vector<AuthzRequest> asked;
  std::string deny_action;  // deny exactly this action
};

}  // namespace elfs::api
