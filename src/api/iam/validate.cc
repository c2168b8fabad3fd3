#include "api/iam/validate.h"

#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace elfs::api::iam {
namespace {

// Decodes UTF-8; false on malformed input (overlong forms, surrogates,
// truncated sequences).
bool DecodeUtf8(std::string_view s, std::vector<char32_t>* out) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      n = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      n = 4;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (out) out->push_back(cp);
    i += n;
  }
  return true;
}

bool IsWord(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool In(char32_t c, std::string_view set) {
  return c < 0x80 && set.find(static_cast<char>(c)) != std::string_view::npos;
}
bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }
// \p{L}\p{Z}\p{N} approximated: ASCII letters, digits and space exactly, any
// non-control code point beyond ASCII.
bool IsTagChar(char32_t c) {
  if (c >= 0x80) return !IsControl(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         In(c, " _.:/=+-@");
}

bool AllOf(const std::vector<char32_t>& cps, bool (*pred)(char32_t)) {
  for (char32_t c : cps) {
    if (!pred(c)) return false;
  }
  return true;
}

}  // namespace

std::string_view PatternText(Pattern p) {
  switch (p) {
    case Pattern::kName: return R"([\w+=,.@-]+)";
    case Pattern::kPath: return R"((\u002F)|(\u002F[\u0021-\u007F]+\u002F))";
    case Pattern::kPathPrefix: return R"(\u002F[\u0021-\u007F]*)";
    case Pattern::kPolicyPath: return R"(((/[A-Za-z0-9\.,\+@=_-]+)*)/)";
    case Pattern::kMarker: return R"([\u0020-\u00FF]+)";
    case Pattern::kPolicyDocument: return R"([\u0009\u000A\u000D\u0020-\u00FF]+)";
    case Pattern::kTagKey: return R"([\p{L}\p{Z}\p{N}_.:/=+\-@]+)";
    case Pattern::kTagValue: return R"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)";
    case Pattern::kDescription: return R"([\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*)";
    case Pattern::kAccessKeyId: return R"([\w]+)";
    case Pattern::kVersionId: return R"(v[1-9][0-9]*(\.[A-Za-z0-9-]*)?)";
    case Pattern::kSessionName: return R"([\w+=,.@-]*)";
    case Pattern::kExternalId: return R"([\w+=,.@:\/-]*)";
    case Pattern::kAny: return "";
  }
  return "";
}

std::optional<size_t> CodePoints(std::string_view s) {
  std::vector<char32_t> cps;
  if (!DecodeUtf8(s, &cps)) return std::nullopt;
  return cps.size();
}

bool Matches(Pattern p, std::string_view value) {
  std::vector<char32_t> cps;
  if (!DecodeUtf8(value, &cps)) return false;
  switch (p) {
    case Pattern::kName:
      return !cps.empty() && AllOf(cps, [](char32_t c) { return IsWord(c) || In(c, "+=,.@-"); });
    case Pattern::kSessionName:
      return AllOf(cps, [](char32_t c) { return IsWord(c) || In(c, "+=,.@-"); });
    case Pattern::kExternalId:
      return AllOf(cps, [](char32_t c) { return IsWord(c) || In(c, "+=,.@:/-"); });
    case Pattern::kAccessKeyId:
      return !cps.empty() && AllOf(cps, IsWord);
    case Pattern::kPath: {
      if (cps.size() == 1) return cps[0] == '/';
      if (cps.size() < 3 || cps.front() != '/' || cps.back() != '/') return false;
      for (size_t i = 1; i + 1 < cps.size(); ++i) {
        if (cps[i] < 0x21 || cps[i] > 0x7F) return false;
      }
      return true;
    }
    case Pattern::kPathPrefix: {
      if (cps.empty() || cps[0] != '/') return false;
      for (size_t i = 1; i < cps.size(); ++i) {
        if (cps[i] < 0x21 || cps[i] > 0x7F) return false;
      }
      return true;
    }
    case Pattern::kPolicyPath: {
      // Segments "/x+" then a final "/": so it starts and ends with '/', no
      // empty segment, and the characters are from the set.
      if (cps.empty() || cps.front() != '/' || cps.back() != '/') return false;
      for (size_t i = 0; i < cps.size(); ++i) {
        char32_t c = cps[i];
        if (c == '/') {
          if (i > 0 && cps[i - 1] == '/') return false;
          continue;
        }
        if (!(IsWord(c) || In(c, ".,+@=-"))) return false;
      }
      return true;
    }
    case Pattern::kMarker:
      return !cps.empty() && AllOf(cps, [](char32_t c) { return c >= 0x20 && c <= 0xFF; });
    case Pattern::kPolicyDocument:
      return !cps.empty() && AllOf(cps, [](char32_t c) {
        return c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0xFF);
      });
    case Pattern::kTagKey:
      return !cps.empty() && AllOf(cps, IsTagChar);
    case Pattern::kTagValue:
      return AllOf(cps, IsTagChar);
    case Pattern::kDescription:
      return AllOf(cps, [](char32_t c) { return !IsControl(c); });
    case Pattern::kVersionId: {
      std::string_view v = value;
      if (v.size() < 2 || v[0] != 'v' || v[1] < '1' || v[1] > '9') return false;
      size_t i = 2;
      while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
      if (i == v.size()) return true;
      if (v[i] != '.') return false;
      for (++i; i < v.size(); ++i) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-')) {
          return false;
        }
      }
      return true;
    }
    case Pattern::kAny:
      return true;
  }
  return false;
}

ApiError ValidationError(std::string message) {
  return ApiError{400, "ValidationError", std::move(message)};
}

ApiError ConstraintError(std::string_view member, std::string_view value, std::string_view what) {
  // Long values (policy documents) are cut so the message stays readable.
  std::string shown(value.substr(0, 256));
  return ValidationError(
      fmt::format("1 validation error detected: Value '{}' at '{}' failed to satisfy "
                  "constraint: {}",
                  shown, member, what));
}

ApiResult<std::optional<std::string>> GetString(const QueryParams& q, const StringRule& rule,
                                                bool required) {
  const std::string* v = q.Get(rule.param);
  if (!v) {
    if (required) {
      return Fail(ValidationError(fmt::format(
          "1 validation error detected: Value null at '{}' failed to satisfy constraint: "
          "Member must not be null",
          rule.member)));
    }
    return std::optional<std::string>();
  }
  auto n = CodePoints(*v);
  if (!n) return Fail(ConstraintError(rule.member, "", "Member must be valid UTF-8"));
  if (*n < rule.min) {
    return Fail(ConstraintError(rule.member, *v,
                                fmt::format("Member must have length greater than or equal to {}",
                                            rule.min)));
  }
  if (rule.max > 0 && *n > rule.max) {
    return Fail(ConstraintError(
        rule.member, *v,
        fmt::format("Member must have length less than or equal to {}", rule.max)));
  }
  if (rule.pattern != Pattern::kAny && !Matches(rule.pattern, *v)) {
    return Fail(ConstraintError(
        rule.member, *v,
        fmt::format("Member must satisfy regular expression pattern: {}", PatternText(rule.pattern))));
  }
  return std::optional<std::string>(*v);
}

ApiResult<std::string> RequireString(const QueryParams& q, const StringRule& rule) {
  auto v = GetString(q, rule, true);
  if (!v) return Fail(v.error());
  return std::move(**v);
}

ApiResult<std::optional<long long>> GetInt(const QueryParams& q, std::string_view param,
                                           std::string_view member, long long min, long long max) {
  const std::string* v = q.Get(param);
  if (!v) return std::optional<long long>();
  long long n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || v->empty()) {
    return Fail(ConstraintError(member, *v, "Member must be an integer"));
  }
  if (n < min) {
    return Fail(ConstraintError(member, *v,
                                fmt::format("Member must have value greater than or equal to {}", min)));
  }
  if (n > max) {
    return Fail(ConstraintError(member, *v,
                                fmt::format("Member must have value less than or equal to {}", max)));
  }
  return std::optional<long long>(n);
}

ApiResult<std::optional<bool>> GetBool(const QueryParams& q, std::string_view param,
                                       std::string_view member) {
  const std::string* v = q.Get(param);
  if (!v) return std::optional<bool>();
  std::string lower;
  for (char c : *v) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  if (lower == "true") return std::optional<bool>(true);
  if (lower == "false") return std::optional<bool>(false);
  return Fail(ConstraintError(member, *v, "Member must be a boolean (true or false)"));
}

size_t PolicySize(std::string_view document) {
  size_t n = 0;
  for (char c : document) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') ++n;
  }
  return n;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace elfs::api::iam
