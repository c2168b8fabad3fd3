#include <algorithm>
#include <cctype>
#include <charconv>

#include "api/ec2/ec2_state.h"

namespace elfs::api::ec2::internal {
namespace {

constexpr size_t kMaxTagKey = 128;
constexpr size_t kMaxTagValue = 256;
constexpr size_t kMaxTags = 50;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

ApiResult<std::vector<Filter>> ParseFilters(const QueryParams& params) {
  std::vector<Filter> out;
  for (int n : params.Indices("Filter")) {
    std::string prefix = "Filter." + std::to_string(n);
    const std::string* name = params.Get(prefix + ".Name");
    if (!name || name->empty()) return MissingParameter(prefix + ".Name");
    out.push_back({*name, params.List(prefix + ".Value")});
  }
  return out;
}

bool Glob(std::string_view p, std::string_view v) {
  // Iterative match with backtracking to the last '*'.
  size_t pi = 0, vi = 0, star = std::string_view::npos, mark = 0;
  while (vi < v.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == v[vi])) {
      ++pi;
      ++vi;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = vi;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      vi = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

ApiResult<bool> MatchFilters(const std::vector<Filter>& filters, const FieldFn& fields,
                             const Tags& tags) {
  for (const Filter& f : filters) {
    std::vector<std::string> have;
    if (f.name.starts_with("tag:")) {
      auto it = tags.find(f.name.substr(4));
      if (it != tags.end()) have.push_back(it->second);
    } else if (f.name == "tag-key") {
      for (const auto& [k, v] : tags) have.push_back(k);
    } else if (f.name == "tag-value") {
      for (const auto& [k, v] : tags) have.push_back(v);
    } else {
      auto got = fields(f.name);
      if (!got) {
        return Ec2Fail("InvalidParameterValue", "The filter '" + f.name + "' is invalid");
      }
      have = std::move(*got);
    }
    bool any = false;
    for (const auto& pattern : f.values) {
      for (const auto& value : have) {
        if (Glob(pattern, value)) {
          any = true;
          break;
        }
      }
      if (any) break;
    }
    if (!any) return false;
  }
  return true;
}

ApiResult<void> ValidateTag(std::string_view key, std::string_view value) {
  if (key.empty() || key.size() > kMaxTagKey) {
    return InvalidValue("Tag.Key", key, "Tag keys must be 1 to 128 characters.");
  }
  if (value.size() > kMaxTagValue) {
    return InvalidValue("Tag.Value", value, "Tag values must be at most 256 characters.");
  }
  if (Lower(key).starts_with("aws:")) {
    return Ec2Fail("InvalidParameterValue",
                   "Tag keys starting with 'aws:' are reserved for internal use");
  }
  return {};
}

ApiResult<Tags> ParseTagSpecifications(const QueryParams& params,
                                       std::string_view resource_type) {
  Tags tags;
  for (int n : params.Indices("TagSpecification")) {
    std::string prefix = "TagSpecification." + std::to_string(n);
    const std::string* type = params.Get(prefix + ".ResourceType");
    if (!type || type->empty()) return MissingParameter(prefix + ".ResourceType");
    if (*type != resource_type) {
      return Ec2Fail("InvalidParameterValue",
                     "'" + *type + "' is not a valid taggable resource type for this operation.");
    }
    for (const auto& row : params.Rows(prefix + ".Tag", {"Key", "Value"})) {
      if (auto r = ValidateTag(row[0], row[1]); !r) return Fail(r.error());
      if (tags.count(row[0])) {
        return Ec2Fail("InvalidParameterValue", "Duplicate tag key '" + row[0] + "'");
      }
      tags[row[0]] = row[1];
    }
  }
  if (tags.size() > kMaxTags) {
    return Ec2Fail("TagLimitExceeded", "A resource can have at most 50 tags");
  }
  return tags;
}

void AddRequestTagKeys(const Tags& tags, ConditionKeys* keys) {
  if (tags.empty()) return;
  auto& tag_keys = (*keys)["aws:TagKeys"];
  for (const auto& [k, v] : tags) {
    (*keys)["aws:RequestTag/" + k] = {v};
    tag_keys.push_back(k);
  }
}

std::vector<std::string> IdList(const QueryParams& params, std::string_view prefix) {
  std::vector<std::string> out;
  for (int n : params.Indices(prefix)) {
    const std::string* v = params.Get(std::string(prefix) + "." + std::to_string(n));
    if (v) out.push_back(*v);
  }
  return out;
}

ApiResult<Page> Paginate(const QueryParams& params, size_t total) {
  Page page{0, total, {}};
  if (const std::string* token = params.Get("NextToken"); token && !token->empty()) {
    size_t offset = 0;
    auto [p, ec] = std::from_chars(token->data(), token->data() + token->size(), offset);
    if (ec != std::errc() || p != token->data() + token->size() || offset > total) {
      return Ec2Fail("InvalidNextToken", "The token '" + *token + "' is invalid");
    }
    page.begin = offset;
  }
  if (const std::string* max = params.Get("MaxResults")) {
    int n = 0;
    auto [p, ec] = std::from_chars(max->data(), max->data() + max->size(), n);
    if (max->empty() || ec != std::errc() || p != max->data() + max->size() || n < 5 ||
        n > 1000) {
      return InvalidValue("MaxResults", *max, "It must be between 5 and 1000.");
    }
    if (total - page.begin > static_cast<size_t>(n)) {
      page.end = page.begin + n;
      page.next_token = std::to_string(page.end);
    }
  }
  return page;
}

ApiResult<int> ParseProtocol(std::string_view text) {
  std::string p = Lower(text);
  if (p == "tcp") return kTcp;
  if (p == "udp") return kUdp;
  if (p == "icmp") return kIcmp;
  if (p == "icmpv6") return kIcmpv6;
  if (p == "-1" || p == "all") return kAllProtocols;
  int n = -2;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
  if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || n < 0 || n > 255) {
    return Ec2Fail("InvalidParameterValue",
                   "Invalid value '" + std::string(text) + "' for IP protocol. Unknown protocol.");
  }
  return n;
}

std::string ProtocolName(int protocol) {
  switch (protocol) {
    case kTcp: return "tcp";
    case kUdp: return "udp";
    case kIcmp: return "icmp";
    case kIcmpv6: return "icmpv6";
    default: return std::to_string(protocol);
  }
}

bool WellFormedId(std::string_view id, std::string_view prefix) {
  if (id.size() <= prefix.size() + 1 || id.substr(0, prefix.size()) != prefix ||
      id[prefix.size()] != '-') {
    return false;
  }
  for (char c : id.substr(prefix.size() + 1)) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

}  // namespace elfs::api::ec2::internal
