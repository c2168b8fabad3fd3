// The policy engine's view of an API principal (iam::Principal is kept apart
// from api::Principal so the engine sits below the API layer).
#pragma once

#include "api/common/principal.h"
#include "iam/principal.h"

namespace elfs::api {

// aws:username exists for IAM users only; a role session carries its role's
// ARN so resource policies naming the role match it.
::elfs::iam::Principal ToPolicyPrincipal(const Principal& p);

}  // namespace elfs::api
