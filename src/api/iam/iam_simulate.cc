// SimulatePrincipalPolicy and SimulateCustomPolicy: the policy engine's
// Simulate() with IAM's inputs and IAM's EvaluationResult output (decision,
// matched statements with their source policy and position, missing context
// values). Permissions boundaries do not exist in elfs: boundary inputs are
// refused rather than ignored.
#include <map>

#include <fmt/format.h>

#include "api/iam/iam_entity.h"
#include "api/iam/policy_check.h"
#include "iam/simulate.h"

namespace elfs::api::iam {
namespace {

namespace engine = elfs::iam;

struct Source {
  std::string id;
  std::string type;
};

struct Simulation {
  engine::SimulationInput input;
  std::map<std::string, Source> sources;  // policy label -> SourcePolicyId/Type
};

ApiResult<void> AddPolicy(Simulation& sim, std::string label, Source source,
                          std::string_view document, engine::PolicyType type, bool resource) {
  auto parsed = engine::ParseSharedPolicy(document, type);
  if (!parsed) {
    return Fail(InvalidInput(fmt::format("{}: {}", source.id, parsed.error().message())));
  }
  sim.sources[label] = std::move(source);
  if (resource) {
    sim.input.policies.resource = engine::LabeledPolicy{std::move(label), std::move(*parsed)};
  } else {
    sim.input.policies.identity.push_back({std::move(label), std::move(*parsed)});
  }
  return {};
}

// The inputs both operations share: extra policies, actions, resources,
// resource policy and owner, context entries.
ApiResult<void> CommonInputs(Op& op, Simulation& sim) {
  if (!op.q.Indices("PermissionsBoundaryPolicyInputList.member").empty()) {
    return Fail(InvalidInput("Permissions boundaries are not supported by this service."));
  }
  auto inputs = op.q.List("PolicyInputList.member");
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string id = fmt::format("PolicyInputList.{}", i + 1);
    if (!Matches(Pattern::kPolicyDocument, inputs[i]) || inputs[i].size() > 131072) {
      return Fail(ConstraintError("policyInputList", inputs[i],
                                  fmt::format("Member must satisfy regular expression pattern: {}",
                                              PatternText(Pattern::kPolicyDocument))));
    }
    if (auto ok = AddPolicy(sim, id, {id, "none"}, inputs[i], engine::PolicyType::kIdentity, false);
        !ok) {
      return ok;
    }
  }
  auto actions = op.q.List("ActionNames.member");
  if (actions.empty()) {
    return Fail(ValidationError(
        "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: "
        "Member must not be null"));
  }
  for (const auto& a : actions) {
    if (a.size() < 3 || a.size() > 128) {
      return Fail(ConstraintError("actionNames", a,
                                  "Member must have length between 3 and 128"));
    }
  }
  sim.input.actions = actions;
  auto resources = op.q.List("ResourceArns.member");
  for (const auto& r : resources) {
    if (r.empty() || r.size() > 2048) {
      return Fail(ConstraintError("resourceArns", r, "Member must have length between 1 and 2048"));
    }
  }
  sim.input.resources = resources;
  auto resource_policy = GetString(op.q, {"ResourcePolicy", "resourcePolicy", 1, 131072,
                                          Pattern::kPolicyDocument},
                                   false);
  if (!resource_policy) return Fail(resource_policy.error());
  if (*resource_policy) {
    if (auto ok = AddPolicy(sim, "ResourcePolicy", {"ResourcePolicy", "resource"},
                            **resource_policy, engine::PolicyType::kResource, true);
        !ok) {
      return ok;
    }
  }
  auto owner = GetString(op.q, {"ResourceOwner", "resourceOwner", 1, 2048}, false);
  if (!owner) return Fail(owner.error());
  sim.input.policies.resource_account = op.dir.account();
  if (*owner) {
    // An account id or an account ARN (arn:aws:iam::<acct>:root).
    std::string acct = **owner;
    if (acct.rfind("arn:aws:iam::", 0) == 0) acct = acct.substr(13, 12);
    if (!engine::IsAccountId(acct)) {
      return Fail(InvalidInput(fmt::format("Invalid ResourceOwner {}.", **owner)));
    }
    sim.input.policies.resource_account = acct;
  }
  static constexpr std::string_view kTypes[] = {
      "string", "stringList", "numeric", "numericList", "boolean", "booleanList",
      "ip",     "ipList",     "binary",  "binaryList",  "date",    "dateList"};
  for (int n : op.q.Indices("ContextEntries.member")) {
    std::string prefix = fmt::format("ContextEntries.member.{}.", n);
    const std::string* name = op.q.Get(prefix + "ContextKeyName");
    const std::string* type = op.q.Get(prefix + "ContextKeyType");
    if (!name || name->size() < 5 || name->size() > 256) {
      return Fail(InvalidInput(fmt::format("Context entry {} needs a ContextKeyName of 5 to 256 "
                                           "characters.",
                                           n)));
    }
    if (type && std::find(std::begin(kTypes), std::end(kTypes), *type) == std::end(kTypes)) {
      return Fail(ConstraintError("contextKeyType", *type,
                                  "Member must satisfy enum value set: [string, stringList, "
                                  "numeric, numericList, boolean, booleanList, ip, ipList, "
                                  "binary, binaryList, date, dateList]"));
    }
    sim.input.keys[*name] = op.q.List(prefix + "ContextKeyValues.member");
  }
  return {};
}

void WritePosition(XmlWriter& w, std::string_view name, const engine::TextPosition& p) {
  w.Open(name)
      .Leaf("Line", std::to_string(p.line))
      .Leaf("Column", std::to_string(p.column))
      .Close();
}

ApiResult<void> RunAndWrite(Op& op, Simulation& sim) {
  auto results = engine::Simulate(sim.input);
  std::vector<std::string> keys;
  for (size_t i = 0; i < results.size(); ++i) keys.push_back(fmt::format("{:06}", i));
  auto page = Paginate(op.q, keys);
  if (!page) return Fail(page.error());
  op.out.Open("EvaluationResults");
  for (size_t i = page->begin; i < page->end; ++i) {
    const auto& r = results[i];
    op.out.Open("member")
        .Leaf("EvalActionName", r.action)
        .Leaf("EvalResourceName", r.resource)
        .Leaf("EvalDecision", r.eval_decision());
    op.out.Open("MatchedStatements");
    for (const auto& m : r.decision.matched) {
      auto it = sim.sources.find(m.policy_label);
      Source src = it != sim.sources.end() ? it->second : Source{m.policy_label, "none"};
      op.out.Open("member").Leaf("SourcePolicyId", src.id).Leaf("SourcePolicyType", src.type);
      WritePosition(op.out, "StartPosition", m.start);
      WritePosition(op.out, "EndPosition", m.end);
      op.out.Close();
    }
    op.out.Close().Open("MissingContextValues");
    for (const auto& k : r.decision.missing_context_values) op.out.Leaf("member", k);
    op.out.Close();
    // Which kind of policy decided, as IAM reports it.
    op.out.Open("EvalDecisionDetails");
    if (sim.input.policies.resource) {
      bool resource_matched = false;
      for (const auto& m : r.decision.matched) resource_matched |= m.resource_policy;
      op.out.Open("entry")
          .Leaf("key", "Resource Policy")
          .Leaf("value", resource_matched ? r.eval_decision() : std::string_view("implicitDeny"))
          .Close();
    }
    op.out.Close();
    op.out.Close();
  }
  op.out.Close();
  WritePageTail(op.out, *page);
  return {};
}

void AddSourced(Simulation& sim, std::vector<SourcedPolicy>& policies, ApiResult<void>& status) {
  for (auto& p : policies) {
    if (!status) return;
    status = AddPolicy(sim, p.label, {p.source_id, p.source_type}, p.document,
                       engine::PolicyType::kIdentity, false);
  }
}

}  // namespace

ApiResult<void> SimulatePrincipalPolicy(Op& op) {
  auto source = RequireString(op.q, {"PolicySourceArn", "policySourceArn", 20, 2048});
  if (!source) return Fail(source.error());
  if (auto ok = op.Authorize("iam:SimulatePrincipalPolicy", *source); !ok) return ok;
  Simulation sim;
  std::string prefix = "arn:aws:iam::" + op.dir.account() + ":";
  if (source->rfind(prefix, 0) != 0) {
    return Fail(InvalidInput(fmt::format("Invalid PolicySourceArn {}.", *source)));
  }
  std::string rest = source->substr(prefix.size());
  std::string kind = rest.substr(0, rest.find('/'));
  std::string name = rest.substr(rest.rfind('/') + 1);
  ApiResult<void> status;
  if (kind == "user") {
    auto user = op.dir.GetUser(name);
    if (!user) return Fail(user.error());
    if (!*user || op.dir.UserArn((*user)->path, (*user)->name) != *source) {
      return Fail(NoSuchEntity(fmt::format("The user with name {} cannot be found.", name)));
    }
    auto policies = op.dir.PoliciesOfUser(**user);
    AddSourced(sim, policies, status);
    sim.input.principal =
        engine::Principal::User(op.dir.account(), (*user)->name, (*user)->id, (*user)->path);
    for (const auto& t : (*user)->tags) sim.input.principal.tags[t.key] = t.value;
  } else if (kind == "group") {
    auto group = op.dir.GetGroup(name);
    if (!group) return Fail(group.error());
    if (!*group || op.dir.GroupArn((*group)->path, (*group)->name) != *source) {
      return Fail(NoSuchEntity(fmt::format("The group with name {} cannot be found.", name)));
    }
    auto policies = op.dir.PoliciesOfGroup(**group);
    AddSourced(sim, policies, status);
    // A group is no principal: its policies are simulated for a member-like
    // user of the account.
    sim.input.principal = engine::Principal::User(op.dir.account(), (*group)->name, (*group)->id,
                                                  (*group)->path);
  } else if (kind == "role") {
    auto role = op.dir.GetRole(name);
    if (!role) return Fail(role.error());
    if (!*role || op.dir.RoleArn((*role)->path, (*role)->name) != *source) {
      return Fail(NoSuchEntity(fmt::format("The role with name {} cannot be found.", name)));
    }
    auto policies = op.dir.PoliciesOfRole(**role);
    AddSourced(sim, policies, status);
    sim.input.principal = engine::Principal::AssumedRole(op.dir.account(), (*role)->name,
                                                         "SimulatedSession", (*role)->id,
                                                         (*role)->path);
    for (const auto& t : (*role)->tags) sim.input.principal.tags[t.key] = t.value;
  } else {
    return Fail(InvalidInput(fmt::format("Invalid PolicySourceArn {}.", *source)));
  }
  if (!status) return status;
  if (auto ok = CommonInputs(op, sim); !ok) return ok;
  return RunAndWrite(op, sim);
}

ApiResult<void> SimulateCustomPolicy(Op& op) {
  if (op.q.List("PolicyInputList.member").empty()) {
    return Fail(ValidationError(
        "1 validation error detected: Value null at 'policyInputList' failed to satisfy "
        "constraint: Member must not be null"));
  }
  if (auto ok = op.Authorize("iam:SimulateCustomPolicy", "*"); !ok) return ok;
  Simulation sim;
  auto caller = GetString(op.q, {"CallerArn", "callerArn", 1, 2048}, false);
  if (!caller) return Fail(caller.error());
  if (*caller) {
    // A user of this account, as IAM accepts for CallerArn.
    std::string prefix = "arn:aws:iam::" + op.dir.account() + ":user/";
    if ((*caller)->rfind(prefix, 0) != 0) {
      return Fail(InvalidInput(fmt::format("Invalid CallerArn {}: it must be an IAM user of "
                                           "this account.",
                                           **caller)));
    }
    std::string rest = (*caller)->substr(prefix.size() - 1);
    std::string path = rest.substr(0, rest.rfind('/') + 1);
    std::string name = rest.substr(rest.rfind('/') + 1);
    auto user = op.dir.GetUser(name);
    if (!user) return Fail(user.error());
    std::string id = *user ? (*user)->id : std::string();
    sim.input.principal = engine::Principal::User(op.dir.account(), name, id, path);
  } else {
    sim.input.principal = engine::Principal::User(op.dir.account(), "SimulatedUser", "", "/");
  }
  if (auto ok = CommonInputs(op, sim); !ok) return ok;
  return RunAndWrite(op, sim);
}

}  // namespace elfs::api::iam
