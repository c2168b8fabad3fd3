// A ClientPolicySource held in memory, for the tests of client authorization
// (authz and nfs4): file system policies, access keys with their principals
// and identity policies, access points. Counts reads, so tests can see when
// a decision was (re)computed.
//
// Thread safety: thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "authz/client_authorizer.h"

namespace elfs::authz::test {

inline constexpr const char* kAccount = "111122223333";
inline std::string FsArn(const std::string& fs) {
  return std::string("arn:aws:elasticfilesystem:us-east-1:") + kAccount + ":file-system/" + fs;
}
inline std::string ApArn(const std::string& ap) {
  return std::string("arn:aws:elasticfilesystem:us-east-1:") + kAccount + ":access-point/" + ap;
}

class FakePolicySource final : public ClientPolicySource {
 public:
  struct Key {
    ResolvedPrincipal principal;
    std::string session_token;
    bool active = true;
  };

  std::string FileSystemArn(const std::string& fs_id) override { return FsArn(fs_id); }
  std::optional<std::string> FileSystemPolicy(const std::string& fs_id) override {
    std::lock_guard lock(mu_);
    ++reads_;
    auto it = fs_policies_.find(fs_id);
    if (it == fs_policies_.end()) return std::nullopt;
    return it->second;
  }
  Result<ResolvedPrincipal> ResolveAccessKey(const std::string& akid,
                                             const std::string& token) override {
    std::lock_guard lock(mu_);
    auto it = keys_.find(akid);
    if (it == keys_.end()) return Err(Errc::kNotFound, "unknown access key");
    if (!it->second.active) return Err(Errc::kAccess, "the access key is inactive");
    if (it->second.session_token != token)
      return Err(Errc::kAccess, "the session token does not match the access key");
    return it->second.principal;
  }
  std::optional<AccessPointConfig> FindAccessPoint(const std::string& ap_id) override {
    std::lock_guard lock(mu_);
    auto it = aps_.find(ap_id);
    if (it == aps_.end()) return std::nullopt;
    return it->second;
  }

  void SetPolicy(const std::string& fs, std::string json) {
    std::lock_guard lock(mu_);
    fs_policies_[fs] = std::move(json);
  }
  void ClearPolicy(const std::string& fs) {
    std::lock_guard lock(mu_);
    fs_policies_.erase(fs);
  }
  // An IAM user "name" with access key `akid` and these identity policies.
  void AddUser(const std::string& akid, const std::string& name,
               std::vector<std::string> identity_policies = {}) {
    Key k;
    k.principal.principal = iam::Principal::User(kAccount, name, "AIDA" + name);
    for (size_t i = 0; i < identity_policies.size(); ++i)
      k.principal.identity_policies.push_back(
          {"user/" + name + ":inline/P" + std::to_string(i), identity_policies[i]});
    std::lock_guard lock(mu_);
    keys_[akid] = std::move(k);
  }
  void SetKey(const std::string& akid, Key k) {
    std::lock_guard lock(mu_);
    keys_[akid] = std::move(k);
  }
  void AddAccessPoint(AccessPointConfig ap) {
    if (ap.arn.empty()) ap.arn = ApArn(ap.id);
    std::lock_guard lock(mu_);
    aps_[ap.id] = std::move(ap);
  }
  int reads() const {
    std::lock_guard lock(mu_);
    return reads_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> fs_policies_;
  std::map<std::string, Key> keys_;
  std::map<std::string, AccessPointConfig> aps_;
  int reads_ = 0;
};

// A resource policy of statements (each a JSON object without braces).
inline std::string ResourcePolicy(std::initializer_list<std::string> statements) {
  std::string out = R"({"Version":"2012-10-17","Statement":[)";
  bool first = true;
  for (const auto& s : statements) {
    if (!first) out += ",";
    first = false;
    out += "{" + s + "}";
  }
  return out + "]}";
}

}  // namespace elfs::authz::test
