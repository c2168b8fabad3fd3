// Principals: who makes a request (iam::Principal, the descriptor the
// evaluator reads) and whom a policy's Principal / NotPrincipal element
// names (PrincipalElement).
//
// iam::Principal is deliberately not api::Principal: the policy engine sits
// below the API layer (which converts its principal into this one).
//
// Matching, as AWS defines it for resource-based and trust policies:
//   "*" or {"AWS": "*"}           every principal, anonymous included;
//   {"AWS": "123456789012"} or
//   {"AWS": "arn:aws:iam::123456789012:root"}
//                                 every principal of that account (its root,
//                                 users, role sessions), never anonymous;
//   {"AWS": "arn:aws:iam::A:user/path/name"}   that user;
//   {"AWS": "arn:aws:iam::A:role/path/name"}   every session of that role;
//   {"AWS": "arn:aws:sts::A:assumed-role/R/S"} that session;
//   {"Service": "x.amazonaws.com"}             that service principal;
//   {"Federated": ...}, {"CanonicalUser": ...} accepted, match nobody here
//                                 (elfs has no such principals).
// Partial wildcards ("arn:aws:iam::1:user/*") are rejected at parse time, as
// IAM rejects them.
//
// Thread safety: values; const methods are safe from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace elfs::iam {

// The caller of a request, as the evaluator sees it.
struct Principal {
  enum class Kind { kAnonymous, kAccountRoot, kUser, kAssumedRole, kService };
  Kind kind = Kind::kAnonymous;
  std::string account;    // 12 digits; empty for anonymous and services
  // arn:aws:iam::<acct>:root | arn:aws:iam::<acct>:user/<path><name> |
  // arn:aws:sts::<acct>:assumed-role/<role>/<session>; empty for anonymous;
  // the service name ("elasticfilesystem.amazonaws.com") for a service.
  std::string arn;
  std::string role_arn;   // kAssumedRole: arn:aws:iam::<acct>:role/<path><name>
  // aws:userid: the account id for root, AIDA... for a user,
  // "AROA...:<session>" for a role session.
  std::string user_id;
  std::string user_name;  // aws:username (users only, as in AWS)
  std::map<std::string, std::string> tags;  // aws:PrincipalTag/<key>

  // Convenience constructors (ARNs built in the aws partition).
  static Principal Anonymous();
  static Principal AccountRoot(std::string account);
  static Principal User(std::string account, std::string name, std::string user_id,
                        std::string path = "/");
  static Principal AssumedRole(std::string account, std::string role_name,
                               std::string session_name, std::string role_unique_id,
                               std::string role_path = "/");
  static Principal Service(std::string service);

  bool anonymous() const { return kind == Kind::kAnonymous; }
  // "arn:aws:iam::1:user/alice", "anonymous", "elasticfilesystem.amazonaws.com".
  std::string Describe() const;
  // aws:PrincipalType: "Anonymous", "Account", "User", "AssumedRole", "Service".
  std::string_view TypeName() const;
};

// One entry of a Principal / NotPrincipal element.
struct PrincipalEntry {
  enum class Kind { kAny, kAws, kService, kFederated, kCanonicalUser };
  Kind kind = Kind::kAny;
  std::string value;  // as written; for kAws a bare account id is kept as is
};

// How a Principal element names a caller. AWS treats the two positive cases
// differently in a resource-based policy of the caller's own account: naming
// the caller (its ARN, its role's ARN, or "*") grants access by itself, while
// naming the account (id or root ARN) delegates to the account, so an
// identity-based policy must allow too.
enum class PrincipalMatch { kNone, kAccount, kDirect };

// A Principal or NotPrincipal element: "*" or {"AWS": [...], "Service": ...}.
struct PrincipalElement {
  std::vector<PrincipalEntry> entries;

  // True if `who` is one of the principals this element names (see the file
  // comment for the rules).
  bool Matches(const Principal& who) const;
  // The same, telling a direct match from an account-only one (a direct
  // match wins when both apply). The account root user matched through its
  // account is a direct match: it is the account.
  PrincipalMatch Match(const Principal& who) const;
  // NotPrincipal: true if the statement applies to `who`, i.e. `who` is NOT
  // excluded. As IAM evaluates it, a principal is excluded only if every
  // identity it acts as is listed: a user's ARN and its account; a role
  // session's ARN, its role's ARN and its account; root's account.
  bool NotPrincipalApplies(const Principal& who) const;
};

// Validates and adds one "AWS"/"Service"/... value. `where` prefixes errors.
Status AddPrincipalValue(PrincipalEntry::Kind kind, std::string_view value,
                         std::string_view where, PrincipalElement& out);

// "123456789012" (12 digits)?
bool IsAccountId(std::string_view s);

}  // namespace elfs::iam
