// A CredentialDirectory held in memory, for the gateway's tests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/common/directory.h"

namespace elfs::api::testing {

inline constexpr char kAccount[] = "123456789012";

inline Principal User(const std::string& name) {
  Principal p;
  p.kind = Principal::Kind::kUser;
  p.account = kAccount;
  p.arn = std::string("arn:aws:iam::") + kAccount + ":user/" + name;
  p.user_id = "AIDA" + name;
  p.name = name;
  return p;
}

inline Principal Session(const std::string& role, const std::string& session, const std::string& akid) {
  Principal p;
  p.kind = Principal::Kind::kAssumedRole;
  p.account = kAccount;
  p.arn = std::string("arn:aws:sts::") + kAccount + ":assumed-role/" + role + "/" + session;
  p.role_arn = std::string("arn:aws:iam::") + kAccount + ":role/" + role;
  p.user_id = "AROA" + role + ":" + session;
  p.name = role;
  p.session_name = session;
  p.access_key_id = akid;
  return p;
}

class FakeCredentials final : public CredentialDirectory {
 public:
  std::optional<AccessKey> FindAccessKey(std::string_view id) override {
    auto it = keys.find(std::string(id));
    if (it == keys.end()) return std::nullopt;
    return it->second;
  }
  std::vector<PolicyDocument> IdentityPolicies(const Principal& p) override {
    auto it = policies.find(p.kind == Principal::Kind::kAssumedRole ? p.role_arn : p.arn);
    return it == policies.end() ? std::vector<PolicyDocument>{} : it->second;
  }
  std::map<std::string, AccessKey> keys;
  std::map<std::string, std::vector<PolicyDocument>> policies;  // by user or role ARN
};

}  // namespace elfs::api::testing
