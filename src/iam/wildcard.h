// Wildcard matching for the policy language: `*` matches any run of
// characters (possibly empty), `?` exactly one. Used for actions, resource
// ARN segments, StringLike and ArnLike.
//
// A pattern may carry escapes: `\x` matches the character x literally. The
// policy engine produces them when a policy variable expands to a value that
// contains `*`, `?` or `\`, and for the `${*}` / `${?}` / `${$}` escapes, so a
// substituted value is never a wildcard. Text straight from a policy document
// goes through EscapeLiteralBackslashes() first.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace elfs::iam {

enum class CaseMode { kSensitive, kInsensitive };

// True if `text` matches the whole of `pattern`. Linear in practice
// (greedy with one backtrack point, no recursion), so hostile patterns cannot
// blow up.
bool WildcardMatch(std::string_view pattern, std::string_view text,
                   CaseMode mode = CaseMode::kSensitive);

// True if `pattern` contains an unescaped `*` or `?`.
bool HasWildcard(std::string_view pattern);

// Returns `text` with every `*`, `?` and `\` escaped, so it matches only
// itself.
std::string EscapeWildcards(std::string_view text);

// Returns `text` with every `\` escaped (`*` and `?` keep their meaning).
std::string EscapeLiteralBackslashes(std::string_view text);

// Removes escapes: the literal text a pattern without wildcards matches.
std::string UnescapePattern(std::string_view pattern);

// ASCII case-insensitive equality and ordering (IAM keys and actions are
// ASCII).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool LessIgnoreCase(std::string_view a, std::string_view b);

}  // namespace elfs::iam
