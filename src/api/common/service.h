// One API of the endpoint (elasticfilesystem, iam, sts, ec2). The gateway
// authenticates the request, then hands it to the service whose SigV4 signing
// name matches the credential scope.
#pragma once

#include <string>
#include <string_view>

#include "api/common/authorizer.h"
#include "api/common/principal.h"
#include "http/message.h"

namespace elfs::api {

struct Outcome {
  http::Response response;  // complete, in the service's protocol (JSON or XML)
  // For the audit log:
  std::string action;      // "CreateFileSystem"; empty when the operation was not recognized
  std::string resource;    // ARN or id of what was acted on, if any
  std::string error_code;  // empty on success
};

class Service {
 public:
  virtual ~Service() = default;
  virtual std::string_view SigningName() const = 0;
  virtual Outcome Handle(const CallContext& ctx, const http::Request& req, Authorizer& authz) = 0;
};

}  // namespace elfs::api
