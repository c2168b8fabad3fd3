// The IAM data of one account — users, groups, roles, access keys, inline and
// managed policies, STS sessions — kept in the store under kinds "iam/...",
// and the credential lookups the gateway and the data plane need
// (api::CredentialDirectory). IamService and StsService share one instance.
//
// Store layout (values are JSON; ids of named entities are the lowercased
// name, because IAM names are unique regardless of case and found regardless
// of case):
//   iam/account     <account id>     {"root_key": AKID, "created": epoch}
//   iam/user        <lower name>     name, path, id, created, tags, groups
//                                    (lower group names), inline, attached
//   iam/group       <lower name>     name, path, id, created, inline, attached
//   iam/role        <lower name>     name, path, id, created, trust, description,
//                                    max_session, tags, inline, attached
//   iam/policy      <lower name>     managed policy with its versions
//   iam/access-key  <AKID>           user (lower name, "" = account root), secret,
//                                    status, created
//   iam/session     <ASIA id>        STS session credentials
// Every change is one store transaction with compare-and-swap on the versions
// of the records it read, so the store's Watch() sees every change (the
// gateway invalidates its decision cache there).
//
// Thread safety: thread-safe. Readers read the store directly; writers
// serialize on write_mutex() (held by the services around an operation) and
// the store's compare-and-swap catches writers in other processes.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/common/directory.h"
#include "api/common/error.h"
#include "common/random.h"
#include "store/store.h"

namespace elfs::api::iam {

using TimePoint = std::chrono::system_clock::time_point;

struct Tag {
  std::string key;
  std::string value;
};

// name -> document (as given by the caller, already form-decoded)
using InlinePolicies = std::map<std::string, std::string>;

struct UserRecord {
  std::string name, path, id;
  TimePoint created;
  std::vector<Tag> tags;
  std::vector<std::string> groups;    // lowercased group names
  InlinePolicies inline_policies;
  std::vector<std::string> attached;  // managed policy ARNs
  uint64_t version = 0;               // store version; 0 = not stored yet
};

struct GroupRecord {
  std::string name, path, id;
  TimePoint created;
  InlinePolicies inline_policies;
  std::vector<std::string> attached;
  uint64_t version = 0;
};

struct RoleRecord {
  std::string name, path, id;
  TimePoint created;
  std::string trust_policy;
  std::string description;
  int max_session_duration = 3600;
  std::vector<Tag> tags;
  InlinePolicies inline_policies;
  std::vector<std::string> attached;
  uint64_t version = 0;
};

struct PolicyVersionRecord {
  std::string version_id;  // "v1"
  std::string document;
  TimePoint created;
};

struct ManagedPolicyRecord {
  std::string name, path, id;
  std::string description;
  TimePoint created, updated;
  std::string default_version;
  int next_version = 1;
  std::vector<PolicyVersionRecord> versions;  // oldest first
  std::vector<Tag> tags;
  uint64_t version = 0;
};

struct AccessKeyRecord {
  std::string access_key_id;
  std::string user;       // lowercased user name; "" = the account root
  std::string user_name;  // as created
  std::string secret;
  bool active = true;
  TimePoint created;
  uint64_t version = 0;
};

struct SessionRecord {
  std::string access_key_id;  // ASIA...
  std::string secret;
  std::string token;
  TimePoint expires;
  // The principal the session acts as: kAssumedRole (role fields set) or the
  // user / root that called GetSessionToken.
  Principal::Kind kind = Principal::Kind::kAssumedRole;
  std::string role;  // lowercased role name
  std::string role_name, role_path, role_id, session_name;
  std::string user;  // GetSessionToken by a user: lowercased user name
  std::string session_policy;  // AssumeRole's Policy, "" when none
  std::vector<Tag> session_tags;
  uint64_t version = 0;
};

struct RootCredentials {
  std::string access_key_id;
  std::string secret;  // never logged
};

// One identity policy with where it comes from, for the gateway
// (PolicyDocument::source) and the simulator (SourcePolicyId/Type).
struct SourcedPolicy {
  std::string label;        // "user/alice:inline/AllowEfs", "arn:...:policy/P (v2)"
  std::string source_id;    // SimulatePrincipalPolicy's SourcePolicyId: the policy name
  std::string source_type;  // "user", "group", "role", "user-managed"
  std::string document;
};

class IamDirectory final : public CredentialDirectory {
 public:
  // account_id: 12 digits. random: ids, secrets and session tokens.
  IamDirectory(store::Store& store, std::string account_id, Random& random);

  const std::string& account() const { return account_; }
  store::Store& store() { return store_; }
  Random& random() { return random_; }
  std::mutex& write_mutex() { return write_mu_; }

  // First start: creates the account's root access key and returns it (the
  // daemon writes it 0600 and prints an `aws configure` hint). Afterwards:
  // nullopt, nothing changes. Store failures are returned.
  Result<std::optional<RootCredentials>> EnsureAccount();

  // CredentialDirectory. Inactive user keys are returned with active=false;
  // session keys with their token and expiry (the caller checks both).
  std::optional<AccessKey> FindAccessKey(std::string_view access_key_id) override;
  std::vector<PolicyDocument> IdentityPolicies(const Principal& principal) override;

  // The same policies with their sources.
  std::vector<SourcedPolicy> PoliciesOfUser(const UserRecord& user);
  std::vector<SourcedPolicy> PoliciesOfGroup(const GroupRecord& group);
  std::vector<SourcedPolicy> PoliciesOfRole(const RoleRecord& role);
  // AssumeRole's session policy for a session principal, if it has one: the
  // effective permissions are the intersection of this and the role's
  // policies (the gateway must evaluate both).
  std::optional<std::string> SessionPolicy(const Principal& principal);

  // ARNs.
  std::string UserArn(std::string_view path, std::string_view name) const;
  std::string GroupArn(std::string_view path, std::string_view name) const;
  std::string RoleArn(std::string_view path, std::string_view name) const;
  std::string PolicyArn(std::string_view path, std::string_view name) const;
  std::string RootArn() const;
  // "arn:aws:iam::<acct>:policy/<path><name>" -> lowercased name, or
  // nullopt if it is not a policy ARN of this account.
  std::optional<std::string> PolicyKeyFromArn(std::string_view arn) const;

  // Typed reads. Store failures become ApiErrors (500).
  ApiResult<std::optional<UserRecord>> GetUser(std::string_view name);
  ApiResult<std::optional<GroupRecord>> GetGroup(std::string_view name);
  ApiResult<std::optional<RoleRecord>> GetRole(std::string_view name);
  ApiResult<std::optional<ManagedPolicyRecord>> GetPolicy(std::string_view arn);
  ApiResult<std::optional<AccessKeyRecord>> GetAccessKey(std::string_view id);
  ApiResult<std::optional<SessionRecord>> GetSession(std::string_view id);
  ApiResult<std::vector<UserRecord>> ListUsers();
  ApiResult<std::vector<GroupRecord>> ListGroups();
  ApiResult<std::vector<RoleRecord>> ListRoles();
  ApiResult<std::vector<ManagedPolicyRecord>> ListPolicies();
  ApiResult<std::vector<AccessKeyRecord>> ListAccessKeys();
  ApiResult<std::vector<SessionRecord>> ListSessions();

  // Adds writes to a transaction, with compare-and-swap on record.version
  // (0: must not exist yet).
  void Put(store::Transaction& txn, const UserRecord& r);
  void Put(store::Transaction& txn, const GroupRecord& r);
  void Put(store::Transaction& txn, const RoleRecord& r);
  void Put(store::Transaction& txn, const ManagedPolicyRecord& r);
  void Put(store::Transaction& txn, const AccessKeyRecord& r);
  void Put(store::Transaction& txn, const SessionRecord& r);
  void Delete(store::Transaction& txn, const UserRecord& r);
  void Delete(store::Transaction& txn, const GroupRecord& r);
  void Delete(store::Transaction& txn, const RoleRecord& r);
  void Delete(store::Transaction& txn, const ManagedPolicyRecord& r);
  void Delete(store::Transaction& txn, const AccessKeyRecord& r);
  void Delete(store::Transaction& txn, const SessionRecord& r);
  // Commits; a lost compare-and-swap is IAM's ConcurrentModification (409).
  ApiResult<void> Commit(const store::Transaction& txn);

 private:
  std::optional<Principal> PrincipalForKey(const AccessKeyRecord& key);

  store::Store& store_;
  std::string account_;
  Random& random_;
  std::mutex write_mu_;
};

// Lowercase ASCII (IAM names are ASCII by pattern).
std::string Lower(std::string_view s);

inline constexpr std::string_view kUserKind = "iam/user";
inline constexpr std::string_view kGroupKind = "iam/group";
inline constexpr std::string_view kRoleKind = "iam/role";
inline constexpr std::string_view kPolicyKind = "iam/policy";
inline constexpr std::string_view kAccessKeyKind = "iam/access-key";
inline constexpr std::string_view kSessionKind = "iam/session";
inline constexpr std::string_view kAccountKind = "iam/account";

}  // namespace elfs::api::iam
