// libFuzzer target: arbitrary bytes parsed as a policy document of each type
// (identity, resource, trust); every document that parses is evaluated
// against a fixed set of requests (a user, a role session, root, anonymous,
// a cross-account user) and explained. Checks that nothing crashes, that
// invalid documents always carry a message, and that evaluation is
// deterministic.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "iam/cache.h"
#include "iam/evaluate.h"
#include "iam/policy.h"
#include "iam/simulate.h"

namespace {

using namespace elfs::iam;

RequestContext MakeRequest(Principal who) {
  RequestContext r;
  r.principal = std::move(who);
  r.principal.tags["team"] = "storage";
  r.action = "elasticfilesystem:ClientWrite";
  r.resource = "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-0123456789abcdef0";
  r.keys["aws:SourceIp"] = {"203.0.113.7"};
  r.keys["aws:SecureTransport"] = {"true"};
  r.keys["aws:CurrentTime"] = {"2024-06-01T12:00:00Z"};
  r.keys["aws:TagKeys"] = {"owner", "env"};
  r.keys["elasticfilesystem:AccessedViaMountTarget"] = {"true"};
  r.keys["aws:ResourceTag/owner"] = {"alice"};
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const RequestContext kRequests[] = {
      MakeRequest(Principal::User("111122223333", "alice", "AIDAALICE")),
      MakeRequest(Principal::AssumedRole("111122223333", "admin", "s1", "AROAADMIN")),
      MakeRequest(Principal::AccountRoot("111122223333")),
      MakeRequest(Principal::Anonymous()),
      MakeRequest(Principal::User("444455556666", "bob", "AIDABOB")),
  };
  for (PolicyType type : {PolicyType::kIdentity, PolicyType::kResource, PolicyType::kTrust}) {
    auto parsed = ParseSharedPolicy(text, type);
    if (!parsed) {
      if (parsed.error().message().empty()) std::abort();
      continue;
    }
    PolicySet set;
    set.resource_account = "111122223333";
    if (type == PolicyType::kIdentity) {
      set.identity.push_back({"fuzz", *parsed});
    } else {
      set.resource = LabeledPolicy{"fuzz", *parsed};
    }
    for (const auto& req : kRequests) {
      Decision a = Evaluate(set, req);
      Decision b = Evaluate(set, req);
      if (a.effect != b.effect || a.matched.size() != b.matched.size()) std::abort();
      if (a.matched.size() + a.not_matched.size() > (*parsed)->statements.size()) std::abort();
      (void)a.Reason();
      (void)DecisionCache::Key(req);
    }
    if (type == PolicyType::kResource) {
      (void)CheckPolicyLockout(PolicySet{}, LabeledPolicy{"fuzz", *parsed}, kRequests[0]);
    }
  }
  return 0;
}
