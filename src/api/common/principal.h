// Who is calling and from where: built once per request by the gateway
// (SigV4) or once per connection by the data plane (TLS client certificate),
// then read by services, the policy engine and the audit log.
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace elfs::api {

struct Principal {
  enum class Kind { kAnonymous, kRoot, kUser, kAssumedRole };
  Kind kind = Kind::kAnonymous;
  std::string account;  // 12 digits; empty for anonymous
  // arn:aws:iam::<acct>:root | arn:aws:iam::<acct>:user/<path><name> |
  // arn:aws:sts::<acct>:assumed-role/<role>/<session>
  std::string arn;
  // aws:userid: the account id for root, the user's unique id (AIDA...) for a
  // user, "<role unique id AROA...>:<session>" for an assumed role.
  std::string user_id;
  std::string name;          // user name; role name for an assumed role
  std::string role_arn;      // assumed role: arn:aws:iam::<acct>:role/<path><name>
  std::string session_name;  // assumed role
  std::string access_key_id; // the key that signed the request, if any
  std::map<std::string, std::string> tags;  // aws:PrincipalTag/<k>

  bool anonymous() const { return kind == Kind::kAnonymous; }
};

struct CallContext {
  Principal principal;
  std::string source_ip;
  bool secure_transport = false;
  std::string region;      // the server's region (e.g. us-east-1)
  std::string request_id;  // a UUID, echoed as x-amzn-RequestId / RequestId
  std::chrono::system_clock::time_point now;
};

}  // namespace elfs::api
