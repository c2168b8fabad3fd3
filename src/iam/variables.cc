// Policy variable expansion; see variables.h.
#include "iam/variables.h"

#include "iam/wildcard.h"

namespace elfs::iam {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// One "${...}" occurrence: the text between the braces.
struct VarRef {
  std::string_view key;
  std::optional<std::string_view> def;  // default value (without quotes)
};

// Parses the inside of "${...}". nullopt if malformed.
std::optional<VarRef> ParseInside(std::string_view inside) {
  VarRef ref;
  auto comma = inside.find(',');
  if (comma == std::string_view::npos) {
    ref.key = Trim(inside);
  } else {
    ref.key = Trim(inside.substr(0, comma));
    std::string_view d = Trim(inside.substr(comma + 1));
    if (d.size() < 2 || d.front() != '\'' || d.back() != '\'') return std::nullopt;
    d = d.substr(1, d.size() - 2);
    if (d.find('\'') != std::string_view::npos) return std::nullopt;
    ref.def = d;
  }
  if (ref.key.empty() || ref.key.find_first_of(" '${") != std::string_view::npos) {
    return std::nullopt;
  }
  return ref;
}

// Finds the '}' closing a variable opened at `open` ("${"), skipping quoted
// defaults. npos if none.
size_t FindClose(std::string_view text, size_t open) {
  bool quoted = false;
  for (size_t i = open + 2; i < text.size(); ++i) {
    if (text[i] == '\'') quoted = !quoted;
    if (text[i] == '}' && !quoted) return i;
  }
  return std::string_view::npos;
}

void AppendLiteral(std::string& out, std::string_view s, ExpandMode mode) {
  if (mode == ExpandMode::kWildcard) {
    out += EscapeLiteralBackslashes(s);
  } else {
    out += s;
  }
}

void AppendValue(std::string& out, std::string_view s, ExpandMode mode) {
  if (mode == ExpandMode::kWildcard) {
    out += EscapeWildcards(s);
  } else {
    out += s;
  }
}

}  // namespace

bool HasVariables(std::string_view text) { return text.find("${") != std::string_view::npos; }

Status ValidateVariables(std::string_view text, std::string_view where) {
  size_t pos = 0;
  while ((pos = text.find("${", pos)) != std::string_view::npos) {
    size_t close = FindClose(text, pos);
    if (close == std::string_view::npos) {
      return Status::Invalid(std::string(where) + ": unterminated policy variable in \"" +
                             std::string(text) + "\"");
    }
    std::string_view inside = text.substr(pos + 2, close - pos - 2);
    if (inside != "*" && inside != "?" && inside != "$" && !ParseInside(inside)) {
      return Status::Invalid(std::string(where) + ": malformed policy variable \"${" +
                             std::string(inside) + "}\"");
    }
    pos = close + 1;
  }
  return Status::Ok();
}

std::optional<std::string> ExpandVariables(std::string_view text, const RequestContext& ctx,
                                           ExpandMode mode, std::vector<std::string>* missing) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  bool ok = true;
  while (pos < text.size()) {
    size_t open = text.find("${", pos);
    size_t close = open == std::string_view::npos ? open : FindClose(text, open);
    if (close == std::string_view::npos) {
      AppendLiteral(out, text.substr(pos), mode);
      break;
    }
    AppendLiteral(out, text.substr(pos, open - pos), mode);
    std::string_view inside = text.substr(open + 2, close - open - 2);
    pos = close + 1;
    if (inside == "*" || inside == "?" || inside == "$") {
      AppendValue(out, inside, mode);
      continue;
    }
    auto ref = ParseInside(inside);
    if (!ref) {  // validated documents never get here; keep the text
      AppendLiteral(out, text.substr(open, close + 1 - open), mode);
      continue;
    }
    auto values = ctx.Lookup(ref->key);
    if (values && values->size() == 1) {
      AppendValue(out, values->front(), mode);
    } else if (ref->def) {
      AppendValue(out, *ref->def, mode);
    } else {
      if (missing) missing->emplace_back(ref->key);
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::vector<std::string> VariableKeys(std::string_view text) {
  std::vector<std::string> keys;
  size_t pos = 0;
  while ((pos = text.find("${", pos)) != std::string_view::npos) {
    size_t close = FindClose(text, pos);
    if (close == std::string_view::npos) break;
    std::string_view inside = text.substr(pos + 2, close - pos - 2);
    if (inside != "*" && inside != "?" && inside != "$") {
      if (auto ref = ParseInside(inside)) keys.emplace_back(ref->key);
    }
    pos = close + 1;
  }
  return keys;
}

}  // namespace elfs::iam
