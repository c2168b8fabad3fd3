// Simulation and the lockout check; see simulate.h.
#include "iam/simulate.h"

#include <utility>

namespace elfs::iam {

std::vector<SimulationResult> Simulate(const SimulationInput& in) {
  std::vector<SimulationResult> out;
  static const std::vector<std::string> kAny = {"*"};
  const auto& resources = in.resources.empty() ? kAny : in.resources;
  out.reserve(in.actions.size() * resources.size());
  RequestContext req;
  req.principal = in.principal;
  req.keys = in.keys;
  for (const auto& action : in.actions) {
    for (const auto& resource : resources) {
      req.action = action;
      req.resource = resource;
      out.push_back(SimulationResult{action, resource, Evaluate(in.policies, req)});
    }
  }
  return out;
}

Decision CheckPolicyLockout(const PolicySet& caller_policies, const LabeledPolicy& new_policy,
                            RequestContext request) {
  PolicySet set;
  set.identity = caller_policies.identity;
  set.resource = new_policy;
  set.resource_account = caller_policies.resource_account;
  request.action = "elasticfilesystem:PutFileSystemPolicy";
  return Evaluate(set, request);
}

}  // namespace elfs::iam
