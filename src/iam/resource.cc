// ARN validation and segment-wise matching; see resource.h.
#include "iam/resource.h"

#include <array>
#include <string>

#include "iam/wildcard.h"

namespace elfs::iam {
namespace {

// Splits at the first five unescaped ':' into six parts. False if there are
// fewer than five.
bool SplitArn(std::string_view s, std::array<std::string_view, 6>& parts) {
  size_t start = 0;
  int n = 0;
  for (size_t i = 0; i < s.size() && n < 5; ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] == ':') {
      parts[n++] = s.substr(start, i - start);
      start = i + 1;
    }
  }
  if (n < 5) return false;
  parts[5] = s.substr(start);
  return true;
}

}  // namespace

Status ValidateResource(std::string_view resource, std::string_view where) {
  if (resource == "*") return Status::Ok();
  std::array<std::string_view, 6> parts;
  if (!SplitArn(resource, parts) || !WildcardMatch(parts[0], "arn")) {
    return Status::Invalid(std::string(where) + ": resource \"" + std::string(resource) +
                           "\" must be an ARN (arn:partition:service:region:account:resource) "
                           "or \"*\"");
  }
  if (parts[1].empty() || parts[2].empty()) {
    return Status::Invalid(std::string(where) + ": resource \"" + std::string(resource) +
                           "\" has an empty partition or service");
  }
  return Status::Ok();
}

bool ArnMatches(std::string_view pattern, std::string_view arn) {
  if (pattern == "*") return true;
  std::array<std::string_view, 6> p, a;
  if (!SplitArn(pattern, p) || !SplitArn(arn, a)) {
    return UnescapePattern(pattern) == arn;
  }
  for (int i = 0; i < 6; ++i) {
    if (!WildcardMatch(p[i], a[i])) return false;
  }
  return true;
}

std::string_view ArnAccount(std::string_view arn) {
  std::array<std::string_view, 6> a;
  if (!SplitArn(arn, a) || a[0] != "arn") return {};
  return a[4];
}

}  // namespace elfs::iam
