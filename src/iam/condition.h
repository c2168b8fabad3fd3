// Condition operators and their evaluation.
//
// A Condition element is {operator: {key: value-or-values, ...}, ...}.
// Semantics, as IAM defines them:
//  - every operator and every key must hold (AND); for one key, any of the
//    policy's values may match (OR);
//  - a key absent from the request: the condition is false, except for the
//    negated operators (StringNotEquals, StringNotEqualsIgnoreCase,
//    StringNotLike, NumericNotEquals, DateNotEquals, ArnNotEquals, ArnNotLike,
//    NotIpAddress), which are then true; `...IfExists` makes any operator
//    true when the key is absent; Null tests presence ("true": absent);
//  - a multi-valued key without a set qualifier: the operator holds if any
//    request value matches any policy value (negated operators: if no request
//    value matches any policy value);
//  - ForAnyValue:Op holds if at least one request value satisfies Op (false
//    for an absent or empty key); ForAllValues:Op holds if every request value
//    satisfies Op (true for an absent or empty key);
//  - ArnEquals and ArnLike are the same (both take wildcards), likewise
//    ArnNotEquals and ArnNotLike, as in IAM;
//  - Date values are ISO 8601 ("2024-01-31", "2024-01-31T12:00:00Z",
//    "...T12:00:00.123+02:00") or epoch seconds; Numeric values are integers
//    or decimals; Bool compares "true"/"false" case-insensitively;
//    BinaryEquals compares base64-decoded bytes (request values are base64
//    too); IpAddress takes IPv4/IPv6 addresses and CIDRs (an IPv4-mapped IPv6
//    address is compared as IPv4).
// Operator names are case-sensitive, condition key names are not.
//
// Thread safety: values; evaluation is const.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "iam/context.h"

namespace elfs::iam {

enum class ConditionOp : uint8_t {
  kStringEquals, kStringNotEquals, kStringEqualsIgnoreCase, kStringNotEqualsIgnoreCase,
  kStringLike, kStringNotLike,
  kNumericEquals, kNumericNotEquals, kNumericLessThan, kNumericLessThanEquals,
  kNumericGreaterThan, kNumericGreaterThanEquals,
  kDateEquals, kDateNotEquals, kDateLessThan, kDateLessThanEquals,
  kDateGreaterThan, kDateGreaterThanEquals,
  kBool, kBinaryEquals, kIpAddress, kNotIpAddress,
  kArnEquals, kArnNotEquals, kArnLike, kArnNotLike,
  kNull,
};

enum class SetQualifier : uint8_t { kNone, kForAnyValue, kForAllValues };

// The base name ("StringEquals") of an operator.
std::string_view ConditionOpName(ConditionOp op);
// True for the operators that are true when the key is absent.
bool IsNegatedOp(ConditionOp op);

// A parsed operator name such as "ForAllValues:StringLikeIfExists".
struct ConditionOperator {
  ConditionOp op = ConditionOp::kStringEquals;
  SetQualifier set = SetQualifier::kNone;
  bool if_exists = false;
  std::string name;  // as written in the policy
};

// Parses an operator name; nullopt if unknown.
std::optional<ConditionOperator> ParseConditionOperator(std::string_view name);

// One (operator, key, values) triple.
struct ConditionClause {
  ConditionOperator op;
  std::string key;
  std::vector<std::string> values;  // as written (numbers/bools as their JSON text)
};

// Checks the values of a clause against its operator (numbers for Numeric*,
// dates for Date*, "true"/"false" for Bool and Null, base64 for BinaryEquals,
// CIDRs for IpAddress, ARN shape for Arn*). Values with policy variables are
// checked after expansion instead. `where` prefixes errors.
Status ValidateConditionClause(const ConditionClause& clause, bool variables_enabled,
                               std::string_view where);

// The outcome of one clause.
struct ConditionOutcome {
  bool holds = false;
  bool key_missing = false;  // the key was absent from the request
  // The key, or a variable in a value, is aws:CurrentTime / aws:EpochTime.
  bool volatile_key = false;
};

// Evaluates one clause against the request. Missing variables used in the
// policy values are appended to `missing`.
ConditionOutcome EvaluateCondition(const ConditionClause& clause, bool variables_enabled,
                                   const RequestContext& ctx,
                                   std::vector<std::string>* missing = nullptr);

// Parsing helpers shared with tests.
std::optional<int64_t> ParseDateMillis(std::string_view s);  // ISO 8601 or epoch seconds
std::optional<double> ParseNumber(std::string_view s);
std::optional<std::string> DecodeBase64(std::string_view s);

}  // namespace elfs::iam
