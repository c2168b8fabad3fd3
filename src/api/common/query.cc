#include "api/common/query.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace elfs::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return Err(Errc::kInvalid, "truncated %-escape");
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return Err(Errc::kInvalid, "malformed %-escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// "prefix.N" or "prefix.N.rest" → N, else -1.
int IndexAfter(std::string_view name, std::string_view prefix, std::string_view* rest) {
  if (name.size() <= prefix.size() + 1 || name.substr(0, prefix.size()) != prefix ||
      name[prefix.size()] != '.') {
    return -1;
  }
  std::string_view tail = name.substr(prefix.size() + 1);
  int n = 0;
  auto [p, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), n);
  if (ec != std::errc() || p == tail.data() || n < 1) return -1;
  std::string_view after(p, tail.data() + tail.size() - p);
  if (!after.empty() && after[0] != '.') return -1;
  if (rest) *rest = after.empty() ? after : after.substr(1);
  return n;
}

}  // namespace

Result<std::string> FormDecode(std::string_view s) { return Decode(s, true); }
Result<std::string> PercentDecode(std::string_view s) { return Decode(s, false); }

Result<QueryParams> QueryParams::Parse(std::string_view encoded) {
  QueryParams q;
  while (!encoded.empty()) {
    auto amp = encoded.find('&');
    std::string_view pair = encoded.substr(0, amp);
    encoded = amp == std::string_view::npos ? std::string_view() : encoded.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = FormDecode(pair.substr(0, eq));
    if (!name) return Err(name.error());
    std::string value;
    if (eq != std::string_view::npos) {
      auto v = FormDecode(pair.substr(eq + 1));
      if (!v) return Err(v.error());
      value = std::move(*v);
    }
    q.params_.emplace_back(std::move(*name), std::move(value));
  }
  return q;
}

const std::string* QueryParams::Get(std::string_view name) const {
  for (const auto& [k, v] : params_) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::vector<int> QueryParams::Indices(std::string_view prefix) const {
  std::set<int> seen;
  for (const auto& [k, v] : params_) {
    int n = IndexAfter(k, prefix, nullptr);
    if (n > 0) seen.insert(n);
  }
  return {seen.begin(), seen.end()};
}

std::vector<std::string> QueryParams::List(std::string_view prefix) const {
  std::vector<std::string> out;
  for (int i = 1;; ++i) {
    const std::string* v = Get(std::string(prefix) + "." + std::to_string(i));
    if (!v) break;
    out.push_back(*v);
  }
  return out;
}

std::vector<std::vector<std::string>> QueryParams::Rows(
    std::string_view prefix, const std::vector<std::string_view>& fields) const {
  std::vector<std::vector<std::string>> rows;
  for (int n : Indices(prefix)) {
    std::vector<std::string> row;
    for (auto f : fields) {
      const std::string* v =
          Get(std::string(prefix) + "." + std::to_string(n) + "." + std::string(f));
      row.push_back(v ? *v : std::string());
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace elfs::api
