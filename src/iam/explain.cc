// Decision wording; see explain.h.
#include "iam/explain.h"

namespace elfs::iam {

std::string_view EvalDecisionName(DecisionEffect e) {
  switch (e) {
    case DecisionEffect::kAllow: return "allowed";
    case DecisionEffect::kExplicitDeny: return "explicitDeny";
    case DecisionEffect::kImplicitDeny: return "implicitDeny";
  }
  return "implicitDeny";
}

std::string Decision::Reason() const {
  // The shape of AWS's AccessDenied messages: "User: <arn> is not authorized
  // to perform: <action> on resource: <arn> because ...".
  std::string out = "User: " + principal;
  out += allowed() ? " is authorized to perform: " : " is not authorized to perform: ";
  out += action + " on resource: " + resource;
  if (!basis.empty()) {
    out += effect == DecisionEffect::kExplicitDeny ? " " : " because ";
    out += basis;
  }
  return out;
}

}  // namespace elfs::iam
