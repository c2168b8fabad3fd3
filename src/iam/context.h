// The request context: which action, on which resource, by whom, with which
// condition keys. Built by the caller (the API gateway, the data plane's
// authorizer, the simulator) for each request.
//
// Condition keys are looked up case-insensitively (IAM key names are not
// case-sensitive); values keep their case. Keys that describe the principal
// (aws:username, aws:userid, aws:PrincipalArn, aws:PrincipalAccount,
// aws:PrincipalType, aws:PrincipalTag/<k>) are derived from `principal` when
// the caller did not set them.
//
// Thread safety: values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iam/principal.h"

namespace elfs::iam {

struct KeyLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

// Condition key -> values (a single-valued key has one value). An empty
// vector counts as present-but-empty (ForAllValues: true, ForAnyValue: false).
using ContextKeys = std::map<std::string, std::vector<std::string>, KeyLess>;

struct RequestContext {
  std::string action;    // "elasticfilesystem:ClientMount" (case-insensitive)
  std::string resource;  // an ARN, or "*" for actions without resource-level permissions
  Principal principal;
  ContextKeys keys;      // aws:SourceIp, aws:SecureTransport, aws:CurrentTime, ...

  // The values of `key`, or nullopt if absent: explicit keys first, then the
  // principal-derived ones.
  std::optional<std::vector<std::string>> Lookup(std::string_view key) const;
};

// Keys whose value changes with every request; a decision that read one of
// them is not cacheable (see cache.h).
bool IsVolatileKey(std::string_view key);

}  // namespace elfs::iam
