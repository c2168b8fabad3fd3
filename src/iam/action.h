// Actions: "service:Action" patterns in Action / NotAction elements.
// Matching is ASCII case-insensitive with `*` and `?` wildcards, as IAM does
// ("elasticfilesystem:client*" matches "elasticfilesystem:ClientMount").
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

#include "common/status.h"

namespace elfs::iam {

// Checks one Action / NotAction value: "*", or "<service>:<pattern>" with a
// service prefix of letters, digits, '-' and '_' (no wildcards, as IAM
// requires) and a non-empty name of letters, digits, '*' and '?'. `where`
// prefixes the error ("Statement[1].Action[0]").
Status ValidateAction(std::string_view action, std::string_view where);

// True if the request's action matches the pattern.
bool ActionMatches(std::string_view pattern, std::string_view action);

}  // namespace elfs::iam
