// Decisions and their explanations: the effect, the statements that matched,
// why the others did not, and a one-line reason for logs and AccessDenied
// messages.
//
// Thread safety: values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "iam/policy.h"

namespace elfs::iam {

enum class DecisionEffect { kAllow, kExplicitDeny, kImplicitDeny };
// IAM's EvalDecision spelling: "allowed", "explicitDeny", "implicitDeny".
std::string_view EvalDecisionName(DecisionEffect e);

// Where a statement lives.
struct StatementRef {
  std::string policy_label;  // the LabeledPolicy's label ("user/alice:inline/AllowEfs")
  bool resource_policy = false;
  std::string sid;
  size_t index = 0;          // position in the policy's Statement list
  Effect effect = Effect::kAllow;
  TextPosition start;        // in the policy document
  TextPosition end;
};

// Why a statement did not apply: the first element that failed.
struct StatementMismatch {
  enum class Element { kAction, kResource, kPrincipal, kCondition };
  StatementRef statement;
  Element element = Element::kAction;
  // For kCondition: the key and the operator as written.
  std::string condition_key;
  std::string condition_operator;
  bool key_missing = false;  // the condition key was absent from the request
  // "action elasticfilesystem:ClientWrite not in Action",
  // "condition aws:SecureTransport (Bool) did not match", ...
  std::string detail;
};

struct Decision {
  DecisionEffect effect = DecisionEffect::kImplicitDeny;
  // Every statement that applied (Allow and Deny), in evaluation order:
  // identity policies in PolicySet order, then the resource policy.
  std::vector<StatementRef> matched;
  std::vector<StatementMismatch> not_matched;
  // Condition keys (and policy variables) the policies used but the request
  // lacked, sorted, unique (IAM's MissingContextValues).
  std::vector<std::string> missing_context_values;
  // Why this effect, in words that fit after "because": "explicit Deny in ...",
  // "the account root user has full access to its own account's resources",
  // "cross-account access needs an Allow in both an identity-based and the
  // resource-based policy; no identity-based policy allows it", ...
  std::string basis;
  // The request that was decided (for Reason()).
  std::string action;
  std::string resource;
  std::string principal;
  // The evaluation read a volatile key (aws:CurrentTime ...): do not cache.
  bool time_dependent = false;

  bool allowed() const { return effect == DecisionEffect::kAllow; }
  // One line for logs and AccessDenied messages, e.g.
  // "arn:aws:iam::1:user/bob is not authorized to perform
  //  elasticfilesystem:ClientWrite on resource arn:...:file-system/fs-1
  //  because no identity-based or resource-based policy allows it"
  // or "... is not authorized ... with an explicit deny in a resource-based
  // policy (statement "DenyWrite", #0 of file-system-policy)".
  std::string Reason() const;
};

}  // namespace elfs::iam
