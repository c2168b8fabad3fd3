// Principal descriptors and Principal / NotPrincipal matching; see principal.h.
#include "iam/principal.h"

#include <utility>

#include "iam/wildcard.h"

namespace elfs::iam {
namespace {

// "arn:aws:iam::123456789012:root" -> "123456789012"; else "".
std::string_view RootArnAccount(std::string_view v) {
  // arn:<partition>:iam::<account>:root
  if (v.substr(0, 4) != "arn:") return {};
  auto p = v.find(':', 4);
  if (p == std::string_view::npos || v.substr(p, 6) != ":iam::") return {};
  std::string_view rest = v.substr(p + 6);
  auto c = rest.find(':');
  if (c == std::string_view::npos || rest.substr(c + 1) != "root") return {};
  std::string_view acct = rest.substr(0, c);
  return IsAccountId(acct) ? acct : std::string_view{};
}

bool EntryIsAny(const PrincipalEntry& e) {
  return e.kind == PrincipalEntry::Kind::kAny ||
         (e.kind == PrincipalEntry::Kind::kAws && e.value == "*");
}

// True if entry `e` names the account `account` (bare id or root ARN).
bool EntryNamesAccount(const PrincipalEntry& e, std::string_view account) {
  if (e.kind != PrincipalEntry::Kind::kAws || account.empty()) return false;
  return e.value == account || RootArnAccount(e.value) == account;
}

bool EntryNamesArn(const PrincipalEntry& e, std::string_view arn) {
  return e.kind == PrincipalEntry::Kind::kAws && !arn.empty() && e.value == arn;
}

PrincipalMatch EntryMatch(const PrincipalEntry& e, const Principal& who) {
  if (EntryIsAny(e)) return PrincipalMatch::kDirect;
  switch (who.kind) {
    case Principal::Kind::kAnonymous:
      return PrincipalMatch::kNone;
    case Principal::Kind::kService:
      return e.kind == PrincipalEntry::Kind::kService && e.value == who.arn
                 ? PrincipalMatch::kDirect
                 : PrincipalMatch::kNone;
    case Principal::Kind::kAccountRoot:
      return EntryNamesAccount(e, who.account) || EntryNamesArn(e, who.arn)
                 ? PrincipalMatch::kDirect
                 : PrincipalMatch::kNone;
    case Principal::Kind::kUser:
    case Principal::Kind::kAssumedRole:
      if (EntryNamesArn(e, who.arn) || EntryNamesArn(e, who.role_arn)) {
        return PrincipalMatch::kDirect;
      }
      return EntryNamesAccount(e, who.account) ? PrincipalMatch::kAccount
                                               : PrincipalMatch::kNone;
  }
  return PrincipalMatch::kNone;
}

}  // namespace

bool IsAccountId(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Principal Principal::Anonymous() { return Principal{}; }

Principal Principal::AccountRoot(std::string account) {
  Principal p;
  p.kind = Kind::kAccountRoot;
  p.arn = "arn:aws:iam::" + account + ":root";
  p.user_id = account;
  p.account = std::move(account);
  return p;
}

Principal Principal::User(std::string account, std::string name, std::string user_id,
                          std::string path) {
  Principal p;
  p.kind = Kind::kUser;
  p.arn = "arn:aws:iam::" + account + ":user" + path + name;
  p.account = std::move(account);
  p.user_name = std::move(name);
  p.user_id = std::move(user_id);
  return p;
}

Principal Principal::AssumedRole(std::string account, std::string role_name,
                                 std::string session_name, std::string role_unique_id,
                                 std::string role_path) {
  Principal p;
  p.kind = Kind::kAssumedRole;
  p.arn = "arn:aws:sts::" + account + ":assumed-role/" + role_name + "/" + session_name;
  p.role_arn = "arn:aws:iam::" + account + ":role" + role_path + role_name;
  p.user_id = role_unique_id + ":" + session_name;
  p.account = std::move(account);
  return p;
}

Principal Principal::Service(std::string service) {
  Principal p;
  p.kind = Kind::kService;
  p.arn = std::move(service);
  return p;
}

std::string Principal::Describe() const {
  if (kind == Kind::kAnonymous) return "anonymous";
  return arn;
}

std::string_view Principal::TypeName() const {
  switch (kind) {
    case Kind::kAnonymous: return "Anonymous";
    case Kind::kAccountRoot: return "Account";
    case Kind::kUser: return "User";
    case Kind::kAssumedRole: return "AssumedRole";
    case Kind::kService: return "Service";
  }
  return "Anonymous";
}

PrincipalMatch PrincipalElement::Match(const Principal& who) const {
  PrincipalMatch best = PrincipalMatch::kNone;
  for (const auto& e : entries) {
    PrincipalMatch m = EntryMatch(e, who);
    if (m == PrincipalMatch::kDirect) return m;
    if (m == PrincipalMatch::kAccount) best = m;
  }
  return best;
}

bool PrincipalElement::Matches(const Principal& who) const {
  return Match(who) != PrincipalMatch::kNone;
}

bool PrincipalElement::NotPrincipalApplies(const Principal& who) const {
  bool any = false, account = false, self = false, role = false;
  for (const auto& e : entries) {
    if (EntryIsAny(e)) any = true;
    if (EntryNamesAccount(e, who.account)) account = true;
    if (who.kind == Principal::Kind::kService) {
      if (e.kind == PrincipalEntry::Kind::kService && e.value == who.arn) self = true;
    } else if (EntryNamesArn(e, who.arn)) {
      self = true;
    }
    if (EntryNamesArn(e, who.role_arn)) role = true;
  }
  if (any) return false;  // "NotPrincipal": "*" excludes everyone
  bool excluded = false;
  switch (who.kind) {
    case Principal::Kind::kAnonymous:
      excluded = false;
      break;
    case Principal::Kind::kService:
      excluded = self;
      break;
    case Principal::Kind::kAccountRoot:
      excluded = account;
      break;
    case Principal::Kind::kUser:
      excluded = self && account;
      break;
    case Principal::Kind::kAssumedRole:
      excluded = self && role && account;
      break;
  }
  return !excluded;
}

Status AddPrincipalValue(PrincipalEntry::Kind kind, std::string_view value,
                         std::string_view where, PrincipalElement& out) {
  auto bad = [&](std::string_view why) {
    return Status::Invalid(std::string(where) + ": invalid principal \"" + std::string(value) +
                           "\": " + std::string(why));
  };
  if (value.empty()) return bad("empty");
  if (value != "*" && HasWildcard(value)) {
    return bad("wildcards are allowed only as the whole value \"*\"");
  }
  if (kind == PrincipalEntry::Kind::kAws && value != "*" && !IsAccountId(value)) {
    // arn:<partition>:(iam|sts)::<12 digits>:<something>
    bool ok = value.substr(0, 4) == "arn:";
    std::string_view rest = ok ? value.substr(4) : std::string_view{};
    auto p = rest.find(':');
    ok = ok && p != std::string_view::npos && p > 0;
    std::string_view svc_and_more = ok ? rest.substr(p + 1) : std::string_view{};
    bool iam = svc_and_more.substr(0, 5) == "iam::";
    bool sts = svc_and_more.substr(0, 5) == "sts::";
    ok = ok && (iam || sts);
    std::string_view after = ok ? svc_and_more.substr(5) : std::string_view{};
    ok = ok && after.size() > 13 && IsAccountId(after.substr(0, 12)) && after[12] == ':';
    std::string_view res = ok ? after.substr(13) : std::string_view{};
    if (ok) {
      ok = iam ? (res == "root" || res.substr(0, 5) == "user/" || res.substr(0, 5) == "role/")
               : res.substr(0, 13) == "assumed-role/";
    }
    if (!ok) {
      return bad("expected \"*\", a 12-digit account id, or an IAM user, role, account root "
                 "or assumed-role session ARN");
    }
  }
  out.entries.push_back(PrincipalEntry{kind, std::string(value)});
  return Status::Ok();
}

}  // namespace elfs::iam
