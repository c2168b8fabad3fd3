// Policy variables: ${aws:username}, ${aws:userid}, ${aws:PrincipalTag/k},
// any ${key} of the request context, ${key, 'default'} and the escapes
// ${*}, ${?}, ${$} (a literal '*', '?' and '$'). They are expanded in
// Resource / NotResource values and in condition values, and only in
// policies whose Version is 2012-10-17 (in 2008-10-17 "${...}" is literal
// text, as in IAM).
//
// A variable whose key is absent from the context and that has no default
// cannot be expanded: the element that uses it does not match (and the key
// is reported as a missing context value).
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "iam/context.h"

namespace elfs::iam {

// True if `text` contains "${".
bool HasVariables(std::string_view text);

// Checks the ${...} syntax (balanced, non-empty key, well-formed default).
Status ValidateVariables(std::string_view text, std::string_view where);

enum class ExpandMode {
  kLiteral,   // result is plain text (StringEquals, Numeric..., ...)
  kWildcard,  // result is a wildcard pattern: `*` / `?` from the document
              // stay wildcards, expanded values and escapes are escaped
};

// Expands the variables of `text`. Returns nullopt if a key is missing and
// has no default; its name is appended to `missing` when given. A
// multi-valued key expands only if it has exactly one value.
std::optional<std::string> ExpandVariables(std::string_view text, const RequestContext& ctx,
                                           ExpandMode mode,
                                           std::vector<std::string>* missing = nullptr);

// The context keys `text` refers to (for cache keys and MissingContextValues).
std::vector<std::string> VariableKeys(std::string_view text);

}  // namespace elfs::iam
