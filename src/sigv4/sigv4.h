// AWS Signature Version 4 (AWS4-HMAC-SHA256): the canonicalisation primitives,
// a signer, and the verifier used by the HTTP API (Authorization header and
// presigned query strings) and by the TLS data plane (the efs-utils
// `Action=Connect` signature carried in client certificates, SPEC.md §1.2).
//
// Everything here is a pure function of its arguments (time is passed in as
// Unix seconds); no function logs. Messages in VerifyError never contain a
// secret key or the signature the server computed.
//
// Thread safety: all functions are reentrant; SecretLookup is called on the
// caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "common/status.h"
#include "http/message.h"

namespace elfs::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kTerminator = "aws4_request";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// AWS accepts header signatures up to 15 minutes away from its clock.
inline constexpr int64_t kDefaultMaxSkewSeconds = 15 * 60;
// Presigned URLs live at most 7 days (X-Amz-Expires <= 604800).
inline constexpr int64_t kMaxPresignedExpiresSeconds = 7 * 24 * 3600;
// The efs-utils Connect signature is a presigned GET with X-Amz-Expires=86400.
inline constexpr int64_t kEfsConnectExpiresSeconds = 86400;
inline constexpr std::string_view kEfsService = "elasticfilesystem";

// ---------------------------------------------------------------------------
// Encoding and hashing primitives.

// RFC 3986 percent-encoding as SigV4 wants it: A-Z a-z 0-9 - _ . ~ stay,
// every other byte becomes %XY (upper-case hex); '/' stays when keep_slash.
std::string UriEncode(std::string_view s, bool keep_slash = false);
// Python's urllib.parse.quote_plus with its default safe set: like UriEncode
// but ' ' becomes '+' (and '/' is encoded). efs-utils encodes with it.
std::string QuotePlus(std::string_view s);
// Decodes %XY escapes. Malformed escapes are kept literally; '+' stays '+'
// (SigV4 clients never send '+' for a space; a literal '+' re-encodes as %2B).
std::string PercentDecode(std::string_view s);
// Lower-case hex of arbitrary bytes.
std::string HexEncode(std::string_view bytes);
// Lower-case hex SHA-256 of data.
std::string Sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256(key, data).
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// "YYYYMMDDTHHMMSSZ" <-> Unix seconds (UTC). Parsing is strict: exactly that
// shape, a real calendar date and time.
Result<int64_t> ParseAmzDate(std::string_view s);
std::string FormatAmzDate(int64_t unix_seconds);

// ---------------------------------------------------------------------------
// The pieces of a signature.

// date/region/service/aws4_request
struct Scope {
  std::string date;     // YYYYMMDD
  std::string region;   // e.g. "us-east-1"
  std::string service;  // e.g. "elasticfilesystem", "iam", "sts", "ec2"
  std::string ToString() const;
  friend bool operator==(const Scope&, const Scope&) = default;
};

// The canonical URI of a raw (as on the wire, still percent-encoded) path:
// optionally normalised (dot segments removed, repeated slashes collapsed,
// as botocore does), then every byte but unreserved ones and '/' encoded
// again. So "/arn%3Aaws" becomes "/arn%253Aaws" — services other than S3
// double-encode. An empty path is "/".
std::string CanonicalUri(std::string_view raw_path, bool normalize = true);
// The canonical query string of a raw query (no leading '?'): pairs split on
// '&' (empty pairs dropped), split at the first '=', decoded, re-encoded with
// UriEncode, sorted by key then value; repeated keys are kept. With
// drop_signature, X-Amz-Signature pairs are left out (presigned form).
std::string CanonicalQuery(std::string_view raw_query, bool drop_signature = false);
// Canonical header value: trimmed, inner whitespace runs (folded lines
// included) collapsed to one space.
std::string CanonicalHeaderValue(std::string_view value);
// "name:value\n" for each name in signed_headers (lower-case, in the given
// order); repeated headers are joined with ','. Fails (kNotFound, naming the
// header) when a signed header is absent from the request.
Result<std::string> CanonicalHeaders(const http::Request& req,
                                     const std::vector<std::string>& signed_headers);
// "a;b;c"
std::string JoinSignedHeaders(const std::vector<std::string>& signed_headers);
// method \n uri \n query \n headers (each ending in \n) \n signed \n payload_hash
std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query,
                             std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash);
// AWS4-HMAC-SHA256 \n amz_date \n scope \n hex(sha256(canonical_request))
std::string StringToSign(std::string_view amz_date, const Scope& scope,
                         std::string_view canonical_request);
// HMAC chain "AWS4"+secret -> date -> region -> service -> aws4_request (raw bytes).
std::string SigningKey(std::string_view secret_access_key, const Scope& scope);
// hex(HMAC(signing_key, string_to_sign))
std::string Signature(std::string_view signing_key, std::string_view string_to_sign);

// ---------------------------------------------------------------------------
// Parsing what clients send.

struct Credential {
  std::string access_key_id;
  Scope scope;
};
// "AKID/YYYYMMDD/region/service/aws4_request". kInvalid with a precise message.
Result<Credential> ParseCredential(std::string_view s);

// The value of an Authorization header:
//   AWS4-HMAC-SHA256 Credential=..., SignedHeaders=a;b, Signature=<64 hex>
// Strict: the algorithm, each of the three components exactly once (any
// order, ", " or "," between them), signed headers lower-case, sorted and
// unique, the signature 64 lower-case hex digits. kInvalid otherwise.
struct AuthorizationHeader {
  Credential credential;
  std::vector<std::string> signed_headers;
  std::string signature;
};
Result<AuthorizationHeader> ParseAuthorizationHeader(std::string_view value);

// The X-Amz-* parameters of a presigned query string (raw, no '?').
// X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders, -Signature
// are required (each once); -Security-Token is optional. Expires must be an
// integer in 1..604800. kInvalid with a precise message otherwise.
struct PresignedQuery {
  Credential credential;
  std::string amz_date;
  int64_t time = 0;  // amz_date as Unix seconds
  int64_t expires = 0;
  std::vector<std::string> signed_headers;
  std::string signature;
  std::optional<std::string> security_token;
};
Result<PresignedQuery> ParsePresignedQuery(std::string_view raw_query);
// True when the query carries any X-Amz-Algorithm/-Credential/-Signature
// parameter, i.e. the request is meant as a presigned one.
bool LooksPresigned(std::string_view raw_query);

// ---------------------------------------------------------------------------
// Verification.

// What a key id resolves to. session_token is empty for long-term keys;
// expiration (Unix seconds, 0 = never) is for temporary credentials.
struct Secret {
  std::string secret_access_key;
  std::string session_token;
  int64_t expiration = 0;
};
// access key id -> secret, or nullopt when the key is unknown or inactive.
using SecretLookup = std::function<std::optional<Secret>(std::string_view access_key_id)>;

// Why a request failed; the API maps these to AWS error codes.
enum class Reason : uint8_t {
  kMissingAuthenticationToken,  // no Authorization header and no presigned query
  kIncompleteSignature,         // malformed Authorization / presigned parameters
  kInvalidClientTokenId,        // unknown or inactive access key id
  kSignatureDoesNotMatch,       // wrong signature, scope, region, body hash...
  kRequestExpired,              // header signature outside the clock-skew window
  kSignatureExpired,            // presigned URL past X-Amz-Expires (or not yet valid)
  kInvalidToken,                // session token missing, wrong, or given for a long-term key
  kExpiredToken,                // temporary credentials past their expiration
};
// "MissingAuthenticationToken", "IncompleteSignature", ... (AWS spelling;
// kSignatureExpired -> "RequestExpired" is left to the API: this returns
// "SignatureExpired").
std::string_view ReasonName(Reason r);

struct VerifyError {
  Reason reason;
  std::string message;  // for the client; never holds secrets or the expected signature
};

struct VerifyOptions {
  std::string region = "us-east-1";  // the server's region; the scope must name it
  // Services the scope may name; empty = any (the caller routes on it).
  std::vector<std::string> services;
  int64_t max_skew_seconds = kDefaultMaxSkewSeconds;
  bool normalize_path = true;  // as botocore signs
};

struct Verified {
  std::string access_key_id;
  Scope scope;
  std::string session_token;  // as sent (empty for long-term keys)
  bool presigned = false;
  int64_t request_time = 0;  // X-Amz-Date as Unix seconds
};

// Verifies req's SigV4 signature, header or presigned form. now is Unix
// seconds. Checks, in order: form and syntax, scope (date = X-Amz-Date's day,
// region, service, terminator), host signed, time window, key lookup,
// temporary-credential expiry and session token, X-Amz-Content-SHA256 (when
// present it must equal the body's hash; UNSIGNED-PAYLOAD only presigned),
// then the signature (constant-time comparison).
tl::expected<Verified, VerifyError> Verify(const http::Request& req, const SecretLookup& lookup,
                                           int64_t now, const VerifyOptions& options);

// ---------------------------------------------------------------------------
// Signing (clients in tests, tools, and the certificate generator).

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty = none
};

struct SignOptions {
  std::string region = "us-east-1";
  std::string service;
  int64_t time = 0;             // Unix seconds
  bool presign = false;         // query-string form instead of Authorization
  int64_t expires = 3600;       // presigned only
  bool normalize_path = true;
  bool add_content_sha256 = false;  // header form: add and sign X-Amz-Content-Sha256
  bool sign_session_token = true;   // false adds the token after signing (unsigned)
};

struct SignedParts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
};

// Signs req in place: header form adds X-Amz-Date (+ X-Amz-Security-Token,
// X-Amz-Content-Sha256 as asked) and Authorization, signing every header
// present; presigned form appends the X-Amz-* parameters to the target. The
// request must carry a Host header.
SignedParts Sign(http::Request& req, const Credentials& creds, const SignOptions& options);

// ---------------------------------------------------------------------------
// The efs-utils Connect signature (SPEC.md §1.2).

struct EfsConnect {
  std::string file_system_id;   // "fs-..." (the canonical request's host)
  std::string public_key_hash;  // lower-case hex SHA-1 of the certificate's subjectPublicKey bits
  std::string access_key_id;
  int64_t time = 0;             // the certificate's sigv4DateTime, Unix seconds
  std::string session_token;    // empty = none
};
// GET\n/\n<quote_plus'd sorted query>\nhost:<fs-id>\nhost\n<sha256("")> (no
// blank line after the header, exactly as efs-utils builds it).
std::string EfsConnectCanonicalRequest(const EfsConnect& c, std::string_view region);
std::string EfsConnectStringToSign(const EfsConnect& c, std::string_view region);
// Hex signature efs-utils would put in the certificate.
std::string SignEfsConnect(const EfsConnect& c, std::string_view secret_access_key,
                           std::string_view region);

struct EfsConnectOptions {
  std::string region = "us-east-1";
  int64_t max_skew_seconds = kDefaultMaxSkewSeconds;  // signature time may be this far ahead
  int64_t expires_seconds = kEfsConnectExpiresSeconds;  // and valid this long after
};
// Verifies a certificate's signature (64 hex chars) for c. Same Reasons as
// Verify; scope.service is elasticfilesystem.
tl::expected<Verified, VerifyError> VerifyEfsConnect(const EfsConnect& c,
                                                     std::string_view signature_hex,
                                                     const SecretLookup& lookup, int64_t now,
                                                     const EfsConnectOptions& options);

}  // namespace elfs::sigv4
