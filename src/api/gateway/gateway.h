// The API endpoint's front door (SPEC §5, API path): HTTP request → SigV4
// (who is calling) → the service named by the credential scope → the
// service validates, authorizes through the Authorizer, commits → audit →
// reply. Authentication failures are answered here, in the protocol of the
// service the caller addressed (REST-JSON for elasticfilesystem, Query XML
// for iam/sts, EC2's XML for ec2), with the codes AWS uses.
//
// Thread safety: Handle() is thread-safe; AddService() before serving.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "api/common/audit_log.h"
#include "api/common/authorizer.h"
#include "api/common/directory.h"
#include "api/common/service.h"
#include "common/clock.h"
#include "common/random.h"
#include "http/message.h"

namespace elfs::api {

class Gateway {
 public:
  struct Options {
    std::string region = "us-east-1";
    // AWS accepts header signatures up to 15 minutes off.
    std::chrono::seconds max_clock_skew = std::chrono::minutes(15);
  };

  Gateway(Options options, CredentialDirectory& credentials, Authorizer& authorizer,
          AuditLog& audit, const Clock& clock, Random& random);

  // REQUIRES: before the first Handle().
  void AddService(Service& service);

  http::Response Handle(const http::Request& request, const http::Peer& peer);

 private:
  const Options options_;
  CredentialDirectory& credentials_;
  Authorizer& authorizer_;
  AuditLog& audit_;
  const Clock& clock_;
  Random& random_;
  std::map<std::string, Service*, std::less<>> services_;
};

// The error reply of `service`'s protocol ("elasticfilesystem" REST-JSON,
// "iam"/"sts" Query XML, "ec2" EC2 XML; anything else REST-JSON).
http::Response ErrorResponse(std::string_view service, const ApiError& error,
                             std::string_view request_id);

}  // namespace elfs::api
