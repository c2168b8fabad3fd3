#include "api/gateway/gateway.h"

#include <gtest/gtest.h>

#include "fake_credentials.h"
#include "sigv4/sigv4.h"

namespace elfs::api {
namespace {

using testing::FakeCredentials;

constexpr int64_t kNow = 1700000000;

class FakeService final : public Service {
 public:
  explicit FakeService(std::string name) : name_(std::move(name)) {}
  std::string_view SigningName() const override { return name_; }
  Outcome Handle(const CallContext& ctx, const http::Request& req, Authorizer& authz) override {
    seen.push_back(ctx);
    Outcome out;
    out.action = "Op";
    auto allowed = authz.Authorize(ctx, {name_ + ":Op", "*", {}});
    if (!allowed) {
      out.error_code = allowed.error().code;
      out.response.status = 403;
      return out;
    }
    out.response.body = "ok";
    return out;
  }
  std::vector<CallContext> seen;

 private:
  std::string name_;
};

class GatewayTest : public ::testing::Test {
 protected:
  GatewayTest() : clock_(kNow), gateway_({}, creds_, authz_, *audit_, clock_, random_) {
    AccessKey k;
    k.access_key_id = "AKIDEXAMPLE";
    k.secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    k.principal = testing::User("alice");
    creds_.keys[k.access_key_id] = k;
    gateway_.AddService(efs_);
    gateway_.AddService(iam_);
  }

  http::Request Signed(const std::string& service, std::string secret = "") {
    http::Request req;
    req.method = "POST";
    req.target = "/";
    req.body = "Action=GetUser&Version=2010-05-08";
    req.headers = {{"Host", "127.0.0.1:8049"},
                   {"Content-Type", "application/x-www-form-urlencoded"}};
    sigv4::SignOptions o;
    o.service = service;
    o.time = kNow;
    sigv4::Sign(req, {"AKIDEXAMPLE", secret.empty() ? creds_.keys["AKIDEXAMPLE"].secret : secret, ""}, o);
    return req;
  }

  FakeCredentials creds_;
  RecordingAuthorizer authz_;
  std::unique_ptr<AuditLog> audit_ = std::move(*AuditLog::Open(""));
  FakeClock clock_;
  SeededRandom random_{1};
  Gateway gateway_;
  FakeService efs_{"elasticfilesystem"}, iam_{"iam"};
};

TEST_F(GatewayTest, RoutesBySigningNameWithThePrincipalAndPeer) {
  auto r = gateway_.Handle(Signed("iam"), {"127.0.0.9", 5000, true});
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(iam_.seen.size(), 1u);
  EXPECT_TRUE(efs_.seen.empty());
  EXPECT_EQ(iam_.seen[0].principal.arn, "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(iam_.seen[0].principal.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(iam_.seen[0].source_ip, "127.0.0.9");
  EXPECT_TRUE(iam_.seen[0].secure_transport);
  EXPECT_EQ(audit_->written(), 1u);
}

TEST_F(GatewayTest, BadSignatureAnsweredInTheAddressedProtocol) {
  auto xml = gateway_.Handle(Signed("iam", std::string(40, 'x')), {"127.0.0.1", 1, false});
  EXPECT_EQ(xml.status, 403);
  EXPECT_NE(xml.body.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos);
  auto json = gateway_.Handle(Signed("elasticfilesystem", std::string(40, 'x')), {"127.0.0.1", 1, false});
  EXPECT_EQ(json.status, 403);
  const std::string* type = nullptr;
  for (const auto& [k, v] : json.headers)
    if (k == "x-amzn-ErrorType") type = &v;
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(*type, "InvalidSignatureException");
  EXPECT_TRUE(iam_.seen.empty());
  EXPECT_TRUE(efs_.seen.empty());
  EXPECT_EQ(audit_->written(), 2u);
}

TEST_F(GatewayTest, UnsignedAndInactiveKeysAreRefused) {
  http::Request unsigned_req;
  unsigned_req.method = "POST";
  unsigned_req.target = "/";
  unsigned_req.body = "Action=GetUser&Version=2010-05-08";
  unsigned_req.headers = {{"Host", "127.0.0.1"}};
  auto r = gateway_.Handle(unsigned_req, {"127.0.0.1", 1, false});
  EXPECT_NE(r.body.find("<Code>MissingAuthenticationToken</Code>"), std::string::npos);
  creds_.keys["AKIDEXAMPLE"].active = false;
  r = gateway_.Handle(Signed("iam"), {"127.0.0.1", 1, false});
  EXPECT_NE(r.body.find("<Code>InvalidClientTokenId</Code>"), std::string::npos);
  EXPECT_TRUE(iam_.seen.empty());
}

TEST_F(GatewayTest, StaleSignaturesAreRefused) {
  clock_.Advance(std::chrono::minutes(16));
  auto r = gateway_.Handle(Signed("iam"), {"127.0.0.1", 1, false});
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(iam_.seen.empty());
}

TEST_F(GatewayTest, DenialsReachTheServiceAnswer) {
  authz_.deny_action = "iam:Op";
  auto r = gateway_.Handle(Signed("iam"), {"127.0.0.1", 1, false});
  EXPECT_EQ(r.status, 403);
  ASSERT_EQ(authz_.asked.size(), 1u);
  EXPECT_EQ(authz_.asked[0].action, "iam:Op");
}

}  // namespace
}  // namespace elfs::api
