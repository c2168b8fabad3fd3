// Input validation for the IAM and STS Query APIs: the patterns and lengths of
// botocore's iam/2010-05-08 and sts/2011-06-15 models, checked by hand because
// the models' patterns use Java classes (\w, \p{L}, ...) that std::regex
// cannot express. Lengths count Unicode code points, as AWS does.
//
// Failures are IAM's ValidationError (400) with AWS's wording:
//   "1 validation error detected: Value 'a b' at 'userName' failed to satisfy
//    constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
//
// Approximation, written down: \p{L} and \p{N} in tag keys and values accept
// every non-ASCII code point that is not a control character; ASCII is exact.
//
// Thread safety: stateless functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "api/common/error.h"
#include "api/common/query.h"

namespace elfs::api::iam {

// The character classes of the models' patterns.
enum class Pattern {
  kName,            // [\w+=,.@-]+                      user, group, role, policy names
  kPath,            // (\u002F)|(\u002F[\u0021-\u007F]+\u002F)
  kPathPrefix,      // \u002F[\u0021-\u007F]*
  kPolicyPath,      // ((/[A-Za-z0-9\.,\+@=_-]+)*)/
  kMarker,          // [\u0020-\u00FF]+
  kPolicyDocument,  // [\u0009\u000A\u000D\u0020-\u00FF]+
  kTagKey,          // [\p{L}\p{Z}\p{N}_.:/=+\-@]+
  kTagValue,        // [\p{L}\p{Z}\p{N}_.:/=+\-@]*
  kDescription,     // [\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*  (no control characters)
  kAccessKeyId,     // [\w]+
  kVersionId,       // v[1-9][0-9]*(\.[A-Za-z0-9-]*)?
  kSessionName,     // [\w+=,.@-]*
  kExternalId,      // [\w+=,.@:\/-]*
  kAny,             // no pattern (ARNs in IAM's model)
};

std::string_view PatternText(Pattern p);
bool Matches(Pattern p, std::string_view value);
// Code points of UTF-8 text; nullopt when it is not valid UTF-8.
std::optional<size_t> CodePoints(std::string_view s);

ApiError ValidationError(std::string message);
// "1 validation error detected: Value '<v>' at '<member>' failed to satisfy constraint: <what>"
ApiError ConstraintError(std::string_view member, std::string_view value, std::string_view what);

// A string parameter: required or not, length bounds, pattern. `member` is the
// model's member name in lower camel case ("userName"), as AWS reports it.
struct StringRule {
  std::string_view param;   // "UserName"
  std::string_view member;  // "userName"
  size_t min = 0;
  size_t max = 0;           // 0: unbounded
  Pattern pattern = Pattern::kAny;
};

// The value, nullopt when absent and optional, or ValidationError.
ApiResult<std::optional<std::string>> GetString(const QueryParams& q, const StringRule& rule,
                                                bool required);
// A required string (ValidationError "Member must not be null" when absent).
ApiResult<std::string> RequireString(const QueryParams& q, const StringRule& rule);
// An integer parameter in [min, max].
ApiResult<std::optional<long long>> GetInt(const QueryParams& q, std::string_view param,
                                           std::string_view member, long long min, long long max);
// A boolean parameter ("true"/"false", case-insensitive).
ApiResult<std::optional<bool>> GetBool(const QueryParams& q, std::string_view param,
                                       std::string_view member);

// Rules shared by many operations.
namespace rules {
inline constexpr StringRule kUserName{"UserName", "userName", 1, 64, Pattern::kName};
inline constexpr StringRule kExistingUserName{"UserName", "userName", 1, 128, Pattern::kName};
inline constexpr StringRule kGroupName{"GroupName", "groupName", 1, 128, Pattern::kName};
inline constexpr StringRule kRoleName{"RoleName", "roleName", 1, 64, Pattern::kName};
inline constexpr StringRule kPolicyName{"PolicyName", "policyName", 1, 128, Pattern::kName};
inline constexpr StringRule kPath{"Path", "path", 1, 512, Pattern::kPath};
inline constexpr StringRule kPolicyPath{"Path", "path", 1, 512, Pattern::kPolicyPath};
inline constexpr StringRule kPathPrefix{"PathPrefix", "pathPrefix", 1, 512, Pattern::kPathPrefix};
inline constexpr StringRule kPolicyPathPrefix{"PathPrefix", "pathPrefix", 1, 512,
                                              Pattern::kPolicyPath};
inline constexpr StringRule kMarker{"Marker", "marker", 1, 320, Pattern::kMarker};
inline constexpr StringRule kPolicyDocument{"PolicyDocument", "policyDocument", 1, 131072,
                                            Pattern::kPolicyDocument};
inline constexpr StringRule kPolicyArn{"PolicyArn", "policyArn", 20, 2048, Pattern::kAny};
inline constexpr StringRule kAccessKeyId{"AccessKeyId", "accessKeyId", 16, 128,
                                         Pattern::kAccessKeyId};
inline constexpr StringRule kVersionId{"VersionId", "versionId", 0, 0, Pattern::kVersionId};
}  // namespace rules

// Characters that count against IAM's policy size quotas: everything but
// whitespace ("IAM does not count white space").
size_t PolicySize(std::string_view document);

// RFC 3986 percent-encoding of everything but unreserved characters, as IAM
// returns policy documents.
std::string UrlEncode(std::string_view s);

}  // namespace elfs::api::iam
