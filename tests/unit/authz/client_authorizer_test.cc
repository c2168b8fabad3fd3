// ClientAuthorizer: the per-connection IAM decisions of SPEC §1.3 (with the
// request context it builds), the identity mapping of §1.4, caching and
// invalidation, and the explanation.
#include "authz/client_authorizer.h"

#include <gtest/gtest.h>

#include "fake_policy_source.h"

namespace elfs::authz {
namespace {

using test::FakePolicySource;
using test::ResourcePolicy;

constexpr const char* kFs = "fs-0123456789abcdef0";
const std::string kAllowMountAll =
    R"("Sid":"MountAll","Effect":"Allow","Principal":"*","Action":"elasticfilesystem:ClientMount","Resource":"*")";

class ClientAuthorizerTest : public ::testing::Test {
 protected:
  ConnectionFacts Plain(std::string ip = "10.0.0.5") {
    ConnectionFacts f;
    f.file_system_id = kFs;
    f.source_ip = std::move(ip);
    return f;
  }
  ConnectionFacts Tls(std::string akid = "", std::string ap = "") {
    ConnectionFacts f = Plain();
    f.tls = true;
    f.access_key_id = std::move(akid);
    f.access_point_id = std::move(ap);
    return f;
  }

  FakeClock clock_;
  FakePolicySource source_;
  ClientAuthorizer authz_{source_, clock_};
};

Identity Caller(uint32_t uid, uint32_t gid, std::vector<uint32_t> groups = {}) {
  Identity id;
  id.uid = uid;
  id.gid = gid;
  id.groups = std::move(groups);
  return id;
}

TEST_F(ClientAuthorizerTest, NoPolicyGivesAnonymousFullAccessRootIncluded) {
  auto d = authz_.Decide(Plain());
  EXPECT_TRUE(d->mountable());
  EXPECT_TRUE(d->write);
  EXPECT_TRUE(d->root);
  EXPECT_TRUE(d->principal.anonymous());
  Identity root = d->Map(Caller(0, 0, {0, 10}));
  EXPECT_EQ(root.uid, 0u);
  EXPECT_EQ(root.gid, 0u);
  EXPECT_EQ(root.groups, (std::vector<uint32_t>{0, 10}));
  ASSERT_EQ(d->mount_decision->matched.size(), 1u);
  EXPECT_EQ(d->mount_decision->matched[0].policy_label, iam::kDefaultEfsPolicyLabel);
  EXPECT_NE(d->Explain().find("mount allowed, read-write, root access"), std::string::npos);
}

TEST_F(ClientAuthorizerTest, MountOnlyPolicyIsReadOnlyAndSquashesRoot) {
  source_.SetPolicy(kFs, ResourcePolicy({kAllowMountAll}));
  auto d = authz_.Decide(Plain());
  EXPECT_TRUE(d->mountable());
  EXPECT_FALSE(d->write);
  EXPECT_FALSE(d->root);
  EXPECT_EQ(d->write_decision->effect, iam::DecisionEffect::kImplicitDeny);
  Identity root = d->Map(Caller(0, 0, {0, 10}));
  EXPECT_EQ(root.uid, kNobodyId);
  EXPECT_EQ(root.gid, kNobodyId);
  EXPECT_EQ(root.groups, (std::vector<uint32_t>{kNobodyId, 10}));
  // Squash is per id: a user with primary group 0 keeps its uid.
  Identity user = d->Map(Caller(1000, 0));
  EXPECT_EQ(user.uid, 1000u);
  EXPECT_EQ(user.gid, kNobodyId);
  std::string text = d->Explain();
  EXPECT_NE(text.find("read-only, root squashed to 65534:65534"), std::string::npos) << text;
  EXPECT_NE(text.find("\"MountAll\""), std::string::npos) << text;
}

TEST_F(ClientAuthorizerTest, NoClientMountRefusesAtTheIamLayer) {
  source_.SetPolicy(kFs, ResourcePolicy({R"("Effect":"Allow","Principal":"*","Action":"elasticfilesystem:ClientWrite","Resource":"*")"}));
  auto d = authz_.Decide(Plain());
  EXPECT_FALSE(d->mountable());
  EXPECT_EQ(d->refused_layer, "iam");
  EXPECT_NE(d->refused.find("elasticfilesystem:ClientMount"), std::string::npos) << d->refused;
  // ClientWrite does not imply ClientMount, and vice versa.
  EXPECT_TRUE(d->write);
}

TEST_F(ClientAuthorizerTest, IdentityAllowIsEnoughInTheSameAccount) {
  source_.SetPolicy(kFs, ResourcePolicy({kAllowMountAll}));
  source_.AddUser("AKIAALICE", "alice",
                  {R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"elasticfilesystem:ClientWrite","Resource":"*"}]})"});
  auto d = authz_.Decide(Tls("AKIAALICE"));
  EXPECT_TRUE(d->mountable());
  EXPECT_TRUE(d->write);
  EXPECT_FALSE(d->root);
  EXPECT_EQ(d->principal.arn, "arn:aws:iam::111122223333:user/alice");
}

TEST_F(ClientAuthorizerTest, FileSystemPolicyDenyWinsOverIdentityAllow) {
  source_.SetPolicy(
      kFs, ResourcePolicy({kAllowMountAll,
                           R"("Sid":"NoWriteForAlice","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"elasticfilesystem:ClientWrite","Resource":"*")"}));
  source_.AddUser("AKIAALICE", "alice",
                  {R"({"Version":"2012-10-17","Statement":[{"Sid":"W","Effect":"Allow","Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"*"}]})"});
  auto d = authz_.Decide(Tls("AKIAALICE"));
  EXPECT_TRUE(d->mountable());
  EXPECT_FALSE(d->write);
  EXPECT_EQ(d->write_decision->effect, iam::DecisionEffect::kExplicitDeny);
  bool saw_deny = false;
  for (const auto& m : d->write_decision->matched)
    if (m.sid == "NoWriteForAlice" && m.effect == iam::Effect::kDeny) saw_deny = true;
  EXPECT_TRUE(saw_deny);
  EXPECT_NE(d->Explain().find("matched Deny statement \"NoWriteForAlice\""), std::string::npos)
      << d->Explain();
  nlohmann::json j = d->ToJson();
  EXPECT_EQ(j["principal"], "arn:aws:iam::111122223333:user/alice");
  EXPECT_EQ(j["write"], false);
  EXPECT_EQ(j["actions"]["ClientWrite"]["decision"], "explicitDeny");
  bool listed = false;
  for (const auto& m : j["actions"]["ClientWrite"]["matched"])
    if (m["sid"] == "NoWriteForAlice" && m["effect"] == "Deny") listed = true;
  EXPECT_TRUE(listed) << j.dump();
  EXPECT_EQ(j["posix"]["root_uid"], kNobodyId);
}

TEST_F(ClientAuthorizerTest, PreventAnonymousAccessPreset) {
  source_.SetPolicy(kFs, ResourcePolicy({R"("Effect":"Allow","Principal":{"AWS":"*"},"Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite","elasticfilesystem:ClientRootAccess"],"Resource":"*","Condition":{"Bool":{"elasticfilesystem:AccessedViaMountTarget":"true"},"Null":{"aws:PrincipalArn":"false"}})"}));
  source_.AddUser("AKIABOB", "bob");
  EXPECT_FALSE(authz_.Decide(Plain())->mountable());
  EXPECT_FALSE(authz_.Decide(Tls())->mountable());
  auto bob = authz_.Decide(Tls("AKIABOB"));
  EXPECT_TRUE(bob->mountable());
  EXPECT_TRUE(bob->write);
  EXPECT_TRUE(bob->root);
}

TEST_F(ClientAuthorizerTest, EnforceInTransitEncryptionPreset) {
  source_.SetPolicy(
      kFs, ResourcePolicy({R"("Effect":"Allow","Principal":{"AWS":"*"},"Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"*","Condition":{"Bool":{"elasticfilesystem:AccessedViaMountTarget":"true"}})",
                           R"("Sid":"NoPlain","Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}})"}));
  auto plain = authz_.Decide(Plain());
  EXPECT_FALSE(plain->mountable());
  EXPECT_EQ(plain->mount_decision->effect, iam::DecisionEffect::kExplicitDeny);
  auto tls = authz_.Decide(Tls());
  EXPECT_TRUE(tls->mountable());
  EXPECT_TRUE(tls->write);
}

TEST_F(ClientAuthorizerTest, SourceIpCondition) {
  source_.SetPolicy(kFs, ResourcePolicy({kAllowMountAll,
                                         R"("Effect":"Deny","Principal":"*","Action":"elasticfilesystem:ClientMount","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/24"}})"}));
  EXPECT_TRUE(authz_.Decide(Plain("10.0.0.9"))->mountable());
  EXPECT_FALSE(authz_.Decide(Plain("10.0.1.9"))->mountable());
}

TEST_F(ClientAuthorizerTest, IdentityLayerRefusals) {
  source_.AddUser("AKIAOK", "ok");
  FakePolicySource::Key off;
  off.principal.principal = iam::Principal::User(test::kAccount, "off", "AIDAOFF");
  off.active = false;
  source_.SetKey("AKIAOFF", off);
  FakePolicySource::Key session;
  session.principal.principal =
      iam::Principal::AssumedRole(test::kAccount, "app", "s1", "AROAAPP");
  session.session_token = "tok";
  session.principal.expires = clock_.Now().sec + 60;
  source_.SetKey("ASIASESSION", session);

  EXPECT_TRUE(authz_.Decide(Tls("AKIAOK"))->mountable());
  for (const char* akid : {"AKIAUNKNOWN", "AKIAOFF"}) {
    auto d = authz_.Decide(Tls(akid));
    EXPECT_FALSE(d->mountable()) << akid;
    EXPECT_EQ(d->refused_layer, "identity") << akid;
  }
  ConnectionFacts s = Tls("ASIASESSION");
  EXPECT_FALSE(authz_.Decide(s)->mountable());  // no token
  s.session_token = "tok";
  auto live = authz_.ForConnection(s);
  EXPECT_TRUE(live->mountable());
  ASSERT_TRUE(live->valid_until.has_value());
  EXPECT_EQ(authz_.ForConnection(s), live);
  // The session expires: the connection's next request re-evaluates.
  clock_.Advance(std::chrono::seconds(61));
  auto expired = authz_.ForConnection(s);
  EXPECT_FALSE(expired->mountable());
  EXPECT_EQ(expired->refused_layer, "identity");

  ConnectionFacts other = Tls("AKIAOK");
  other.certificate_file_system_id = "fs-0000000000000000a";
  EXPECT_EQ(authz_.Decide(other)->refused_layer, "identity");
}

TEST_F(ClientAuthorizerTest, SessionPolicyLimitsTheSession) {
  // The role allows every client action; the session was issued with a
  // policy that allows ClientMount only.
  FakePolicySource::Key session;
  session.principal.principal =
      iam::Principal::AssumedRole(test::kAccount, "app", "s1", "AROAAPP");
  session.principal.identity_policies.push_back(
      {"role/app:inline/All",
       R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"elasticfilesystem:Client*","Resource":"*"}]})"});
  session.principal.session_policy = ResolvedPrincipal::PolicyText{
      "session-policy",
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"elasticfilesystem:ClientMount","Resource":"*"}]})"};
  session.session_token = "tok";
  source_.SetKey("ASIALIMITED", session);
  source_.SetPolicy(kFs, ResourcePolicy({R"("Effect":"Deny","Principal":"*","Action":"elasticfilesystem:ClientMount","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}})"}));

  ConnectionFacts f = Tls("ASIALIMITED");
  f.session_token = "tok";
  auto d = authz_.Decide(f);
  ASSERT_TRUE(d->mountable()) << d->Explain();
  EXPECT_FALSE(d->write);
  EXPECT_FALSE(d->root);
  EXPECT_EQ(d->write_decision->basis, "the session policy does not allow it");

  session.principal.session_policy.reset();
  source_.SetKey("ASIALIMITED", session);
  d = authz_.Decide(f);
  EXPECT_TRUE(d->write && d->root) << d->Explain();
}

TEST_F(ClientAuthorizerTest, AccessPointLayer) {
  AccessPointConfig ap;
  ap.id = "fsap-0123456789abcdef0";
  ap.file_system_id = kFs;
  ap.posix_user = AccessPointConfig::PosixUser{1000, 1000, {2000}};
  source_.AddAccessPoint(ap);
  AccessPointConfig foreign = ap;
  foreign.id = "fsap-0123456789abcdef1";
  foreign.file_system_id = "fs-0000000000000000a";
  source_.AddAccessPoint(foreign);

  auto d = authz_.Decide(Tls("", ap.id));
  ASSERT_TRUE(d->mountable()) << d->refused;
  Identity mapped = d->Map(Caller(0, 0, {0}));
  EXPECT_EQ(mapped.uid, 1000u);
  EXPECT_EQ(mapped.gid, 1000u);
  EXPECT_EQ(mapped.groups, (std::vector<uint32_t>{2000}));
  EXPECT_EQ(d->Map(Caller(42, 43)).uid, 1000u);

  ConnectionFacts plain = Plain();
  plain.access_point_id = ap.id;
  EXPECT_EQ(authz_.Decide(plain)->refused_layer, "access-point");
  EXPECT_EQ(authz_.Decide(Tls("", "fsap-00000000000000000"))->refused_layer, "access-point");
  auto other_fs = authz_.Decide(Tls("", foreign.id));
  EXPECT_EQ(other_fs->refused_layer, "access-point");
  EXPECT_NE(other_fs->refused.find("belongs to"), std::string::npos);
}

TEST_F(ClientAuthorizerTest, AccessPointRootUserNeedsClientRootAccess) {
  AccessPointConfig ap;
  ap.id = "fsap-00000000000000000";
  ap.file_system_id = kFs;
  ap.posix_user = AccessPointConfig::PosixUser{0, 0, {0, 7}};
  source_.AddAccessPoint(ap);
  source_.SetPolicy(kFs, ResourcePolicy({R"("Effect":"Allow","Principal":"*","Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"*")"}));
  Identity squashed = authz_.Decide(Tls("", ap.id))->Map(Caller(1000, 1000));
  EXPECT_EQ(squashed.uid, kNobodyId);
  EXPECT_EQ(squashed.gid, kNobodyId);
  EXPECT_EQ(squashed.groups, (std::vector<uint32_t>{kNobodyId, 7}));
  source_.ClearPolicy(kFs);
  authz_.Invalidate();
  EXPECT_EQ(authz_.ForConnection(Tls("", ap.id))->Map(Caller(1000, 1000)).uid, 0u);
}

TEST_F(ClientAuthorizerTest, AccessPointArnConditions) {
  for (const char* id : {"fsap-000000000000000aa", "fsap-000000000000000bb"}) {
    AccessPointConfig ap;
    ap.id = id;
    ap.file_system_id = kFs;
    source_.AddAccessPoint(ap);
  }
  const std::string rw = test::ApArn("fsap-000000000000000aa");
  const std::string ro = test::ApArn("fsap-000000000000000bb");
  source_.SetPolicy(
      kFs, ResourcePolicy({R"("Effect":"Allow","Principal":"*","Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"*","Condition":{"StringEquals":{"elasticfilesystem:AccessPointArn":")" + rw + R"("}})",
                           R"("Effect":"Allow","Principal":"*","Action":"elasticfilesystem:ClientMount","Resource":"*","Condition":{"StringEquals":{"elasticfilesystem:AccessPointArn":")" + ro + R"("}})"}));
  auto a = authz_.Decide(Tls("", "fsap-000000000000000aa"));
  EXPECT_TRUE(a->mountable());
  EXPECT_TRUE(a->write);
  auto b = authz_.Decide(Tls("", "fsap-000000000000000bb"));
  EXPECT_TRUE(b->mountable());
  EXPECT_FALSE(b->write);
  auto none = authz_.Decide(Tls());
  EXPECT_FALSE(none->mountable());
  EXPECT_EQ(none->refused_layer, "iam");
}

TEST_F(ClientAuthorizerTest, CachedPerFactsUntilInvalidated) {
  int observed = 0;
  authz_.SetDecisionObserver([&](const ClientDecision&) { ++observed; });
  auto first = authz_.ForConnection(Plain());
  auto again = authz_.ForConnection(Plain());
  EXPECT_EQ(first, again);
  EXPECT_EQ(source_.reads(), 1);
  EXPECT_EQ(observed, 1);
  EXPECT_NE(authz_.ForConnection(Plain("10.0.0.6")), first);  // other facts
  EXPECT_EQ(observed, 2);

  // A policy change is seen only after Invalidate (the store watcher).
  source_.SetPolicy(kFs, ResourcePolicy({kAllowMountAll}));
  EXPECT_TRUE(authz_.ForConnection(Plain())->write);
  authz_.Invalidate();
  auto after = authz_.ForConnection(Plain());
  EXPECT_FALSE(after->write);
  EXPECT_GT(after->generation, first->generation);
}

TEST_F(ClientAuthorizerTest, TimeDependentDecisionsExpire) {
  // Mount allowed until a moment 10 s after the fake clock's start.
  int64_t cutoff = clock_.Now().sec + 10;
  std::time_t t = static_cast<std::time_t>(cutoff);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  source_.SetPolicy(kFs, ResourcePolicy({std::string(R"("Effect":"Allow","Principal":"*","Action":"elasticfilesystem:ClientMount","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":")") + when + R"("}})"}));
  auto d = authz_.ForConnection(Plain());
  EXPECT_TRUE(d->mountable());
  ASSERT_TRUE(d->valid_until.has_value());
  clock_.Advance(std::chrono::seconds(20));
  EXPECT_FALSE(authz_.ForConnection(Plain())->mountable());
}

TEST_F(ClientAuthorizerTest, UnreadableFileSystemPolicyFailsClosed) {
  source_.SetPolicy(kFs, "{not json");
  auto d = authz_.Decide(Plain());
  EXPECT_FALSE(d->mountable());
  EXPECT_EQ(d->refused_layer, "iam");
  EXPECT_NE(d->Explain().find("mount refused at the iam layer"), std::string::npos);
}

}  // namespace
}  // namespace elfs::authz
