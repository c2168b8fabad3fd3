// Condition operators; see condition.h for the semantics.
#include "iam/condition.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include "iam/resource.h"
#include "iam/variables.h"
#include "iam/wildcard.h"

namespace elfs::iam {
namespace {

struct OpInfo {
  ConditionOp op;
  std::string_view name;
};

constexpr std::array<OpInfo, 27> kOps = {{
    {ConditionOp::kStringEquals, "StringEquals"},
    {ConditionOp::kStringNotEquals, "StringNotEquals"},
    {ConditionOp::kStringEqualsIgnoreCase, "StringEqualsIgnoreCase"},
    {ConditionOp::kStringNotEqualsIgnoreCase, "StringNotEqualsIgnoreCase"},
    {ConditionOp::kStringLike, "StringLike"},
    {ConditionOp::kStringNotLike, "StringNotLike"},
    {ConditionOp::kNumericEquals, "NumericEquals"},
    {ConditionOp::kNumericNotEquals, "NumericNotEquals"},
    {ConditionOp::kNumericLessThan, "NumericLessThan"},
    {ConditionOp::kNumericLessThanEquals, "NumericLessThanEquals"},
    {ConditionOp::kNumericGreaterThan, "NumericGreaterThan"},
    {ConditionOp::kNumericGreaterThanEquals, "NumericGreaterThanEquals"},
    {ConditionOp::kDateEquals, "DateEquals"},
    {ConditionOp::kDateNotEquals, "DateNotEquals"},
    {ConditionOp::kDateLessThan, "DateLessThan"},
    {ConditionOp::kDateLessThanEquals, "DateLessThanEquals"},
    {ConditionOp::kDateGreaterThan, "DateGreaterThan"},
    {ConditionOp::kDateGreaterThanEquals, "DateGreaterThanEquals"},
    {ConditionOp::kBool, "Bool"},
    {ConditionOp::kBinaryEquals, "BinaryEquals"},
    {ConditionOp::kIpAddress, "IpAddress"},
    {ConditionOp::kNotIpAddress, "NotIpAddress"},
    {ConditionOp::kArnEquals, "ArnEquals"},
    {ConditionOp::kArnNotEquals, "ArnNotEquals"},
    {ConditionOp::kArnLike, "ArnLike"},
    {ConditionOp::kArnNotLike, "ArnNotLike"},
    {ConditionOp::kNull, "Null"},
}};

enum class Family { kString, kStringIgnoreCase, kStringLike, kNumeric, kDate, kBool, kBinary,
                    kIp, kArn, kNull };

Family FamilyOf(ConditionOp op) {
  switch (op) {
    case ConditionOp::kStringEquals:
    case ConditionOp::kStringNotEquals: return Family::kString;
    case ConditionOp::kStringEqualsIgnoreCase:
    case ConditionOp::kStringNotEqualsIgnoreCase: return Family::kStringIgnoreCase;
    case ConditionOp::kStringLike:
    case ConditionOp::kStringNotLike: return Family::kStringLike;
    case ConditionOp::kNumericEquals:
    case ConditionOp::kNumericNotEquals:
    case ConditionOp::kNumericLessThan:
    case ConditionOp::kNumericLessThanEquals:
    case ConditionOp::kNumericGreaterThan:
    case ConditionOp::kNumericGreaterThanEquals: return Family::kNumeric;
    case ConditionOp::kDateEquals:
    case ConditionOp::kDateNotEquals:
    case ConditionOp::kDateLessThan:
    case ConditionOp::kDateLessThanEquals:
    case ConditionOp::kDateGreaterThan:
    case ConditionOp::kDateGreaterThanEquals: return Family::kDate;
    case ConditionOp::kBool: return Family::kBool;
    case ConditionOp::kBinaryEquals: return Family::kBinary;
    case ConditionOp::kIpAddress:
    case ConditionOp::kNotIpAddress: return Family::kIp;
    case ConditionOp::kArnEquals:
    case ConditionOp::kArnNotEquals:
    case ConditionOp::kArnLike:
    case ConditionOp::kArnNotLike: return Family::kArn;
    case ConditionOp::kNull: return Family::kNull;
  }
  return Family::kString;
}

// Ordering comparisons: how request value `v` relates to policy value `p`.
template <class T>
bool Compare(ConditionOp op, T v, T p) {
  switch (op) {
    case ConditionOp::kNumericEquals:
    case ConditionOp::kNumericNotEquals:
    case ConditionOp::kDateEquals:
    case ConditionOp::kDateNotEquals: return v == p;
    case ConditionOp::kNumericLessThan:
    case ConditionOp::kDateLessThan: return v < p;
    case ConditionOp::kNumericLessThanEquals:
    case ConditionOp::kDateLessThanEquals: return v <= p;
    case ConditionOp::kNumericGreaterThan:
    case ConditionOp::kDateGreaterThan: return v > p;
    case ConditionOp::kNumericGreaterThanEquals:
    case ConditionOp::kDateGreaterThanEquals: return v >= p;
    default: return false;
  }
}

// ---- dates ----

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (the standard
// era-based conversion: 400-year eras of 146097 days, March-based years).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool LeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::optional<int64_t> ParseIso8601(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, mo) ||
      s[7] != '-' || !Digits(s, 8, 2, d)) {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] + (mo == 2 && LeapYear(y) ? 1 : 0)) {
    return std::nullopt;
  }
  size_t pos = 10;
  int64_t millis = 0;
  int64_t offset_min = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't') return std::nullopt;
    if (!Digits(s, pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, mi)) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, sec)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        size_t start = pos;
        int64_t frac = 0, scale = 1;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (pos - start < 3) {
            frac = frac * 10 + (s[pos] - '0');
            scale *= 10;
          }
          ++pos;
        }
        if (pos == start) return std::nullopt;
        millis = frac * 1000 / scale;
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    if (pos < s.size()) {
      if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        int oh, om;
        int sign = s[pos] == '-' ? -1 : 1;
        if (!Digits(s, pos + 1, 2, oh)) return std::nullopt;
        size_t p2 = pos + 3;
        if (p2 < s.size() && s[p2] == ':') ++p2;
        if (!Digits(s, p2, 2, om) || oh > 23 || om > 59) return std::nullopt;
        offset_min = sign * (oh * 60 + om);
        pos = p2 + 2;
      } else {
        return std::nullopt;
      }
    }
    if (pos != s.size()) return std::nullopt;
  }
  int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  return secs * 1000 + millis;
}

// ---- IP addresses ----

struct IpNet {
  int family = 0;  // 4 or 6
  std::array<unsigned char, 16> bytes{};
  int prefix = 0;
};

std::optional<IpNet> ParseIpNet(std::string_view s, bool allow_prefix) {
  std::string addr(s);
  int prefix = -1;
  if (auto slash = addr.find('/'); slash != std::string::npos) {
    if (!allow_prefix) return std::nullopt;
    std::string_view p = std::string_view(addr).substr(slash + 1);
    if (p.empty() || p.size() > 3) return std::nullopt;
    int v = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    prefix = v;
    addr.resize(slash);
  }
  IpNet net;
  if (inet_pton(AF_INET, addr.c_str(), net.bytes.data()) == 1) {
    net.family = 4;
    if (prefix > 32) return std::nullopt;
    net.prefix = prefix < 0 ? 32 : prefix;
    return net;
  }
  if (inet_pton(AF_INET6, addr.c_str(), net.bytes.data()) == 1) {
    net.family = 6;
    if (prefix > 128) return std::nullopt;
    net.prefix = prefix < 0 ? 128 : prefix;
    // An IPv4-mapped address (::ffff:a.b.c.d) is compared as IPv4.
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(net.bytes.data(), kMapped, 12) == 0 && net.prefix >= 96) {
      std::memmove(net.bytes.data(), net.bytes.data() + 12, 4);
      net.family = 4;
      net.prefix -= 96;
    }
    return net;
  }
  return std::nullopt;
}

bool InNet(const IpNet& net, const IpNet& addr) {
  if (net.family != addr.family) return false;
  int full = net.prefix / 8, rest = net.prefix % 8;
  if (std::memcmp(net.bytes.data(), addr.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (net.bytes[full] & mask) == (addr.bytes[full] & mask);
}

// ---- matching one request value against one policy value ----

// The positive form of the operator (IpAddress for NotIpAddress, ...) for
// one (request value, policy value) pair. `p` is already expanded, as a
// wildcard pattern for the Like/Arn families, as text for the others.
bool PositiveMatch(ConditionOp op, std::string_view v, std::string_view p) {
  switch (FamilyOf(op)) {
    case Family::kString: return v == p;
    case Family::kStringIgnoreCase: return EqualsIgnoreCase(v, p);
    case Family::kStringLike: return WildcardMatch(p, v);
    case Family::kNumeric: {
      auto a = ParseNumber(v), b = ParseNumber(p);
      return a && b && Compare(op, *a, *b);
    }
    case Family::kDate: {
      auto a = ParseDateMillis(v), b = ParseDateMillis(p);
      return a && b && Compare(op, *a, *b);
    }
    case Family::kBool: return EqualsIgnoreCase(v, p);
    case Family::kBinary: {
      auto a = DecodeBase64(v), b = DecodeBase64(p);
      return a && b && *a == *b;
    }
    case Family::kIp: {
      auto net = ParseIpNet(p, true);
      auto addr = ParseIpNet(v, false);
      return net && addr && InNet(*net, *addr);
    }
    case Family::kArn: return ArnMatches(p, v);
    case Family::kNull: return false;
  }
  return false;
}

bool IsPatternFamily(Family f) { return f == Family::kStringLike || f == Family::kArn; }

}  // namespace

std::string_view ConditionOpName(ConditionOp op) {
  for (const auto& i : kOps) {
    if (i.op == op) return i.name;
  }
  return "?";
}

bool IsNegatedOp(ConditionOp op) {
  switch (op) {
    case ConditionOp::kStringNotEquals:
    case ConditionOp::kStringNotEqualsIgnoreCase:
    case ConditionOp::kStringNotLike:
    case ConditionOp::kNumericNotEquals:
    case ConditionOp::kDateNotEquals:
    case ConditionOp::kNotIpAddress:
    case ConditionOp::kArnNotEquals:
    case ConditionOp::kArnNotLike: return true;
    default: return false;
  }
}

std::optional<ConditionOperator> ParseConditionOperator(std::string_view name) {
  ConditionOperator out;
  out.name = std::string(name);
  std::string_view rest = name;
  constexpr std::string_view kAny = "ForAnyValue:", kAll = "ForAllValues:", kIfExists = "IfExists";
  if (rest.substr(0, kAny.size()) == kAny) {
    out.set = SetQualifier::kForAnyValue;
    rest.remove_prefix(kAny.size());
  } else if (rest.substr(0, kAll.size()) == kAll) {
    out.set = SetQualifier::kForAllValues;
    rest.remove_prefix(kAll.size());
  }
  if (rest.size() > kIfExists.size() && rest.substr(rest.size() - kIfExists.size()) == kIfExists) {
    out.if_exists = true;
    rest.remove_suffix(kIfExists.size());
  }
  for (const auto& i : kOps) {
    if (i.name == rest) {
      // Null tests existence itself: "NullIfExists" means nothing.
      if (i.op == ConditionOp::kNull && out.if_exists) return std::nullopt;
      out.op = i.op;
      return out;
    }
  }
  return std::nullopt;
}

std::optional<int64_t> ParseDateMillis(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool all_digits = true;
  for (char c : s) all_digits = all_digits && c >= '0' && c <= '9';
  if (all_digits) {
    if (s.size() > 12) return std::nullopt;  // beyond year 33658: not a date
    int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v * 1000;
  }
  return ParseIso8601(s);
}

std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  // JSON-ish numbers only: no "inf", "nan", hex or leading '+'.
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == '.' || c == 'e' || c == 'E' || c == '+')) {
      return std::nullopt;
    }
  }
  if (s.front() == '+') return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<std::string> DecodeBase64(std::string_view s) {
  if (s.size() % 4 != 0) return std::nullopt;
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(s.size() / 4 * 3);
  for (size_t i = 0; i < s.size(); i += 4) {
    int q[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = s[i + j];
      if (c == '=') {
        // Padding only at the very end, at most two.
        if (i + 4 != s.size() || j < 2) return std::nullopt;
        q[j] = 0;
        ++pad;
      } else {
        if (pad > 0) return std::nullopt;
        q[j] = val(c);
        if (q[j] < 0) return std::nullopt;
      }
    }
    uint32_t n = (q[0] << 18) | (q[1] << 12) | (q[2] << 6) | q[3];
    // Canonical encodings only: the bits a padded group drops must be zero,
    // so one byte string has exactly one base64 spelling.
    if ((pad == 1 && (n & 0xff) != 0) || (pad == 2 && (n & 0xffff) != 0)) return std::nullopt;
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

Status ValidateConditionClause(const ConditionClause& clause, bool variables_enabled,
                               std::string_view where) {
  auto bad = [&](std::string_view value, std::string_view why) {
    return Status::Invalid(std::string(where) + ": invalid value \"" + std::string(value) +
                           "\" for " + clause.op.name + ": " + std::string(why));
  };
  for (const auto& v : clause.values) {
    if (variables_enabled && HasVariables(v)) {
      ELFS_RETURN_IF_ERROR(ValidateVariables(v, where));
      continue;
    }
    switch (FamilyOf(clause.op.op)) {
      case Family::kNumeric:
        if (!ParseNumber(v)) return bad(v, "not a number");
        break;
      case Family::kDate:
        if (!ParseDateMillis(v)) return bad(v, "not an ISO 8601 date or epoch seconds");
        break;
      case Family::kBool:
      case Family::kNull:
        if (!EqualsIgnoreCase(v, "true") && !EqualsIgnoreCase(v, "false")) {
          return bad(v, "expected true or false");
        }
        break;
      case Family::kBinary:
        if (!DecodeBase64(v)) return bad(v, "not base64");
        break;
      case Family::kIp:
        if (!ParseIpNet(v, true)) return bad(v, "not an IPv4/IPv6 address or CIDR");
        break;
      case Family::kArn:
        if (!ValidateResource(v, where).ok()) return bad(v, "not an ARN");
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

ConditionOutcome EvaluateCondition(const ConditionClause& clause, bool variables_enabled,
                                   const RequestContext& ctx, std::vector<std::string>* missing) {
  ConditionOutcome out;
  out.volatile_key = IsVolatileKey(clause.key);
  const ConditionOp op = clause.op.op;
  auto request = ctx.Lookup(clause.key);

  if (op == ConditionOp::kNull) {
    // "Null": "true" holds when the key is absent, "false" when present.
    bool absent = !request.has_value();
    out.key_missing = absent;
    for (const auto& v : clause.values) {
      bool want_absent = EqualsIgnoreCase(v, "true");
      if (want_absent == absent) out.holds = true;
    }
    return out;
  }

  const bool negated = IsNegatedOp(op);
  if (!request) {
    out.key_missing = true;
    if (missing) missing->push_back(clause.key);
    if (clause.op.if_exists) {
      out.holds = true;
    } else if (clause.op.set == SetQualifier::kForAllValues) {
      out.holds = true;
    } else if (clause.op.set == SetQualifier::kForAnyValue) {
      out.holds = false;
    } else {
      out.holds = negated;
    }
    return out;
  }

  // Expand the policy values once.
  const Family family = FamilyOf(op);
  const ExpandMode mode = IsPatternFamily(family) ? ExpandMode::kWildcard : ExpandMode::kLiteral;
  std::vector<std::string> expanded;
  expanded.reserve(clause.values.size());
  for (const auto& v : clause.values) {
    if (variables_enabled && HasVariables(v)) {
      for (const auto& k : VariableKeys(v)) out.volatile_key = out.volatile_key || IsVolatileKey(k);
      auto e = ExpandVariables(v, ctx, mode, missing);
      if (!e) return out;  // an unresolvable variable: the clause does not hold
      expanded.push_back(std::move(*e));
    } else if (mode == ExpandMode::kWildcard && v.find('\\') != std::string::npos) {
      expanded.push_back(EscapeLiteralBackslashes(v));
    } else {
      expanded.push_back(v);
    }
  }

  auto matches_any_policy_value = [&](const std::string& rv) {
    for (const auto& p : expanded) {
      if (PositiveMatch(op, rv, p)) return true;
    }
    return false;
  };
  auto satisfies = [&](const std::string& rv) {
    return negated ? !matches_any_policy_value(rv) : matches_any_policy_value(rv);
  };

  switch (clause.op.set) {
    case SetQualifier::kNone: {
      bool any = false;
      for (const auto& rv : *request) any = any || matches_any_policy_value(rv);
      out.holds = negated ? !any : any;
      break;
    }
    case SetQualifier::kForAnyValue: {
      out.holds = false;
      for (const auto& rv : *request) {
        if (satisfies(rv)) {
          out.holds = true;
          break;
        }
      }
      break;
    }
    case SetQualifier::kForAllValues: {
      out.holds = true;
      for (const auto& rv : *request) {
        if (!satisfies(rv)) {
          out.holds = false;
          break;
        }
      }
      break;
    }
  }
  return out;
}

}  // namespace elfs::iam
