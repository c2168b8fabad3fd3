// Policy document parsing and validation; see policy.h for the rules.
#include "iam/policy.h"

#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "iam/action.h"
#include "iam/resource.h"
#include "iam/variables.h"

namespace elfs::iam {
namespace {

using nlohmann::json;

Status Bad(std::string_view where, std::string what) {
  if (where.empty()) return Status::Invalid(std::move(what));
  return Status::Invalid(std::string(where) + ": " + what);
}

// A string, or a non-empty array of strings.
Status StringList(const json& v, std::string_view where, std::vector<std::string>& out) {
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
    return Status::Ok();
  }
  if (v.is_array() && !v.empty()) {
    for (const auto& e : v) {
      if (!e.is_string()) return Bad(where, "every entry must be a string");
      out.push_back(e.get<std::string>());
    }
    return Status::Ok();
  }
  return Bad(where, "must be a string or a non-empty array of strings");
}

// Condition values: string, number or boolean, or an array of them.
Status ConditionValue(const json& v, std::string_view where, std::vector<std::string>& out) {
  auto one = [&](const json& e) -> Status {
    if (e.is_string()) {
      out.push_back(e.get<std::string>());
    } else if (e.is_boolean()) {
      out.push_back(e.get<bool>() ? "true" : "false");
    } else if (e.is_number()) {
      out.push_back(e.dump());
    } else {
      return Bad(where, "condition values must be strings, numbers or booleans");
    }
    return Status::Ok();
  };
  if (v.is_array()) {
    for (const auto& e : v) ELFS_RETURN_IF_ERROR(one(e));
    return Status::Ok();
  }
  return one(v);
}

bool SidCharOk(char c, PolicyType type) {
  bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  if (alnum) return true;
  // IAM allows only [A-Za-z0-9]; EFS file system policies use Sids such as
  // "efs-statement-<uuid>".
  return type == PolicyType::kResource && (c == ' ' || c == '.' || c == '_' || c == '-');
}

Status ParsePrincipal(const json& v, std::string_view where, PrincipalElement& out) {
  if (v.is_string()) {
    if (v.get<std::string>() != "*") {
      return Bad(where, "must be \"*\" or an object such as {\"AWS\": \"arn:aws:iam::...\"}");
    }
    out.entries.push_back(PrincipalEntry{PrincipalEntry::Kind::kAny, "*"});
    return Status::Ok();
  }
  if (!v.is_object() || v.empty()) {
    return Bad(where, "must be \"*\" or a non-empty object");
  }
  for (const auto& [name, values] : v.items()) {
    PrincipalEntry::Kind kind;
    if (name == "AWS") {
      kind = PrincipalEntry::Kind::kAws;
    } else if (name == "Service") {
      kind = PrincipalEntry::Kind::kService;
    } else if (name == "Federated") {
      kind = PrincipalEntry::Kind::kFederated;
    } else if (name == "CanonicalUser") {
      kind = PrincipalEntry::Kind::kCanonicalUser;
    } else {
      return Bad(where, "unknown principal type " + name +
                            " (expected AWS, Service, Federated or CanonicalUser)");
    }
    std::string w = std::string(where) + "." + name;
    std::vector<std::string> list;
    ELFS_RETURN_IF_ERROR(StringList(values, w, list));
    for (size_t i = 0; i < list.size(); ++i) {
      ELFS_RETURN_IF_ERROR(AddPrincipalValue(kind, list[i], w, out));
    }
  }
  return Status::Ok();
}

Status ParseCondition(const json& v, std::string_view where, bool variables,
                      std::vector<ConditionClause>& out) {
  if (!v.is_object()) return Bad(where, "must be an object of operators");
  for (const auto& [op_name, block] : v.items()) {
    auto op = ParseConditionOperator(op_name);
    if (!op) return Bad(where, "unknown operator " + op_name);
    std::string w = std::string(where) + "." + op_name;
    if (!block.is_object() || block.empty()) {
      return Bad(w, "must be a non-empty object of condition keys");
    }
    for (const auto& [key, values] : block.items()) {
      auto colon = key.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == key.size()) {
        return Bad(w, "condition key \"" + key +
                          "\" must be prefixed by a service, e.g. aws:SourceIp");
      }
      ConditionClause clause;
      clause.op = *op;
      clause.key = key;
      std::string kw = w + "." + key;
      ELFS_RETURN_IF_ERROR(ConditionValue(values, kw, clause.values));
      ELFS_RETURN_IF_ERROR(ValidateConditionClause(clause, variables, kw));
      out.push_back(std::move(clause));
    }
  }
  return Status::Ok();
}

Status ParseStatement(const json& s, std::string_view where, PolicyType type, bool variables,
                      Statement& st) {
  if (!s.is_object()) return Bad(where, "a statement must be an object");
  bool has_effect = false, has_action = false;
  for (const auto& [name, v] : s.items()) {
    std::string w = std::string(where) + "." + name;
    if (name == "Sid") {
      if (!v.is_string()) return Bad(w, "must be a string");
      st.sid = v.get<std::string>();
      for (char c : st.sid) {
        if (!SidCharOk(c, type)) {
          return Bad(w, "invalid character in Sid \"" + st.sid + "\"" +
                            (type == PolicyType::kResource
                                 ? " (allowed: letters, digits, space, '.', '_', '-')"
                                 : " (allowed: letters and digits)"));
        }
      }
    } else if (name == "Effect") {
      if (!v.is_string()) return Bad(w, "must be \"Allow\" or \"Deny\"");
      const std::string& e = v.get_ref<const std::string&>();
      if (e == "Allow") {
        st.effect = Effect::kAllow;
      } else if (e == "Deny") {
        st.effect = Effect::kDeny;
      } else {
        return Bad(w, "invalid effect \"" + e + "\" (expected \"Allow\" or \"Deny\")");
      }
      has_effect = true;
    } else if (name == "Principal" || name == "NotPrincipal") {
      if (type == PolicyType::kIdentity) {
        return Bad(where, name + " is not allowed in an identity-based policy");
      }
      if (st.has_principal) return Bad(where, "has both Principal and NotPrincipal");
      st.has_principal = true;
      st.not_principal = name == "NotPrincipal";
      ELFS_RETURN_IF_ERROR(ParsePrincipal(v, w, st.principal));
    } else if (name == "Action" || name == "NotAction") {
      if (has_action) return Bad(where, "has both Action and NotAction");
      has_action = true;
      st.not_action = name == "NotAction";
      ELFS_RETURN_IF_ERROR(StringList(v, w, st.actions));
      for (size_t i = 0; i < st.actions.size(); ++i) {
        ELFS_RETURN_IF_ERROR(ValidateAction(st.actions[i], w + "[" + std::to_string(i) + "]"));
      }
    } else if (name == "Resource" || name == "NotResource") {
      if (type == PolicyType::kTrust) {
        return Bad(where, name + " is not allowed in a role trust policy");
      }
      if (st.has_resource) return Bad(where, "has both Resource and NotResource");
      st.has_resource = true;
      st.not_resource = name == "NotResource";
      ELFS_RETURN_IF_ERROR(StringList(v, w, st.resources));
      for (size_t i = 0; i < st.resources.size(); ++i) {
        std::string rw = w + "[" + std::to_string(i) + "]";
        ELFS_RETURN_IF_ERROR(ValidateResource(st.resources[i], rw));
        if (variables) ELFS_RETURN_IF_ERROR(ValidateVariables(st.resources[i], rw));
      }
    } else if (name == "Condition") {
      ELFS_RETURN_IF_ERROR(ParseCondition(v, w, variables, st.conditions));
    } else {
      return Bad(where, "unknown field " + name);
    }
  }
  if (!has_effect) return Bad(where, "missing required field Effect");
  if (!has_action) return Bad(where, "missing required field Action or NotAction");
  if (type != PolicyType::kIdentity && !st.has_principal) {
    return Bad(where, std::string("missing required field Principal or NotPrincipal (required in ") +
                          (type == PolicyType::kTrust ? "a role trust policy)"
                                                      : "a resource-based policy)"));
  }
  if (type != PolicyType::kTrust && !st.has_resource) {
    return Bad(where, "missing required field Resource or NotResource");
  }
  return Status::Ok();
}

// ---- statement positions ----
//
// nlohmann::json keeps no source positions, so one linear scan over the text
// finds the top-level "Statement" member and the objects inside it.

struct Span {
  size_t begin, end;  // offsets of '{' and '}'
};

// Skips a JSON string starting at s[i] == '"'; returns the index after it.
size_t SkipString(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return s.size();
}

std::vector<Span> StatementSpans(std::string_view s) {
  std::vector<Span> spans;
  int depth = 0;
  std::string_view last_key;  // the last string seen at depth 1
  bool in_statement = false;  // inside the value of the top-level "Statement"
  int statement_depth = 0;    // depth at which statement objects open
  std::vector<size_t> open;   // offsets of open '{' / '['
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      size_t end = SkipString(s, i);
      if (depth == 1 && !in_statement) last_key = s.substr(i + 1, end - i - 2);
      i = end - 1;
    } else if (c == '{' || c == '[') {
      if (depth == 1 && last_key == "Statement" && !in_statement) {
        // The value of "Statement": an object (one statement) or an array.
        in_statement = true;
        spans.clear();  // a later duplicate "Statement" wins, as in the parser
        statement_depth = c == '{' ? 1 : 2;
      }
      ++depth;
      open.push_back(i);
    } else if (c == '}' || c == ']') {
      if (open.empty()) break;
      size_t o = open.back();
      open.pop_back();
      if (in_statement && c == '}' && depth - 1 == statement_depth) spans.push_back({o, i});
      --depth;
      if (in_statement && depth == 1) {
        in_statement = false;
        last_key = {};
      }
    } else if (c == ',' && depth == 1) {
      last_key = {};
    }
  }
  return spans;
}

void AssignPositions(std::string_view s, Policy& policy) {
  std::vector<Span> spans = StatementSpans(s);
  if (spans.size() != policy.statements.size()) return;  // unusual text: leave 0:0
  // Offsets are increasing: walk the text once.
  size_t pos = 0;
  TextPosition at{1, 1};
  auto advance_to = [&](size_t target) {
    for (; pos < target; ++pos) {
      if (s[pos] == '\n') {
        ++at.line;
        at.column = 1;
      } else if ((static_cast<unsigned char>(s[pos]) & 0xC0) != 0x80) {
        ++at.column;  // count characters, not UTF-8 continuation bytes
      }
    }
    return at;
  };
  for (size_t i = 0; i < spans.size(); ++i) {
    policy.statements[i].start = advance_to(spans[i].begin);
    TextPosition e = advance_to(spans[i].end);
    policy.statements[i].end = TextPosition{e.line, e.column + 1};  // just after '}'
  }
}

}  // namespace

size_t MaxPolicyChars(PolicyType type) {
  switch (type) {
    case PolicyType::kIdentity: return kMaxIdentityPolicyChars;
    case PolicyType::kResource: return kMaxResourcePolicyChars;
    case PolicyType::kTrust: return kMaxTrustPolicyChars;
  }
  return kMaxIdentityPolicyChars;
}

std::string_view PolicyTypeName(PolicyType type) {
  switch (type) {
    case PolicyType::kIdentity: return "identity-based";
    case PolicyType::kResource: return "resource-based";
    case PolicyType::kTrust: return "role trust";
  }
  return "identity-based";
}

std::string_view EffectName(Effect e) { return e == Effect::kAllow ? "Allow" : "Deny"; }

size_t PolicyCharCount(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      size_t end = SkipString(s, i);
      for (size_t j = i; j < end; ++j) {
        if ((static_cast<unsigned char>(s[j]) & 0xC0) != 0x80) ++n;
      }
      i = end - 1;
    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      ++n;
    }
  }
  return n;
}

Result<Policy> ParsePolicy(std::string_view text, PolicyType type) {
  if (text.size() > kMaxPolicyBytes) {
    return Err(Errc::kInvalid, "policy document is " + std::to_string(text.size()) +
                                   " bytes; the limit is " + std::to_string(kMaxPolicyBytes));
  }
  size_t chars = PolicyCharCount(text);
  if (chars > MaxPolicyChars(type)) {
    return Err(Errc::kInvalid, "policy document is " + std::to_string(chars) +
                                   " characters; a " + std::string(PolicyTypeName(type)) +
                                   " policy may have at most " +
                                   std::to_string(MaxPolicyChars(type)));
  }
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    return Err(Errc::kInvalid, "policy document is not valid JSON: " + what);
  }
  if (!doc.is_object()) return Err(Errc::kInvalid, "policy document must be a JSON object");

  Policy policy;
  policy.type = type;
  policy.version = std::string(kVersion2008);  // IAM's default when Version is absent
  const json* statements = nullptr;
  for (const auto& [name, v] : doc.items()) {
    if (name == "Version") {
      if (!v.is_string() ||
          (v.get<std::string>() != kVersion2012 && v.get<std::string>() != kVersion2008)) {
        return Err(Errc::kInvalid, "Version: must be \"2012-10-17\" or \"2008-10-17\"");
      }
      policy.version = v.get<std::string>();
    } else if (name == "Id") {
      if (!v.is_string()) return Err(Errc::kInvalid, "Id: must be a string");
      policy.id = v.get<std::string>();
    } else if (name == "Statement") {
      statements = &v;
    } else {
      return Err(Errc::kInvalid, "unknown field " + name);
    }
  }
  if (!statements) return Err(Errc::kInvalid, "missing required field Statement");
  const bool variables = policy.variables_enabled();
  if (statements->is_object()) {
    Statement st;
    ELFS_RETURN_IF_ERROR_R(ParseStatement(*statements, "Statement", type, variables, st));
    policy.statements.push_back(std::move(st));
  } else if (statements->is_array() && !statements->empty()) {
    for (size_t i = 0; i < statements->size(); ++i) {
      Statement st;
      ELFS_RETURN_IF_ERROR_R(ParseStatement((*statements)[i],
                                            "Statement[" + std::to_string(i) + "]", type,
                                            variables, st));
      policy.statements.push_back(std::move(st));
    }
  } else {
    return Err(Errc::kInvalid, "Statement: must be an object or a non-empty array of objects");
  }
  std::set<std::string> sids;
  for (size_t i = 0; i < policy.statements.size(); ++i) {
    const std::string& sid = policy.statements[i].sid;
    if (!sid.empty() && !sids.insert(sid).second) {
      return Err(Errc::kInvalid, "Statement[" + std::to_string(i) + "].Sid: duplicate Sid \"" +
                                     sid + "\" (statement ids must be unique)");
    }
  }
  AssignPositions(text, policy);
  return policy;
}

Result<std::shared_ptr<const Policy>> ParseSharedPolicy(std::string_view json_text,
                                                        PolicyType type) {
  auto p = ParsePolicy(json_text, type);
  if (!p) return Err(std::move(p.error()));
  return std::make_shared<const Policy>(std::move(*p));
}

}  // namespace elfs::iam
