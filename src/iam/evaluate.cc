// AWS policy evaluation logic; see evaluate.h for the rules implemented.
#include "iam/evaluate.h"

#include <algorithm>
#include <utility>

#include "iam/action.h"
#include "iam/resource.h"
#include "iam/variables.h"
#include "iam/wildcard.h"

namespace elfs::iam {
namespace {

// What one policy contributed.
struct PolicyOutcome {
  bool allow = false;          // an Allow that names the caller (or "*")
  bool account_allow = false;  // an Allow that names only the caller's account
  bool deny = false;
  std::string first_deny;  // "statement "Sid" (#i) of label"
};

std::string DescribeStatement(const StatementRef& s) {
  std::string out = "statement ";
  if (!s.sid.empty()) out += "\"" + s.sid + "\" ";
  out += "#" + std::to_string(s.index) + " of " + s.policy_label;
  return out;
}

bool ActionApplies(const Statement& st, std::string_view action) {
  bool any = false;
  for (const auto& a : st.actions) {
    if (ActionMatches(a, action)) {
      any = true;
      break;
    }
  }
  return st.not_action ? !any : any;
}

// Resource / NotResource. A value whose variable cannot be expanded matches
// nothing; for NotResource such a value makes the statement not apply (the
// element "does not match", never "matches by default").
bool ResourceApplies(const Statement& st, bool variables, const RequestContext& req,
                     std::vector<std::string>& missing, bool& time_dependent) {
  if (!st.has_resource) return true;  // trust policies
  bool any = false, unresolved = false;
  for (const auto& r : st.resources) {
    bool m;
    if (variables && HasVariables(r)) {
      for (const auto& k : VariableKeys(r)) time_dependent = time_dependent || IsVolatileKey(k);
      auto e = ExpandVariables(r, req, ExpandMode::kWildcard, &missing);
      if (!e) {
        unresolved = true;
        continue;
      }
      m = ArnMatches(*e, req.resource);
    } else if (r.find('\\') != std::string::npos) {
      m = ArnMatches(EscapeLiteralBackslashes(r), req.resource);
    } else {
      m = ArnMatches(r, req.resource);
    }
    if (m) {
      any = true;
      break;
    }
  }
  if (st.not_resource) return !any && !unresolved;
  return any;
}

void EvaluatePolicy(const LabeledPolicy& lp, bool is_resource, const RequestContext& req,
                    Decision& d, PolicyOutcome& out) {
  if (!lp.policy) return;
  const Policy& policy = *lp.policy;
  const bool variables = policy.variables_enabled();
  for (size_t i = 0; i < policy.statements.size(); ++i) {
    const Statement& st = policy.statements[i];
    StatementRef ref{lp.label, is_resource, st.sid, i, st.effect, st.start, st.end};
    StatementMismatch mm;
    bool applies = true;
    PrincipalMatch principal_match = PrincipalMatch::kDirect;  // identity policies name no principal
    if (!ActionApplies(st, req.action)) {
      applies = false;
      mm.element = StatementMismatch::Element::kAction;
      mm.detail = "action " + req.action + (st.not_action ? " is in NotAction" : " not in Action");
    } else if (!ResourceApplies(st, variables, req, d.missing_context_values, d.time_dependent)) {
      applies = false;
      mm.element = StatementMismatch::Element::kResource;
      mm.detail = "resource " + req.resource +
                  (st.not_resource ? " is in NotResource" : " not in Resource");
    } else if (st.has_principal &&
               (principal_match = st.not_principal
                                      ? (st.principal.NotPrincipalApplies(req.principal)
                                             ? PrincipalMatch::kDirect
                                             : PrincipalMatch::kNone)
                                      : st.principal.Match(req.principal)) ==
                   PrincipalMatch::kNone) {
      applies = false;
      mm.element = StatementMismatch::Element::kPrincipal;
      mm.detail = "principal " + req.principal.Describe() +
                  (st.not_principal ? " is in NotPrincipal" : " not in Principal");
    } else {
      for (const auto& clause : st.conditions) {
        ConditionOutcome c = EvaluateCondition(clause, variables, req, &d.missing_context_values);
        if (c.volatile_key) d.time_dependent = true;
        if (!c.holds) {
          applies = false;
          mm.element = StatementMismatch::Element::kCondition;
          mm.condition_key = clause.key;
          mm.condition_operator = clause.op.name;
          mm.key_missing = c.key_missing;
          mm.detail = "condition " + clause.key + " (" + clause.op.name + ") did not match" +
                      (c.key_missing ? " (key not in request)" : "");
          break;
        }
      }
    }
    if (applies) {
      if (st.effect == Effect::kDeny) {
        if (!out.deny) out.first_deny = DescribeStatement(ref);
        out.deny = true;
      } else if (principal_match == PrincipalMatch::kAccount) {
        out.account_allow = true;
      } else {
        out.allow = true;
      }
      d.matched.push_back(std::move(ref));
    } else {
      mm.statement = std::move(ref);
      d.not_matched.push_back(std::move(mm));
    }
  }
}

bool IsOwnRoot(const Principal& p) { return p.kind == Principal::Kind::kAccountRoot; }

// Rules 1-7 of evaluate.h; Evaluate adds the session policy (rule 8).
Decision EvaluatePolicies(const PolicySet& set, const RequestContext& req) {
  Decision d;
  d.action = req.action;
  d.resource = req.resource;
  d.principal = req.principal.Describe();

  const Principal& who = req.principal;
  const bool no_identity = who.kind == Principal::Kind::kAnonymous ||
                           who.kind == Principal::Kind::kService;

  PolicyOutcome identity, resource;
  if (!no_identity) {
    for (const auto& lp : set.identity) EvaluatePolicy(lp, false, req, d, identity);
  }
  if (set.resource) EvaluatePolicy(*set.resource, true, req, d, resource);

  std::sort(d.missing_context_values.begin(), d.missing_context_values.end());
  d.missing_context_values.erase(
      std::unique(d.missing_context_values.begin(), d.missing_context_values.end()),
      d.missing_context_values.end());

  if (identity.deny || resource.deny) {
    d.effect = DecisionEffect::kExplicitDeny;
    d.basis = std::string("with an explicit deny in ") +
              (identity.deny ? "an identity-based policy (" + identity.first_deny + ")"
                             : "a resource-based policy (" + resource.first_deny + ")");
    return d;
  }
  const bool trust = set.resource && set.resource->policy &&
                     set.resource->policy->type == PolicyType::kTrust;
  const bool same_account = set.resource_account.empty() || who.account == set.resource_account;

  if (IsOwnRoot(who) && same_account && !trust) {
    d.effect = DecisionEffect::kAllow;
    d.basis = "the account root user has full access to its own account's resources";
    return d;
  }
  if (no_identity) {
    if (resource.allow) {
      d.effect = DecisionEffect::kAllow;
      d.basis = "a resource-based policy allows it";
    } else {
      d.effect = DecisionEffect::kImplicitDeny;
      d.basis = set.resource ? "no resource-based policy allows it"
                             : "no resource-based policy applies";
    }
    return d;
  }
  if (same_account) {
    if (identity.allow || resource.allow) {
      d.effect = DecisionEffect::kAllow;
      d.basis = identity.allow ? "an identity-based policy allows it"
                               : "a resource-based policy allows it";
    } else if (resource.account_allow) {
      // AWS: a resource-based policy that names the account (not the caller)
      // delegates to the account's identity-based policies.
      d.effect = DecisionEffect::kImplicitDeny;
      d.basis = "the resource-based policy allows the account, not the principal, and no "
                "identity-based policy allows it";
    } else {
      d.effect = DecisionEffect::kImplicitDeny;
      d.basis = set.resource ? "no identity-based or resource-based policy allows it"
                             : "no identity-based policy allows it";
    }
    return d;
  }
  // Cross-account: the principal's account and the resource's both must allow.
  const bool own_side = identity.allow || IsOwnRoot(who);
  const bool resource_side = resource.allow || resource.account_allow;
  if (own_side && resource_side) {
    d.effect = DecisionEffect::kAllow;
    d.basis = "cross-account access allowed by both an identity-based and the resource-based policy";
    return d;
  }
  d.effect = DecisionEffect::kImplicitDeny;
  if (!own_side && !resource_side) {
    d.basis = "cross-account access needs an Allow in both an identity-based and the "
              "resource-based policy; neither allows it";
  } else if (!own_side) {
    d.basis = "cross-account access needs an Allow in both an identity-based and the "
              "resource-based policy; no identity-based policy allows it";
  } else {
    d.basis = "cross-account access needs an Allow in both an identity-based and the "
              "resource-based policy; no resource-based policy allows it";
  }
  return d;
}

}  // namespace

Decision Evaluate(const PolicySet& set, const RequestContext& req) {
  Decision decision = EvaluatePolicies(set, req);
  if (!set.session || decision.effect == DecisionEffect::kExplicitDeny) return decision;
  Decision limited;
  if (set.session->policy) {
    PolicySet session_set;
    session_set.resource_account = set.resource_account;
    session_set.identity.push_back(*set.session);
    limited = EvaluatePolicies(session_set, req);
  } else {
    limited = decision;  // a session policy that cannot be read allows nothing
    limited.effect = DecisionEffect::kImplicitDeny;
  }
  if (limited.allowed() ||
      (!decision.allowed() && limited.effect != DecisionEffect::kExplicitDeny)) {
    return decision;
  }
  if (limited.effect != DecisionEffect::kExplicitDeny)
    limited.basis = "the session policy does not allow it";
  return limited;
}

const std::shared_ptr<const Policy>& DefaultEfsFileSystemPolicy() {
  // EFS's behaviour without a file system policy, written as a policy so that
  // decisions and explanations treat it like any other.
  static const std::shared_ptr<const Policy> kPolicy = [] {
    constexpr std::string_view kJson = R"({
  "Version": "2012-10-17",
  "Id": "efs-default-file-system-policy",
  "Statement": [{
    "Sid": "efs-default-client-access",
    "Effect": "Allow",
    "Principal": {"AWS": "*"},
    "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite",
               "elasticfilesystem:ClientRootAccess"],
    "Resource": "*",
    "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}
  }]
})";
    auto p = ParseSharedPolicy(kJson, PolicyType::kResource);
    // The text above is a constant; a failure is a bug caught by the tests.
    return p ? *p : std::make_shared<const Policy>();
  }();
  return kPolicy;
}

LabeledPolicy DefaultEfsResourcePolicy() {
  return LabeledPolicy{std::string(kDefaultEfsPolicyLabel), DefaultEfsFileSystemPolicy()};
}

}  // namespace elfs::iam
