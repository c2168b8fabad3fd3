// Action validation and matching; see action.h.
#include "iam/action.h"

#include <string>

#include "iam/wildcard.h"

namespace elfs::iam {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

Status ValidateAction(std::string_view action, std::string_view where) {
  if (action == "*") return Status::Ok();
  auto colon = action.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status::Invalid(std::string(where) + ": action \"" + std::string(action) +
                           "\" must be prefixed by a service, e.g. elasticfilesystem:ClientMount");
  }
  for (char c : action.substr(0, colon)) {
    if (!IsAlnum(c) && c != '-' && c != '_') {
      return Status::Invalid(std::string(where) + ": invalid service prefix in action \"" +
                             std::string(action) + "\"");
    }
  }
  std::string_view name = action.substr(colon + 1);
  if (name.empty()) {
    return Status::Invalid(std::string(where) + ": action \"" + std::string(action) +
                           "\" has no action name");
  }
  for (char c : name) {
    if (!IsAlnum(c) && c != '*' && c != '?') {
      return Status::Invalid(std::string(where) + ": invalid character in action \"" +
                             std::string(action) + "\"");
    }
  }
  return Status::Ok();
}

bool ActionMatches(std::string_view pattern, std::string_view action) {
  return WildcardMatch(pattern, action, CaseMode::kInsensitive);
}

}  // namespace elfs::iam
