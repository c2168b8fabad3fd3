// iam_eval: evaluates requests read as JSON lines from stdin with the elfs
// policy engine and prints one decision per line ("allowed", "explicitDeny",
// "implicitDeny", or "error: <message>"). The differential test feeds the
// same lines to an outside oracle (differential.py) and compares.
//
// Input line: {"identity": [<policy>...], "resource_policy": <policy>|null,
//              "principal": {"kind": "user"|"session"|"root"|"anonymous",
//                            "account": "...", "name": "...", "role": "...",
//                            "tags": {"k": "v"}},
//              "action": "...", "resource": "...", "resource_account": "...",
//              "context": {"key": ["v", ...]}}
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "iam/evaluate.h"

namespace {

using namespace elfs::iam;
using nlohmann::json;

Principal ToPrincipal(const json& p) {
  std::string kind = p.value("kind", "anonymous");
  std::string account = p.value("account", "");
  Principal out;
  if (kind == "user") {
    out = Principal::User(account, p.value("name", ""), "AIDA" + p.value("name", ""));
  } else if (kind == "session") {
    out = Principal::AssumedRole(account, p.value("role", ""), p.value("name", ""), "AROAROLE");
  } else if (kind == "root") {
    out = Principal::AccountRoot(account);
  }
  if (p.contains("tags")) {
    for (const auto& [k, v] : p["tags"].items()) out.tags[k] = v.get<std::string>();
  }
  return out;
}

std::string Decide(const json& c) {
  PolicySet set;
  set.resource_account = c.value("resource_account", "");
  int i = 0;
  for (const auto& doc : c["identity"]) {
    auto p = ParseSharedPolicy(doc.dump(), PolicyType::kIdentity);
    if (!p) return "error: identity: " + p.error().message();
    set.identity.push_back({"identity-" + std::to_string(i++), *p});
  }
  if (c.contains("resource_policy") && !c["resource_policy"].is_null()) {
    auto p = ParseSharedPolicy(c["resource_policy"].dump(), PolicyType::kResource);
    if (!p) return "error: resource: " + p.error().message();
    set.resource = LabeledPolicy{"resource", *p};
  }
  RequestContext req;
  req.principal = ToPrincipal(c["principal"]);
  req.action = c.value("action", "");
  req.resource = c.value("resource", "");
  for (const auto& [k, v] : c["context"].items()) {
    req.keys[k] = v.get<std::vector<std::string>>();
  }
  return std::string(EvalDecisionName(Evaluate(set, req).effect));
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    try {
      std::cout << Decide(json::parse(line)) << "\n";
    } catch (const json::exception& e) {
      std::cout << "error: bad input: " << e.what() << "\n";
    }
  }
  return 0;
}
