// Policy documents: the parsed form and the parser/validator.
//
// ParsePolicy validates a document as IAM does and answers an invalid one
// with Errc::kInvalid and a message that says what and where, e.g.
//   "Statement[2].Condition: unknown operator StringEqualz"
//   "Statement[0]: Principal is not allowed in an identity-based policy"
// The API layer maps that to MalformedPolicyDocument (IAM) or
// InvalidPolicyException (EFS).
//
// Rules by policy type:
//                      Principal/NotPrincipal   Resource/NotResource   Sid charset
//   kIdentity          forbidden                required               [A-Za-z0-9]
//   kResource (EFS)    required                 required               [A-Za-z0-9 ._-]
//   kTrust (role)      required                 forbidden              [A-Za-z0-9]
// Always: Version "2012-10-17" or "2008-10-17" (absent = 2008-10-17, which
// disables policy variables), optional Id, Statement object or non-empty
// array, Effect "Allow"/"Deny", exactly one of Action/NotAction, unique Sids,
// no unknown fields, element names case-sensitive.
//
// Size limits (characters, whitespace not counted, as IAM counts them):
//   kIdentity 6,144 (IAM's managed policy limit; the API layer enforces the
//                    smaller aggregate limits for inline policies itself),
//   kResource 20,000 (EFS file system policy),
//   kTrust    2,048 (IAM's default role trust policy limit).
// A document is also refused above kMaxPolicyBytes raw bytes, whitespace
// included, so padding cannot make parsing expensive.
//
// Thread safety: a Policy is an immutable value after parsing; share it as
// std::shared_ptr<const Policy> between threads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "iam/condition.h"
#include "iam/principal.h"

namespace elfs::iam {

enum class PolicyType { kIdentity, kResource, kTrust };

inline constexpr size_t kMaxIdentityPolicyChars = 6144;
inline constexpr size_t kMaxResourcePolicyChars = 20000;
inline constexpr size_t kMaxTrustPolicyChars = 2048;
inline constexpr size_t kMaxPolicyBytes = 131072;

size_t MaxPolicyChars(PolicyType type);
std::string_view PolicyTypeName(PolicyType type);  // "identity-based", ...

inline constexpr std::string_view kVersion2012 = "2012-10-17";
inline constexpr std::string_view kVersion2008 = "2008-10-17";

enum class Effect { kAllow, kDeny };
std::string_view EffectName(Effect e);  // "Allow" / "Deny"

// 1-based line and column of a character in the document.
struct TextPosition {
  int line = 0;
  int column = 0;
};

struct Statement {
  std::string sid;  // may be empty
  Effect effect = Effect::kAllow;

  bool has_principal = false;      // Principal or NotPrincipal present
  bool not_principal = false;      // it is NotPrincipal
  PrincipalElement principal;

  bool not_action = false;
  std::vector<std::string> actions;

  bool has_resource = false;       // Resource or NotResource present
  bool not_resource = false;
  std::vector<std::string> resources;  // as written

  std::vector<ConditionClause> conditions;

  // Where the statement's object starts and ends in the document (for
  // SimulatePrincipalPolicy's StartPosition / EndPosition).
  TextPosition start;
  TextPosition end;
};

struct Policy {
  PolicyType type = PolicyType::kIdentity;
  std::string version;  // "2012-10-17" or "2008-10-17"
  std::string id;
  std::vector<Statement> statements;

  bool variables_enabled() const { return version == kVersion2012; }
};

// Parses and validates `json` as a policy of the given type.
Result<Policy> ParsePolicy(std::string_view json, PolicyType type);

// The same, shared.
Result<std::shared_ptr<const Policy>> ParseSharedPolicy(std::string_view json, PolicyType type);

// Size of the document as IAM counts it (whitespace outside strings not
// counted).
size_t PolicyCharCount(std::string_view json);

}  // namespace elfs::iam
