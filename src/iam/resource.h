// Resources: ARNs in Resource / NotResource elements and in the Arn*
// condition operators.
//
// An ARN is arn:partition:service:region:account:resource. Matching is
// segment-wise, as IAM does it: the first five segments are matched one by
// one, so a wildcard there never crosses a ':'; the resource part (everything
// after the fifth ':') is matched as a whole, where `*` may cross ':' and '/'.
// "*" alone matches every resource. Matching is case-sensitive.
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

#include "common/status.h"

namespace elfs::iam {

// Checks a Resource / NotResource value: "*" or an ARN with at least six
// segments ("arn:aws:elasticfilesystem:us-east-1:1:file-system/fs-1").
// Values containing policy variables are checked with the variables in place.
Status ValidateResource(std::string_view resource, std::string_view where);

// True if `arn` matches `pattern` (see above). `pattern` may carry escapes
// (see wildcard.h). An `arn` that is not an ARN matches only the pattern "*"
// or an identical pattern.
bool ArnMatches(std::string_view pattern, std::string_view arn);

// The account segment of an ARN ("" if none or not an ARN).
std::string_view ArnAccount(std::string_view arn);

}  // namespace elfs::iam
