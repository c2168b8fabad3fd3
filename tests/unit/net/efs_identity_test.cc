// The amazon-efs-utils client identity: parsing the certificate extensions
// (1.3.6.1.4.1.4843.7.1-4) and every refusal of VerifyEfsClientCertificate
// (bad signature, unknown key, wrong file system, expired session, token
// mismatch, stale and future dates, certificate validity, malformed DER).
#include "net/efs_identity.h"

#include <string>

#include <gtest/gtest.h>

namespace elfs::net {
namespace {

constexpr int64_t kNow = 1764000000;  // 2025-11-24T16:00:00Z
constexpr char kFs[] = "fs-0123abcd";
constexpr char kRegion[] = "us-east-1";
constexpr char kAp[] = "fsap-0123456789abcdef0";

std::optional<sigv4::Secret> Lookup(std::string_view akid) {
  if (akid == "AKIALONGTERM00000001") return sigv4::Secret{"long-secret", "", 0};
  if (akid == "ASIASESSION000000001") return sigv4::Secret{"sess-secret", "the-token", kNow + 3600};
  if (akid == "ASIAEXPIRED000000001") return sigv4::Secret{"old-secret", "old-token", kNow - 1};
  return std::nullopt;  // unknown, or disabled (the directory answers nothing)
}

EfsClientCertificateRequest Request() {
  EfsClientCertificateRequest rq;
  rq.credentials = {"AKIALONGTERM00000001", "long-secret", ""};
  rq.region = kRegion;
  rq.file_system_id = kFs;
  rq.access_point_id = kAp;
  rq.now = kNow;
  rq.key_type = KeyType::kEcP256;
  return rq;
}

EfsIdentityCheck Check() {
  EfsIdentityCheck c;
  c.region = kRegion;
  c.file_system_id = kFs;
  c.secrets = Lookup;
  c.now = kNow + 60;
  return c;
}

Result<EfsClientCertificate> Parse(const CertificateAndKey& ck) {
  auto der = CertificatePemToDer(ck.certificate_pem);
  EXPECT_TRUE(der.has_value());
  return ParseEfsClientCertificate(*der);
}

Result<EfsIdentity> ParseAndVerify(const EfsClientCertificateRequest& rq,
                                   const EfsIdentityCheck& check = Check()) {
  auto ck = MakeEfsClientCertificate(rq);
  EXPECT_TRUE(ck.has_value()) << ck.error().message();
  auto parsed = Parse(*ck);
  if (!parsed) return Err(parsed.error());
  return VerifyEfsClientCertificate(*parsed, check);
}

// The message's reason prefix ("SignatureDoesNotMatch", ...), or "OK".
std::string ReasonOf(const Result<EfsIdentity>& r) {
  if (r) return "OK";
  const std::string& m = r.error().message();
  return m.substr(0, m.find(':'));
}

TEST(EfsIdentityTest, ParsesEveryExtensionAndThePublicKeyHash) {
  auto rq = Request();
  rq.credentials.session_token = "";
  auto ck = MakeEfsClientCertificate(rq);
  ASSERT_TRUE(ck);
  auto p = Parse(*ck);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->access_point_id, kAp);
  EXPECT_EQ(p->file_system_id, kFs);
  EXPECT_EQ(p->client_info, "elfs-client-cert");
  EXPECT_TRUE(p->has_signature);
  EXPECT_EQ(p->access_key_id, "AKIALONGTERM00000001");
  EXPECT_EQ(p->signature_time, kNow);
  EXPECT_EQ(p->session_token, "");
  EXPECT_EQ(p->signature.size(), 64u);
  EXPECT_EQ(p->public_key_hash, ck->public_key_hash);
  EXPECT_EQ(p->public_key_hash.size(), 40u);
  EXPECT_EQ(p->not_before, kNow - 3 * 3600);
  EXPECT_EQ(p->not_after, kNow + 3 * 3600);
}

TEST(EfsIdentityTest, TheSignatureIsTheSpecsCanonicalRequest) {
  auto ck = MakeEfsClientCertificate(Request());
  ASSERT_TRUE(ck);
  auto p = Parse(*ck);
  ASSERT_TRUE(p);
  // Recomputed independently from the parsed fields with the SigV4 module.
  sigv4::EfsConnect c{kFs, p->public_key_hash, "AKIALONGTERM00000001", kNow, ""};
  EXPECT_EQ(p->signature, sigv4::SignEfsConnect(c, "long-secret", kRegion));
  EXPECT_NE(sigv4::EfsConnectCanonicalRequest(c, kRegion).find("PublicKeyHash=" + p->public_key_hash),
            std::string::npos);
}

TEST(EfsIdentityTest, LongTermKeyAndSessionCredentialsVerify) {
  auto id = ParseAndVerify(Request());
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(id->access_key_id, "AKIALONGTERM00000001");
  EXPECT_EQ(id->session_token, "");
  EXPECT_EQ(id->access_point_id, kAp);
  EXPECT_EQ(id->file_system_id, kFs);

  auto rq = Request();
  rq.credentials = {"ASIASESSION000000001", "sess-secret", "the-token"};
  rq.key_type = KeyType::kRsa3072;  // what efs-utils generates
  id = ParseAndVerify(rq);
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(id->access_key_id, "ASIASESSION000000001");
  EXPECT_EQ(id->session_token, "the-token");
}

TEST(EfsIdentityTest, UnsignedCertificateIsAnonymousWithItsAccessPoint) {
  auto rq = Request();
  rq.credentials = {};
  auto id = ParseAndVerify(rq);
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(id->access_key_id, "");
  EXPECT_EQ(id->access_point_id, kAp);
  // A plain self-signed certificate, no extensions: anonymous too.
  auto plain = MakeSelfSignedCertificate(KeyType::kEcP256, kNow - 10, kNow + 3600, {});
  ASSERT_TRUE(plain);
  auto p = Parse(*plain);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->has_signature);
  id = VerifyEfsClientCertificate(*p, Check());
  ASSERT_TRUE(id);
  EXPECT_EQ(id->access_key_id, "");
  EXPECT_EQ(id->access_point_id, "");
}

TEST(EfsIdentityTest, EveryRefusal) {
  auto rq = Request();
  rq.credentials.secret_access_key = "not-the-secret";
  EXPECT_EQ(ReasonOf(ParseAndVerify(rq)), "SignatureDoesNotMatch");

  rq = Request();
  rq.credentials = {"AKIAUNKNOWN000000001", "whatever", ""};
  EXPECT_EQ(ReasonOf(ParseAndVerify(rq)), "InvalidClientTokenId");

  rq = Request();
  rq.file_system_id = "fs-99999999";
  EXPECT_EQ(ReasonOf(ParseAndVerify(rq)), "WrongFileSystem");

  rq = Request();
  rq.credentials = {"ASIAEXPIRED000000001", "old-secret", "old-token"};
  EXPECT_EQ(ReasonOf(ParseAndVerify(rq)), "ExpiredToken");

  rq = Request();  // a session token that is not the key's
  rq.credentials = {"ASIASESSION000000001", "sess-secret", "another-token"};
  EXPECT_EQ(ReasonOf(ParseAndVerify(rq)), "InvalidToken");

  rq = Request();  // a token for a long-term key
  rq.credentials.session_token = "made-up";
  EXPECT_EQ(ReasonOf(ParseAndVerify(rq)), "InvalidToken");

  rq = Request();  // signed over 24 h ago (the certificate itself still valid)
  rq.now = kNow - 86400 - 120;
  rq.valid_after_seconds = 2 * 86400;
  EXPECT_EQ(ReasonOf(ParseAndVerify(rq)), "SignatureExpired");

  rq = Request();  // signed an hour in the future
  rq.now = kNow + 3600;
  rq.valid_before_seconds = 2 * 3600;
  EXPECT_EQ(ReasonOf(ParseAndVerify(rq)), "SignatureExpired");

  rq = Request();  // certificate expired
  rq.valid_after_seconds = 30;
  EXPECT_EQ(ReasonOf(ParseAndVerify(rq)), "CertificateExpired");

  rq = Request();  // certificate not valid yet
  rq.valid_before_seconds = -3600;
  EXPECT_EQ(ReasonOf(ParseAndVerify(rq)), "CertificateNotYetValid");

  rq = Request();  // the server's region is another one
  auto check = Check();
  check.region = "eu-west-1";
  EXPECT_EQ(ReasonOf(ParseAndVerify(rq, check)), "SignatureDoesNotMatch");

  check = Check();  // no credential directory at all
  check.secrets = nullptr;
  EXPECT_EQ(ReasonOf(ParseAndVerify(Request(), check)), "InvalidClientTokenId");
}

TEST(EfsIdentityTest, SignatureBoundToTheCertificatesKey) {
  // The signature of one certificate moved into another (other key) fails.
  auto a = MakeEfsClientCertificate(Request());
  ASSERT_TRUE(a);
  auto pa = Parse(*a);
  ASSERT_TRUE(pa);
  auto b = MakeSelfSignedCertificate(
      KeyType::kEcP256, kNow - 60, kNow + 3600,
      {{std::string(kEfsFileSystemOid), DerUtf8String(kFs)},
       {std::string(kEfsAuthOid), DerEfsAuth(pa->access_key_id, pa->signature, kNow, "")}});
  ASSERT_TRUE(b);
  auto pb = Parse(*b);
  ASSERT_TRUE(pb);
  EXPECT_EQ(ReasonOf(VerifyEfsClientCertificate(*pb, Check())), "SignatureDoesNotMatch");
}

// A certificate with these raw extensions must fail to parse.
void ExpectMalformed(std::vector<RawExtension> exts, const std::string& why) {
  auto ck = MakeSelfSignedCertificate(KeyType::kEcP256, kNow - 60, kNow + 3600, exts);
  ASSERT_TRUE(ck) << why;
  auto p = Parse(*ck);
  EXPECT_FALSE(p.has_value()) << why;
  if (!p) {
    EXPECT_EQ(p.error().code(), Errc::kInvalid) << why;
  }
}

TEST(EfsIdentityTest, MalformedExtensionsAreRefused) {
  const std::string sig(64, 'a');
  const std::string auth_oid(kEfsAuthOid), fs_oid(kEfsFileSystemOid), ap_oid(kEfsAccessPointOid);
  auto utc = [](std::string t) { return std::string("\x17") + char(t.size()) + t; };
  auto octets = [](std::string t) { return std::string("\x04") + char(t.size()) + t; };
  auto seq = [](std::string body) { return std::string("\x30") + char(body.size()) + body; };
  std::string good_body = DerUtf8String("AKIALONGTERM00000001") + octets(sig) + utc("251124160000Z");

  ExpectMalformed({{auth_oid, ""}}, "empty 7.2");
  ExpectMalformed({{auth_oid, DerUtf8String("x")}}, "7.2 not a SEQUENCE");
  ExpectMalformed({{auth_oid, seq(good_body).substr(0, 20)}}, "7.2 truncated");
  ExpectMalformed({{auth_oid, seq(good_body) + "\x05\x00"}}, "7.2 trailing bytes");
  ExpectMalformed({{auth_oid, seq(DerUtf8String("AKIALONGTERM00000001") + octets(sig))}},
                  "7.2 without time");
  ExpectMalformed({{auth_oid, seq(DerUtf8String("AKIALONGTERM00000001") + octets(sig) +
                                  utc("251324160000Z"))}},
                  "7.2 month 13");
  ExpectMalformed({{auth_oid, seq(DerUtf8String("AKIALONGTERM00000001") + octets(sig) +
                                  utc("2511241600Z"))}},
                  "7.2 short UTCTime");
  ExpectMalformed({{auth_oid, seq(DerUtf8String("AKIALONGTERM00000001") +
                                  octets(std::string(64, 'G')) + utc("251124160000Z"))}},
                  "7.2 signature not hex");
  ExpectMalformed({{auth_oid, seq(DerUtf8String("AKIALONGTERM00000001") + octets("abcd") +
                                  utc("251124160000Z"))}},
                  "7.2 signature short");
  ExpectMalformed({{auth_oid, seq(DerUtf8String("") + octets(sig) + utc("251124160000Z"))}},
                  "7.2 empty key id");
  ExpectMalformed({{auth_oid, seq(good_body + "\xa0\x02\x0c\x00")}}, "7.2 empty session token");
  ExpectMalformed({{auth_oid, seq(good_body + "\xa1\x03\x0c\x01x")}}, "7.2 wrong tag for token");
  // Non-minimal DER length (0x81 for a short length).
  ExpectMalformed({{fs_oid, std::string("\x0c\x81\x0b") + kFs}}, "7.3 non-minimal length");
  ExpectMalformed({{fs_oid, std::string("\x0c\x80") + kFs}}, "7.3 indefinite length");
  ExpectMalformed({{fs_oid, DerUtf8String("fs-XYZ")}}, "7.3 not a file system id");
  ExpectMalformed({{fs_oid, std::string("\x13\x0b") + kFs}}, "7.3 PrintableString");
  ExpectMalformed({{ap_oid, DerUtf8String("fsap-123")}}, "7.1 not an access point id");
  ExpectMalformed({{ap_oid, DerUtf8String(kAp) + DerUtf8String(kAp)}}, "7.1 two strings");
  ExpectMalformed({{fs_oid, DerUtf8String(kFs)}, {fs_oid, DerUtf8String(kFs)}}, "7.3 twice");
  ExpectMalformed({{std::string(kEfsClientInfoOid), "\x30\x05\x0c\x09"}}, "7.4 truncated");
  // Garbage that is not a certificate at all.
  std::vector<uint8_t> junk = {0x30, 0x82, 0x01, 0x00, 1, 2, 3};
  EXPECT_FALSE(ParseEfsClientCertificate(junk));
  EXPECT_FALSE(ParseEfsClientCertificate({}));
}

TEST(EfsIdentityTest, SignedCertificateMustNameItsFileSystem) {
  auto body = DerEfsAuth("AKIALONGTERM00000001", std::string(64, 'a'), kNow, "");
  auto ck = MakeSelfSignedCertificate(KeyType::kEcP256, kNow - 60, kNow + 3600,
                                      {{std::string(kEfsAuthOid), body}});
  ASSERT_TRUE(ck);
  auto p = Parse(*ck);
  ASSERT_TRUE(p);
  EXPECT_EQ(ReasonOf(VerifyEfsClientCertificate(*p, Check())), "IncompleteSignature");
}

TEST(EfsIdentityTest, GeneratorRefusesBadInput) {
  auto rq = Request();
  rq.file_system_id = "nope";
  EXPECT_FALSE(MakeEfsClientCertificate(rq));
  rq = Request();
  rq.access_point_id = "fsap-1";
  EXPECT_FALSE(MakeEfsClientCertificate(rq));
  rq = Request();
  rq.credentials.secret_access_key = "";
  EXPECT_FALSE(MakeEfsClientCertificate(rq));
}

}  // namespace
}  // namespace elfs::net
