// Entry points for IAM's SimulatePrincipalPolicy / SimulateCustomPolicy and
// for EFS's PutFileSystemPolicy lockout safety check.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "iam/context.h"
#include "iam/evaluate.h"

namespace elfs::iam {

struct SimulationInput {
  PolicySet policies;
  // SimulatePrincipalPolicy: the principal whose policies are simulated.
  // SimulateCustomPolicy: CallerArn if given, else a user of the account
  // (anonymous principals ignore identity policies, see evaluate.h).
  Principal principal;
  std::vector<std::string> actions;
  std::vector<std::string> resources;  // empty: "*"
  ContextKeys keys;                    // ContextEntries
};

struct SimulationResult {
  std::string action;
  std::string resource;
  Decision decision;  // matched statements carry SourcePolicyId (policy_label)
                      // and Start/EndPosition; missing_context_values

  std::string_view eval_decision() const { return EvalDecisionName(decision.effect); }
};

// One result per (action, resource) pair, actions outer, resources inner.
std::vector<SimulationResult> Simulate(const SimulationInput& input);

// PutFileSystemPolicy's lockout check: evaluates
// elasticfilesystem:PutFileSystemPolicy on `request.resource` for
// `request.principal` with `new_policy` in place of the current file system
// policy (and the caller's identity policies from `caller_policies`). The
// request is safe iff the returned decision allows it; otherwise refuse with
// InvalidPolicyException unless BypassPolicyLockoutSafetyCheck is true.
Decision CheckPolicyLockout(const PolicySet& caller_policies, const LabeledPolicy& new_policy,
                            RequestContext request);

}  // namespace elfs::iam
