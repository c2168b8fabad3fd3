#include "api/common/policy_principal.h"

namespace elfs::api {

::elfs::iam::Principal ToPolicyPrincipal(const Principal& p) {
  ::elfs::iam::Principal out;
  switch (p.kind) {
    case Principal::Kind::kAnonymous: return ::elfs::iam::Principal::Anonymous();
    case Principal::Kind::kRoot: out.kind = ::elfs::iam::Principal::Kind::kAccountRoot; break;
    case Principal::Kind::kUser:
      out.kind = ::elfs::iam::Principal::Kind::kUser;
      out.user_name = p.name;
      break;
    case Principal::Kind::kAssumedRole:
      out.kind = ::elfs::iam::Principal::Kind::kAssumedRole;
      out.role_arn = p.role_arn;
      break;
  }
  out.account = p.account;
  out.arn = p.arn;
  out.user_id = p.user_id;
  out.tags = p.tags;
  return out;
}

}  // namespace elfs::api
