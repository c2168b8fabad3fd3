// The AWS Query protocol's input (IAM, STS, EC2): application/x-www-form-urlencoded
// parameters, with lists flattened as "Name.member.N" (IAM) or "Name.N" (EC2).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace elfs::api {

// Decodes %XX and '+' (space). Fails on a malformed escape.
Result<std::string> FormDecode(std::string_view s);
// Decodes %XX only ('+' stays '+'), as in URI paths.
Result<std::string> PercentDecode(std::string_view s);

class QueryParams {
 public:
  // Parses "a=1&b=2" (a request body or a URL query string).
  static Result<QueryParams> Parse(std::string_view encoded);

  const std::string* Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name) != nullptr; }
  // Values of prefix.1, prefix.2, ... in index order, stopping at the first gap.
  // IAM lists use prefix "Name.member", EC2 lists use "Name".
  std::vector<std::string> List(std::string_view prefix) const;
  // Structured lists: for "Tags.member" and fields {"Key","Value"} returns one
  // row per index with the fields' values ("" when absent).
  std::vector<std::vector<std::string>> Rows(std::string_view prefix,
                                             const std::vector<std::string_view>& fields) const;
  // Indices N for which some "prefix.N..." parameter exists, ascending.
  std::vector<int> Indices(std::string_view prefix) const;
  const std::vector<std::pair<std::string, std::string>>& all() const { return params_; }

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace elfs::api
