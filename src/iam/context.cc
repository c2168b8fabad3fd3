// Request context lookups; see context.h.
#include "iam/context.h"

#include "iam/wildcard.h"

namespace elfs::iam {

bool KeyLess::operator()(std::string_view a, std::string_view b) const {
  return LessIgnoreCase(a, b);
}

std::optional<std::vector<std::string>> RequestContext::Lookup(std::string_view key) const {
  if (auto it = keys.find(key); it != keys.end()) return it->second;
  const Principal& p = principal;
  auto one = [](const std::string& v) -> std::optional<std::vector<std::string>> {
    if (v.empty()) return std::nullopt;
    return std::vector<std::string>{v};
  };
  if (EqualsIgnoreCase(key, "aws:username")) {
    return p.kind == Principal::Kind::kUser ? one(p.user_name) : std::nullopt;
  }
  if (EqualsIgnoreCase(key, "aws:userid")) return one(p.user_id);
  if (EqualsIgnoreCase(key, "aws:PrincipalArn")) {
    // For a role session, aws:PrincipalArn is the role's ARN (AWS).
    if (p.kind == Principal::Kind::kAssumedRole) return one(p.role_arn);
    if (p.kind == Principal::Kind::kService) return std::nullopt;
    return one(p.arn);
  }
  if (EqualsIgnoreCase(key, "aws:PrincipalAccount")) return one(p.account);
  if (EqualsIgnoreCase(key, "aws:PrincipalType")) {
    if (p.kind == Principal::Kind::kAnonymous) return std::nullopt;
    return std::vector<std::string>{std::string(p.TypeName())};
  }
  if (EqualsIgnoreCase(key, "aws:PrincipalServiceName")) {
    return p.kind == Principal::Kind::kService ? one(p.arn) : std::nullopt;
  }
  constexpr std::string_view kTag = "aws:PrincipalTag/";
  if (key.size() > kTag.size() && EqualsIgnoreCase(key.substr(0, kTag.size()), kTag)) {
    std::string_view tag = key.substr(kTag.size());
    // Tag keys are case-insensitive in IAM.
    for (const auto& [k, v] : p.tags) {
      if (EqualsIgnoreCase(k, tag)) return std::vector<std::string>{v};
    }
    return std::nullopt;
  }
  return std::nullopt;
}

bool IsVolatileKey(std::string_view key) {
  return EqualsIgnoreCase(key, "aws:CurrentTime") || EqualsIgnoreCase(key, "aws:EpochTime");
}

}  // namespace elfs::iam
