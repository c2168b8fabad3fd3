// Client authorization on the NFS data plane (SPEC §1.3, §1.4, §5): the IAM
// decisions of one connection — elasticfilesystem:ClientMount, ClientWrite,
// ClientRootAccess — and the POSIX identity mapping they imply (root squash,
// an access point's PosixUser).
//
// A decision is a function of the connection's facts (file system, source
// address, TLS, the efs-utils identity: access key, session token, access
// point) and of the stored policies. It is computed once and cached by those
// facts, so every connection of the same client shares it, and every
// COMPOUND of a connection only looks it up. Invalidate() (the daemon calls
// it on every store change of IAM or EFS data) moves a generation counter;
// the next lookup of a connection re-evaluates, so a policy change reaches
// existing connections at their next request. Decisions that read a
// time-dependent key (aws:CurrentTime...) or that rest on session
// credentials with an expiry are re-evaluated when they may have changed.
//
// The NFS layer depends only on this file: where policies, keys and access
// points come from is behind ClientPolicySource (the daemon implements it
// over the EFS and IAM services, see server/client_policy_source.h).
//
// Thread safety: ClientAuthorizer is thread-safe; ClientDecision is an
// immutable value shared between threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "authz/posix.h"
#include "common/clock.h"
#include "common/status.h"
#include "iam/evaluate.h"

namespace elfs::authz {

inline constexpr uint32_t kNobodyId = 65534;  // the squashed uid and gid

// An access point as the data plane needs it.
struct AccessPointConfig {
  std::string id;   // fsap-...
  std::string arn;  // elasticfilesystem:AccessPointArn
  std::string file_system_id;
  struct PosixUser {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> secondary_gids;
  };
  std::optional<PosixUser> posix_user;
  std::string root_path = "/";  // absolute
  struct CreationInfo {
    uint32_t owner_uid = 0;
    uint32_t owner_gid = 0;
    uint32_t permissions = 0;  // mode bits (07777)
  };
  std::optional<CreationInfo> creation_info;
};

// The principal an access key authenticates, with its identity policies.
struct ResolvedPrincipal {
  iam::Principal principal;
  struct PolicyText {
    std::string label;  // "user/alice:inline/AllowEfs"
    std::string json;
  };
  std::vector<PolicyText> identity_policies;
  // An assumed-role session's own policy: the session gets the intersection.
  std::optional<PolicyText> session_policy;
  // Session credentials stop working at this time (epoch seconds).
  std::optional<int64_t> expires;
};

// Where the authorizer reads stored state. Implementations must be
// thread-safe; they are called only when a decision is (re)computed.
class ClientPolicySource {
 public:
  virtual ~ClientPolicySource() = default;
  // arn:aws:elasticfilesystem:<region>:<account>:file-system/<fs_id>.
  virtual std::string FileSystemArn(const std::string& fs_id) = 0;
  // The file system policy document, or nullopt when none is set (then the
  // default policy applies).
  virtual std::optional<std::string> FileSystemPolicy(const std::string& fs_id) = 0;
  // The principal of an access key. kNotFound for an unknown key, kAccess for
  // an inactive key, a session token that does not match, or an expired
  // session (the message says which).
  virtual Result<ResolvedPrincipal> ResolveAccessKey(const std::string& access_key_id,
                                                     const std::string& session_token) = 0;
  virtual std::optional<AccessPointConfig> FindAccessPoint(const std::string& ap_id) = 0;
};

// What the data plane knows of a connection (SPEC §5's connection context).
struct ConnectionFacts {
  std::string file_system_id;  // the file system the mount target serves
  std::string source_ip;       // aws:SourceIp
  bool tls = false;            // aws:SecureTransport
  // From a verified efs-utils client certificate; empty = anonymous.
  std::string access_key_id;
  std::string session_token;
  std::string access_point_id;  // only with TLS
  // The file system the certificate names, if any.
  std::string certificate_file_system_id;
};

// The outcome for one connection.
struct ClientDecision {
  ConnectionFacts facts;
  // Empty when the connection may mount; else why not, as one line
  // ("access point fsap-... not found", "...not authorized to perform
  // elasticfilesystem:ClientMount...").
  std::string refused;
  // Which layer refused: "identity", "access-point", "iam" (empty if none).
  std::string refused_layer;
  iam::Principal principal;
  std::optional<AccessPointConfig> access_point;
  bool mount = false, write = false, root = false;
  // The three evaluations (null when the identity or access point layer
  // refused before IAM was asked).
  std::shared_ptr<const iam::Decision> mount_decision, write_decision, root_decision;
  uint64_t generation = 0;
  // Re-evaluate after this wall-clock time (epoch seconds): the earliest of
  // a session's expiry and, for time-dependent decisions, a short horizon.
  std::optional<int64_t> valid_until;

  bool mountable() const { return refused.empty() && mount; }
  // The identity an AUTH_SYS caller runs as on this connection: the access
  // point's PosixUser if it has one, else the caller's; then root squash
  // (uid 0 -> 65534, gid 0 -> 65534, supplementary 0 -> 65534) unless
  // ClientRootAccess is allowed.
  Identity Map(const Identity& caller) const;
  // A multi-line, layer-by-layer account: principal, access point, each
  // action with the statements that matched, and the POSIX mapping.
  std::string Explain() const;
  // The same as JSON (for `elfs explain --output json` and audit details):
  // {"file_system","source_ip","tls","principal","access_key_id",
  //  "access_point","refused_layer","refused","mount","write","root",
  //  "actions":{"ClientMount":{"decision","basis","matched":[{"policy",
  //  "sid","index","effect"}]},...},"posix":{"root_uid","root_gid",
  //  "access_point_user"}}
  nlohmann::json ToJson() const;
};

// Applies root squash to `id` (see ClientDecision::Map).
Identity Squash(Identity id);

class ClientAuthorizer {
 public:
  // `source` and `clock` must outlive the authorizer.
  ClientAuthorizer(ClientPolicySource& source, const Clock& clock);

  // The decision for a connection: cached by the facts until the generation
  // moves or it expires.
  std::shared_ptr<const ClientDecision> ForConnection(const ConnectionFacts& facts);
  // A fresh evaluation, never cached (explain, tests).
  std::shared_ptr<const ClientDecision> Decide(const ConnectionFacts& facts);

  // A stored policy, key, user, file system or access point changed.
  void Invalidate();
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // Called once for every freshly computed decision of ForConnection (the
  // daemon sends it to the audit log). Set before serving.
  void SetDecisionObserver(std::function<void(const ClientDecision&)> observer);

 private:
  std::shared_ptr<const iam::Policy> Parsed(const std::string& json, iam::PolicyType type,
                                            std::string* error);

  ClientPolicySource& source_;
  const Clock& clock_;
  std::atomic<uint64_t> generation_{1};
  std::function<void(const ClientDecision&)> observer_;
  std::mutex mu_;
  // Facts key -> decision, all of one generation (cleared when it moves).
  std::map<std::string, std::shared_ptr<const ClientDecision>> cache_;  // guarded by mu_
  uint64_t cache_generation_ = 0;                                      // guarded by mu_
  std::map<std::string, std::shared_ptr<const iam::Policy>> parsed_;   // guarded by mu_
};

}  // namespace elfs::authz
