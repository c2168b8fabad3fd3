// Primitives, strict parsing, every Verify failure reason, and the efs-utils
// Connect signature.
#include <gtest/gtest.h>

#include "sigv4/sigv4.h"

namespace elfs::sigv4 {
namespace {

constexpr int64_t kNow = 1700000000;  // 20231114T221320Z
const Credentials kLongTerm{"AKIAEXAMPLE000000001", "secret/long+term", ""};
const Credentials kSession{"ASIAEXAMPLE000000001", "secret/session", "token/abc+="};

SecretLookup Keys(int64_t session_expiration = 0) {
  return [session_expiration](std::string_view akid) -> std::optional<Secret> {
    if (akid == kLongTerm.access_key_id) return Secret{kLongTerm.secret_access_key, "", 0};
    if (akid == kSession.access_key_id) {
      return Secret{kSession.secret_access_key, kSession.session_token, session_expiration};
    }
    return std::nullopt;
  };
}

http::Request Request(std::string method = "POST", std::string target = "/2015-02-01/file-systems",
                      std::string body = R"({"CreationToken":"t"})") {
  http::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers = {{"Host", "elfs.test:8443"}, {"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

SignOptions Opts(bool presign = false, int64_t time = kNow) {
  SignOptions o;
  o.service = "elasticfilesystem";
  o.time = time;
  o.presign = presign;
  return o;
}

tl::expected<Verified, VerifyError> Check(const http::Request& r, int64_t now = kNow,
                                          SecretLookup lookup = Keys()) {
  return Verify(r, lookup, now, VerifyOptions{});
}

void ExpectReason(const tl::expected<Verified, VerifyError>& r, Reason reason) {
  ASSERT_FALSE(r) << "verified unexpectedly";
  EXPECT_EQ(r.error().reason, reason) << ReasonName(r.error().reason) << ": " << r.error().message;
}

TEST(Encoding, UriEncodeAndQuotePlus) {
  EXPECT_EQ(UriEncode("a-_.~Z9 /:+%é"), "a-_.~Z9%20%2F%3A%2B%25%C3%A9");
  EXPECT_EQ(UriEncode("/a b/", true), "/a%20b/");
  EXPECT_EQ(QuotePlus("a b/c+d~"), "a+b%2Fc%2Bd~");
  EXPECT_EQ(QuotePlus(" "), "+");
  EXPECT_EQ(PercentDecode("a%20b%zz%2"), "a b%zz%2");
  EXPECT_EQ(PercentDecode("a+b%2B"), "a+b+");
}

TEST(Encoding, HashesAndKeys) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Dates, StrictParseAndFormat) {
  auto t = ParseAmzDate("20231114T221320Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, kNow);
  EXPECT_EQ(FormatAmzDate(kNow), "20231114T221320Z");
  EXPECT_TRUE(ParseAmzDate("20240229T000000Z"));
  for (const char* bad : {"", "20230229T000000Z", "20231314T000000Z", "20231114T246000Z",
                          "20231114T221320", "2023-11-14T22:13:20Z", "20231114t221320Z",
                          "2023111AT221320Z", "20231114T221360Z"}) {
    EXPECT_FALSE(ParseAmzDate(bad)) << bad;
  }
}

TEST(Canonical, UriQueryHeaders) {
  EXPECT_EQ(CanonicalUri(""), "/");
  EXPECT_EQ(CanonicalUri("/2015-02-01/resource-tags/arn%3Aaws%3Aefs"),
            "/2015-02-01/resource-tags/arn%253Aaws%253Aefs");
  EXPECT_EQ(CanonicalUri("//a/./b/../c/"), "/a/c/");
  EXPECT_EQ(CanonicalUri("//a/./b/../c/", false), "//a/./b/../c/");
  EXPECT_EQ(CanonicalUri("a/.."), "/");
  EXPECT_EQ(CanonicalQuery("b=2&a=2&a=1&c&&d="), "a=1&a=2&b=2&c=&d=");
  EXPECT_EQ(CanonicalQuery("k=a+b&k=%7e&X-Amz-Signature=ff", true), "k=a%2Bb&k=~");
  EXPECT_EQ(CanonicalHeaderValue("  a   b\n\t c  "), "a b c");
  http::Request r = Request();
  r.headers.emplace_back("x-multi", " one ");
  r.headers.emplace_back("X-Multi", "two");
  auto h = CanonicalHeaders(r, {"content-type", "host", "x-multi"});
  ASSERT_TRUE(h);
  EXPECT_EQ(*h, "content-type:application/json\nhost:elfs.test:8443\nx-multi:one,two\n");
  EXPECT_FALSE(CanonicalHeaders(r, {"host", "x-missing"}));
}

TEST(Parse, AuthorizationHeaderIsStrict) {
  const std::string sig(64, 'a');
  auto ok = ParseAuthorizationHeader("AWS4-HMAC-SHA256 Credential=AK/20231114/us-east-1/iam/"
                                     "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->credential.access_key_id, "AK");
  EXPECT_EQ(ok->credential.scope, (Scope{"20231114", "us-east-1", "iam"}));
  EXPECT_EQ(ok->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  // Components in another order, no spaces after commas.
  EXPECT_TRUE(ParseAuthorizationHeader("AWS4-HMAC-SHA256 Signature=" + sig +
                                       ",SignedHeaders=host,Credential=AK/20231114/r/s/aws4_request"));
  const std::string cred = "Credential=AK/20231114/us-east-1/iam/aws4_request";
  struct Case { const char* name; std::string value; const char* needle; };
  const Case cases[] = {
      {"empty", "", "must start"},
      {"other algorithm", "AWS4-HMAC-SHA512 " + cred + ", SignedHeaders=host, Signature=" + sig, "must start"},
      {"no credential", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + sig, "Credential"},
      {"no signed headers", "AWS4-HMAC-SHA256 " + cred + ", Signature=" + sig, "SignedHeaders"},
      {"no signature", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host", "Signature"},
      {"repeated", "AWS4-HMAC-SHA256 " + cred + ", " + cred + ", SignedHeaders=host, Signature=" + sig, "repeats"},
      {"unknown part", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=" + sig + ", Foo=1", "unknown"},
      {"not key=value", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=" + sig + ", junk", "key=value"},
      {"short credential", "AWS4-HMAC-SHA256 Credential=AK/20231114/us-east-1/aws4_request, SignedHeaders=host, Signature=" + sig, "form"},
      {"bad terminator", "AWS4-HMAC-SHA256 Credential=AK/20231114/us-east-1/iam/aws5_request, SignedHeaders=host, Signature=" + sig, "terminator"},
      {"bad date", "AWS4-HMAC-SHA256 Credential=AK/2023111/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=" + sig, "YYYYMMDD"},
      {"unsorted", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date;host, Signature=" + sig, "sorted"},
      {"upper-case header", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=Host, Signature=" + sig, "lower-case"},
      {"empty header name", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x, Signature=" + sig, "empty"},
      {"short signature", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=abc", "64"},
      {"upper-case signature", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=" + std::string(64, 'A'), "64"},
  };
  for (const Case& c : cases) {
    auto r = ParseAuthorizationHeader(c.value);
    ASSERT_FALSE(r) << c.name;
    EXPECT_NE(r.error().message().find(c.needle), std::string::npos)
        << c.name << ": " << r.error().message();
  }
}

TEST(Parse, PresignedQueryIsStrict) {
  http::Request r = Request("GET", "/x?a=1", "");
  Sign(r, kLongTerm, Opts(true));
  auto q = ParsePresignedQuery(r.Query());
  ASSERT_TRUE(q) << q.error().message();
  EXPECT_EQ(q->time, kNow);
  EXPECT_EQ(q->expires, 3600);
  EXPECT_FALSE(q->security_token);
  std::string base(r.Query());
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_FALSE(ParsePresignedQuery(replace("X-Amz-Expires=3600", "X-Amz-Expires=604801")));
  EXPECT_FALSE(ParsePresignedQuery(replace("X-Amz-Expires=3600", "X-Amz-Expires=0")));
  EXPECT_FALSE(ParsePresignedQuery(replace("X-Amz-Expires=3600", "X-Amz-Expires=-1")));
  EXPECT_FALSE(ParsePresignedQuery(replace("X-Amz-Expires=3600", "X-Amz-Expires=99999999999999999999")));
  EXPECT_TRUE(ParsePresignedQuery(replace("X-Amz-Expires=3600", "X-Amz-Expires=604800")));
  EXPECT_FALSE(ParsePresignedQuery(replace("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1")));
  EXPECT_FALSE(ParsePresignedQuery(replace("X-Amz-Date=", "X-Amz-Date=1")));
  EXPECT_FALSE(ParsePresignedQuery(base + "&X-Amz-Date=20231114T221320Z"));
  EXPECT_FALSE(ParsePresignedQuery(replace("X-Amz-SignedHeaders=", "X-Amz-Foo=")));
  EXPECT_FALSE(ParsePresignedQuery("a=1"));
  EXPECT_TRUE(LooksPresigned(base));
  EXPECT_FALSE(LooksPresigned("a=1&X-Amz-Date=1"));
}

TEST(Verify, HeaderAndPresignedRoundTrip) {
  for (bool presign : {false, true}) {
    for (const Credentials& c : {kLongTerm, kSession}) {
      http::Request r = Request(presign ? "GET" : "POST", "/2015-02-01/file-systems?b=2&a=1",
                                presign ? "" : "{}");
      Sign(r, c, Opts(presign));
      auto v = Check(r, kNow + 10);
      ASSERT_TRUE(v) << v.error().message;
      EXPECT_EQ(v->access_key_id, c.access_key_id);
      EXPECT_EQ(v->session_token, c.session_token);
      EXPECT_EQ(v->presigned, presign);
      EXPECT_EQ(v->scope.service, "elasticfilesystem");
    }
  }
}

TEST(Verify, EveryFailureReason) {
  http::Request signed_req = Request();
  Sign(signed_req, kLongTerm, Opts());

  ExpectReason(Check(Request()), Reason::kMissingAuthenticationToken);
  {
    http::Request r = signed_req;
    r.headers.back().second = "AWS4-HMAC-SHA256 Credential=x";
    ExpectReason(Check(r), Reason::kIncompleteSignature);
  }
  {
    http::Request r = signed_req;
    r.target += "?X-Amz-Algorithm=AWS4-HMAC-SHA256";
    ExpectReason(Check(r), Reason::kIncompleteSignature);  // two mechanisms
  }
  {
    http::Request r = Request();
    Sign(r, Credentials{"AKIAUNKNOWN", "x", ""}, Opts());
    ExpectReason(Check(r), Reason::kInvalidClientTokenId);
  }
  {
    http::Request r = Request();
    Sign(r, Credentials{kLongTerm.access_key_id, "wrong", ""}, Opts());
    auto v = Check(r);
    ExpectReason(v, Reason::kSignatureDoesNotMatch);
    EXPECT_EQ(v.error().message.find("wrong"), std::string::npos);
  }
  // Clock skew: 15 minutes either way.
  ExpectReason(Check(signed_req, kNow + 901), Reason::kRequestExpired);
  ExpectReason(Check(signed_req, kNow - 901), Reason::kRequestExpired);
  EXPECT_TRUE(Check(signed_req, kNow + 900));
  EXPECT_TRUE(Check(signed_req, kNow - 900));
  // Presigned expiry.
  {
    http::Request r = Request("GET", "/", "");
    SignOptions o = Opts(true);
    o.expires = 60;
    Sign(r, kLongTerm, o);
    EXPECT_TRUE(Check(r, kNow + 60));
    ExpectReason(Check(r, kNow + 61), Reason::kSignatureExpired);
    ExpectReason(Check(r, kNow - 901), Reason::kSignatureExpired);
  }
  // Session tokens: missing, wrong, given to a long-term key, expired.
  {
    http::Request r = Request();
    SignOptions o = Opts();
    Sign(r, Credentials{kSession.access_key_id, kSession.secret_access_key, ""}, o);
    ExpectReason(Check(r), Reason::kInvalidToken);
    http::Request w = Request();
    Sign(w, Credentials{kSession.access_key_id, kSession.secret_access_key, "other"}, o);
    ExpectReason(Check(w), Reason::kInvalidToken);
    http::Request l = Request();
    Sign(l, Credentials{kLongTerm.access_key_id, kLongTerm.secret_access_key, "tok"}, o);
    ExpectReason(Check(l), Reason::kInvalidToken);
    http::Request s = Request();
    Sign(s, kSession, o);
    EXPECT_TRUE(Check(s, kNow, Keys(kNow + 1)));
    ExpectReason(Check(s, kNow, Keys(kNow)), Reason::kExpiredToken);
  }
  // Scope: wrong region, wrong service, date not the request's day.
  {
    http::Request r = Request();
    SignOptions o = Opts();
    o.region = "eu-west-1";
    Sign(r, kLongTerm, o);
    ExpectReason(Check(r), Reason::kSignatureDoesNotMatch);
    VerifyOptions vo;
    vo.services = {"iam"};
    ExpectReason(Verify(signed_req, Keys(), kNow, vo), Reason::kSignatureDoesNotMatch);
    vo.services = {"iam", "elasticfilesystem"};
    EXPECT_TRUE(Verify(signed_req, Keys(), kNow, vo));
    http::Request d = signed_req;
    for (auto& [k, v] : d.headers) {
      if (k == "Authorization") v.replace(v.find("20231114"), 8, "20231113");
    }
    ExpectReason(Check(d), Reason::kSignatureDoesNotMatch);
  }
  // Host must be signed.
  {
    http::Request r = Request();
    r.headers.erase(r.headers.begin());
    Sign(r, kLongTerm, Opts());
    r.headers.emplace_back("Host", "elfs.test");
    ExpectReason(Check(r), Reason::kIncompleteSignature);
  }
  // No X-Amz-Date.
  {
    http::Request r = signed_req;
    std::erase_if(r.headers, [](auto& h) { return h.first == "X-Amz-Date"; });
    ExpectReason(Check(r), Reason::kIncompleteSignature);
  }
  // X-Amz-Content-SHA256: must match the body; UNSIGNED-PAYLOAD only presigned.
  {
    http::Request r = Request();
    SignOptions o = Opts();
    o.add_content_sha256 = true;
    Sign(r, kLongTerm, o);
    EXPECT_TRUE(Check(r));
    r.body += "x";
    ExpectReason(Check(r), Reason::kSignatureDoesNotMatch);
    http::Request u = Request();
    u.headers.emplace_back("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD");
    Sign(u, kLongTerm, Opts());
    ExpectReason(Check(u), Reason::kSignatureDoesNotMatch);
  }
  ExpectReason(Verify(signed_req, nullptr, kNow, VerifyOptions{}), Reason::kInvalidClientTokenId);
}

TEST(Verify, ReasonNames) {
  EXPECT_EQ(ReasonName(Reason::kMissingAuthenticationToken), "MissingAuthenticationToken");
  EXPECT_EQ(ReasonName(Reason::kIncompleteSignature), "IncompleteSignature");
  EXPECT_EQ(ReasonName(Reason::kInvalidClientTokenId), "InvalidClientTokenId");
  EXPECT_EQ(ReasonName(Reason::kSignatureDoesNotMatch), "SignatureDoesNotMatch");
  EXPECT_EQ(ReasonName(Reason::kInvalidToken), "InvalidToken");
}

// SPEC.md §1.2, written out by hand from efs-utils' algorithm.
TEST(EfsConnect, CanonicalRequestShape) {
  EfsConnect c{"fs-0123456789abcdef0", "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
               "AKIAEXAMPLE000000001", kNow, ""};
  EXPECT_EQ(EfsConnectCanonicalRequest(c, "us-east-1"),
            "GET\n/\nAction=Connect&PublicKeyHash=0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
            "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAEXAMPLE000000001%2F20231114%2Fus-east-1%2Felasticfilesystem"
            "%2Faws4_request&X-Amz-Date=20231114T221320Z&X-Amz-Expires=86400"
            "&X-Amz-SignedHeaders=host\nhost:fs-0123456789abcdef0\nhost\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  c.session_token = "a b/c+";
  std::string with_token = EfsConnectCanonicalRequest(c, "us-east-1");
  EXPECT_NE(with_token.find("X-Amz-Expires=86400&X-Amz-Security-Token=a+b%2Fc%2B"
                            "&X-Amz-SignedHeaders=host"),
            std::string::npos);
  EXPECT_EQ(EfsConnectStringToSign(c, "us-east-1"),
            "AWS4-HMAC-SHA256\n20231114T221320Z\n20231114/us-east-1/elasticfilesystem/"
            "aws4_request\n" + Sha256Hex(with_token));
}

TEST(EfsConnect, SignAndVerify) {
  EfsConnect c{"fs-0123456789abcdef0", std::string(40, 'a'), kLongTerm.access_key_id, kNow, ""};
  std::string sig = SignEfsConnect(c, kLongTerm.secret_access_key, "us-east-1");
  EXPECT_EQ(sig, Signature(SigningKey(kLongTerm.secret_access_key,
                                      Scope{"20231114", "us-east-1", "elasticfilesystem"}),
                           EfsConnectStringToSign(c, "us-east-1")));
  EfsConnectOptions o;
  auto v = VerifyEfsConnect(c, sig, Keys(), kNow + 100, o);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->scope.service, "elasticfilesystem");
  EXPECT_TRUE(VerifyEfsConnect(c, sig, Keys(), kNow + 86400, o));
  ExpectReason(VerifyEfsConnect(c, sig, Keys(), kNow + 86401, o), Reason::kSignatureExpired);
  ExpectReason(VerifyEfsConnect(c, sig, Keys(), kNow - 901, o), Reason::kSignatureExpired);
  ExpectReason(VerifyEfsConnect(c, "zz", Keys(), kNow, o), Reason::kIncompleteSignature);
  for (auto mutate : std::vector<std::function<void(EfsConnect&)>>{
           [](EfsConnect& x) { x.file_system_id = "fs-0123456789abcdef1"; },
           [](EfsConnect& x) { x.public_key_hash[0] = 'b'; },
           [](EfsConnect& x) { x.time += 1; }}) {
    EfsConnect m = c;
    mutate(m);
    ExpectReason(VerifyEfsConnect(m, sig, Keys(), kNow, o), Reason::kSignatureDoesNotMatch);
  }
  EfsConnectOptions other_region;
  other_region.region = "eu-west-1";
  ExpectReason(VerifyEfsConnect(c, sig, Keys(), kNow, other_region), Reason::kSignatureDoesNotMatch);
  EfsConnect unknown = c;
  unknown.access_key_id = "AKIANOPE";
  ExpectReason(VerifyEfsConnect(unknown, sig, Keys(), kNow, o), Reason::kInvalidClientTokenId);
  // Session credentials: the token is part of the signature and must match.
  EfsConnect s{"fs-0123456789abcdef0", std::string(40, 'a'), kSession.access_key_id, kNow,
               kSession.session_token};
  std::string ssig = SignEfsConnect(s, kSession.secret_access_key, "us-east-1");
  EXPECT_TRUE(VerifyEfsConnect(s, ssig, Keys(), kNow, o));
  EfsConnect no_token = s;
  no_token.session_token.clear();
  ExpectReason(VerifyEfsConnect(no_token, SignEfsConnect(no_token, kSession.secret_access_key,
                                                         "us-east-1"),
                                Keys(), kNow, o),
               Reason::kInvalidToken);
}

}  // namespace
}  // namespace elfs::sigv4
