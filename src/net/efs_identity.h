// The amazon-efs-utils client identity (SPEC §1.2): a self-signed client
// certificate whose extensions carry the access point (1.3.6.1.4.1.4843.7.1),
// a SigV4 `Action=Connect` signature (…7.2), the file system id (…7.3) and
// client information (…7.4). Parsing (strict DER for our extensions), the
// checks a mount target makes (certificate validity window, file system,
// signature, key, session), and the generator a client uses (the
// elfs-client-cert tool, and tests).
//
// No OpenSSL types in this header. Messages never contain a secret, a
// session token or a signature.
//
// Thread safety: all functions are reentrant; the SecretLookup is called on
// the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sigv4/sigv4.h"

namespace elfs::net {

inline constexpr std::string_view kEfsAccessPointOid = "1.3.6.1.4.1.4843.7.1";
inline constexpr std::string_view kEfsAuthOid = "1.3.6.1.4.1.4843.7.2";
inline constexpr std::string_view kEfsFileSystemOid = "1.3.6.1.4.1.4843.7.3";
inline constexpr std::string_view kEfsClientInfoOid = "1.3.6.1.4.1.4843.7.4";

// What a client certificate says, unverified.
struct EfsClientCertificate {
  std::string access_point_id;  // …7.1; empty when absent
  std::string file_system_id;   // …7.3; empty when absent
  std::string client_info;      // …7.4, its UTF8Strings joined by ','; informational
  bool has_signature = false;   // …7.2 present: the client claims an IAM identity
  std::string access_key_id;
  std::string signature;        // 64 hex chars as carried
  int64_t signature_time = 0;   // sigv4DateTime, Unix seconds
  std::string session_token;    // empty = none
  std::string public_key_hash;  // lower-case hex SHA-1 of the subjectPublicKey bits
  int64_t not_before = 0, not_after = 0;  // Unix seconds
};

// Parses a DER X.509 certificate. kInvalid when the certificate or one of
// the efs extensions is malformed (wrong ASN.1 shape, trailing bytes, a
// duplicate, a bad UTCTime, an id of the wrong form). A certificate without
// efs extensions parses fine (everything empty).
Result<EfsClientCertificate> ParseEfsClientCertificate(std::span<const uint8_t> der);

struct EfsIdentityCheck {
  std::string region;          // the server's region
  std::string file_system_id;  // the mount target's file system
  sigv4::SecretLookup secrets;
  int64_t now = 0;             // Unix seconds
  // Tolerated clock difference for the certificate's notBefore.
  int64_t clock_skew_seconds = 15 * 60;
};

// What a verified certificate establishes (the access key is empty for a
// certificate without …7.2: an anonymous client, possibly naming an access
// point).
struct EfsIdentity {
  std::string access_key_id;
  std::string session_token;
  std::string access_point_id;
  std::string file_system_id;
};

// Checks, in order: validity window, file system (…7.3 must name
// check.file_system_id when present, and is required with …7.2), then the
// signature with sigv4::VerifyEfsConnect (date window, key known and active,
// session token and expiry, signature). Errors are kAccess with a message
// that starts with the reason (e.g. "SignatureDoesNotMatch: ...",
// "WrongFileSystem: ...", "CertificateExpired: ...").
Result<EfsIdentity> VerifyEfsClientCertificate(const EfsClientCertificate& cert,
                                               const EfsIdentityCheck& check);

// ---------------------------------------------------------------------------
// The client side: what efs-utils generates.

// DER encoders for the extension values (exposed for tests that build
// malformed or unusual certificates).
std::string DerUtf8String(std::string_view s);
// SEQUENCE { accessKeyId UTF8String, signature OCTET STRING, sigv4DateTime
// UTCTime, sessionToken [0] EXPLICIT UTF8String OPTIONAL }.
std::string DerEfsAuth(std::string_view access_key_id, std::string_view signature_hex,
                       int64_t time, std::string_view session_token);

struct RawExtension {
  std::string oid;  // dotted
  std::string der;  // the extension value (extnValue's content)
};

enum class KeyType { kRsa3072, kEcP256 };

struct CertificateAndKey {
  std::string certificate_pem;
  std::string private_key_pem;
  std::string public_key_hash;  // as ParseEfsClientCertificate computes it
};

struct EfsClientCertificateRequest {
  sigv4::Credentials credentials;  // empty access key id: no …7.2 (anonymous)
  std::string region;
  std::string file_system_id;
  std::string access_point_id;  // optional
  std::string client_info = "elfs-client-cert";
  int64_t now = 0;              // Unix seconds; the signature's time
  // Validity, relative to now (efs-utils backdates notBefore as well).
  int64_t valid_before_seconds = 3 * 3600;
  int64_t valid_after_seconds = 3 * 3600;
  KeyType key_type = KeyType::kRsa3072;
  // Appended after the standard extensions (tests).
  std::vector<RawExtension> extra_extensions;
};

// A fresh key and a self-signed certificate carrying the efs-utils
// extensions and a valid Connect signature for the request.
Result<CertificateAndKey> MakeEfsClientCertificate(const EfsClientCertificateRequest& request);

// A fresh key and a self-signed certificate with exactly `extensions`
// (besides basic constraints), valid [not_before, not_after]. `before_sign`
// (optional) sees the public key hash and may add extensions that depend on
// it.
Result<CertificateAndKey> MakeSelfSignedCertificate(
    KeyType key_type, int64_t not_before, int64_t not_after,
    const std::vector<RawExtension>& extensions,
    const std::function<std::vector<RawExtension>(const std::string& public_key_hash)>&
        before_sign = {});

// PEM certificate -> DER (tests, tools).
Result<std::vector<uint8_t>> CertificatePemToDer(std::string_view pem);

}  // namespace elfs::net
