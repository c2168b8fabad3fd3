// SigV4 canonicalisation, signing and verification. See sigv4.h.
#include "sigv4/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <utility>

#include <fmt/format.h>

namespace elfs::sigv4 {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int ParseInt(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Splits a raw query into (decoded key, decoded value) pairs.
std::vector<std::pair<std::string, std::string>> DecodeQuery(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::string_view pair : Split(raw_query, '&')) {
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view k = pair.substr(0, eq);
    std::string_view v = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    out.emplace_back(PercentDecode(k), PercentDecode(v));
  }
  return out;
}

tl::unexpected<VerifyError> Fail(Reason r, std::string message) {
  return tl::unexpected<VerifyError>(VerifyError{r, std::move(message)});
}

// botocore's path normalisation: RFC 3986 §5.2.4 dot-segment removal that
// also drops empty segments (AWS collapses repeated slashes).
std::string NormalizePath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> out;
  for (std::string_view seg : Split(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(seg);
  }
  std::string result = path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i) result += '/';
    result += out[i];
  }
  if (path.back() == '/' && !out.empty()) result += '/';
  // A relative path that normalises away ("a/..") still names the root.
  return result.empty() ? "/" : result;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::vector<std::string> SplitSignedHeaders(std::string_view s, std::string* error) {
  std::vector<std::string> out;
  if (s.empty()) {
    *error = "SignedHeaders is empty";
    return {};
  }
  for (std::string_view h : Split(s, ';')) {
    if (h.empty()) {
      *error = "SignedHeaders has an empty header name";
      return {};
    }
    for (char c : h) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
      if (!ok) {
        *error = "SignedHeaders must be lower-case header names separated by ';'";
        return {};
      }
    }
    if (!out.empty() && !(out.back() < h)) {
      *error = "SignedHeaders must be sorted and unique";
      return {};
    }
    out.emplace_back(h);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Primitives.

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string QuotePlus(std::string_view s) {
  std::string out;
  out.reserve(s.size() * 3);
  size_t start = 0;
  while (start <= s.size()) {
    size_t sp = s.find(' ', start);
    out += UriEncode(s.substr(start, sp == std::string_view::npos ? std::string_view::npos
                                                                  : sp - start));
    if (sp == std::string_view::npos) break;
    out += '+';
    start = sp + 1;
  }
  return out;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  return HexEncode(HmacSha256(key, data));
}

Result<int64_t> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !AllDigits(s.substr(0, 8)) ||
      !AllDigits(s.substr(9, 6))) {
    return Err(Errc::kInvalid, "date must look like YYYYMMDDTHHMMSSZ");
  }
  int y = ParseInt(s.substr(0, 4)), mo = ParseInt(s.substr(4, 2)), d = ParseInt(s.substr(6, 2));
  int h = ParseInt(s.substr(9, 2)), mi = ParseInt(s.substr(11, 2)), sec = ParseInt(s.substr(13, 2));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] + (mo == 2 && IsLeap(y) ? 1 : 0) ||
      h > 23 || mi > 59 || sec > 59) {
    return Err(Errc::kInvalid, "date is not a valid calendar date and time");
  }
  return DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
         h * 3600 + mi * 60 + sec;
}

std::string FormatAmzDate(int64_t unix_seconds) {
  auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// ---------------------------------------------------------------------------
// Canonical pieces.

std::string Scope::ToString() const {
  return fmt::format("{}/{}/{}/{}", date, region, service, kTerminator);
}

std::string CanonicalUri(std::string_view raw_path, bool normalize) {
  if (raw_path.empty()) return "/";
  return UriEncode(normalize ? NormalizePath(raw_path) : std::string(raw_path), true);
}

std::string CanonicalQuery(std::string_view raw_query, bool drop_signature) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (auto& [k, v] : DecodeQuery(raw_query)) {
    if (drop_signature && k == "X-Amz-Signature") continue;
    pairs.emplace_back(UriEncode(k), UriEncode(v));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : Trim(value)) {
    if (IsSpace(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

Result<std::string> CanonicalHeaders(const http::Request& req,
                                     const std::vector<std::string>& signed_headers) {
  std::string out;
  for (const std::string& name : signed_headers) {
    std::string joined;
    bool found = false;
    for (const auto& [k, v] : req.headers) {
      if (!EqualsIgnoreCase(k, name)) continue;
      if (found) joined += ',';
      joined += CanonicalHeaderValue(v);
      found = true;
    }
    if (!found) return Err(Errc::kNotFound, fmt::format("signed header '{}' is missing", name));
    out += name;
    out += ':';
    out += joined;
    out += '\n';
  }
  return out;
}

std::string JoinSignedHeaders(const std::vector<std::string>& signed_headers) {
  std::string out;
  for (const auto& h : signed_headers) {
    if (!out.empty()) out += ';';
    out += h;
  }
  return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query,
                             std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash) {
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", method, canonical_uri, canonical_query,
                     canonical_headers, signed_headers, payload_hash);
}

std::string StringToSign(std::string_view amz_date, const Scope& scope,
                         std::string_view canonical_request) {
  return fmt::format("{}\n{}\n{}\n{}", kAlgorithm, amz_date, scope.ToString(),
                     Sha256Hex(canonical_request));
}

std::string SigningKey(std::string_view secret_access_key, const Scope& scope) {
  std::string k = HmacSha256(std::string("AWS4") + std::string(secret_access_key), scope.date);
  k = HmacSha256(k, scope.region);
  k = HmacSha256(k, scope.service);
  return HmacSha256(k, kTerminator);
}

std::string Signature(std::string_view signing_key, std::string_view string_to_sign) {
  return HmacSha256Hex(signing_key, string_to_sign);
}

// ---------------------------------------------------------------------------
// Parsing.

Result<Credential> ParseCredential(std::string_view s) {
  std::vector<std::string_view> parts = Split(s, '/');
  if (parts.size() != 5) {
    return Err(Errc::kInvalid,
               "Credential must have the form <AccessKeyId>/<YYYYMMDD>/<region>/<service>/"
               "aws4_request");
  }
  if (parts[0].empty()) return Err(Errc::kInvalid, "Credential has an empty access key id");
  if (parts[1].size() != 8 || !AllDigits(parts[1])) {
    return Err(Errc::kInvalid, "Credential date must be YYYYMMDD");
  }
  if (parts[2].empty()) return Err(Errc::kInvalid, "Credential has an empty region");
  if (parts[3].empty()) return Err(Errc::kInvalid, "Credential has an empty service");
  if (parts[4] != kTerminator) {
    return Err(Errc::kInvalid, "Credential should be scoped with a valid terminator: 'aws4_request'");
  }
  return Credential{std::string(parts[0]),
                    Scope{std::string(parts[1]), std::string(parts[2]), std::string(parts[3])}};
}

Result<AuthorizationHeader> ParseAuthorizationHeader(std::string_view value) {
  value = Trim(value);
  if (value.substr(0, kAlgorithm.size()) != kAlgorithm ||
      value.size() == kAlgorithm.size() || !IsSpace(value[kAlgorithm.size()])) {
    return Err(Errc::kInvalid, "Authorization header must start with 'AWS4-HMAC-SHA256 '");
  }
  value.remove_prefix(kAlgorithm.size());
  std::optional<std::string_view> credential, signed_headers, signature;
  for (std::string_view part : Split(value, ',')) {
    part = Trim(part);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Err(Errc::kInvalid,
                 fmt::format("Authorization header component '{}' is not a key=value pair",
                             part.substr(0, 64)));
    }
    std::string_view key = part.substr(0, eq), val = part.substr(eq + 1);
    std::optional<std::string_view>* slot = nullptr;
    if (key == "Credential") slot = &credential;
    else if (key == "SignedHeaders") slot = &signed_headers;
    else if (key == "Signature") slot = &signature;
    else {
      return Err(Errc::kInvalid, fmt::format("Authorization header has an unknown component '{}'",
                                             key.substr(0, 64)));
    }
    if (slot->has_value()) {
      return Err(Errc::kInvalid, fmt::format("Authorization header repeats '{}'", key));
    }
    *slot = val;
  }
  if (!credential) return Err(Errc::kInvalid, "Authorization header requires a 'Credential' parameter");
  if (!signed_headers) {
    return Err(Errc::kInvalid, "Authorization header requires a 'SignedHeaders' parameter");
  }
  if (!signature) return Err(Errc::kInvalid, "Authorization header requires a 'Signature' parameter");
  AuthorizationHeader out;
  auto cred = ParseCredential(*credential);
  if (!cred) return Err(cred.error());
  out.credential = std::move(*cred);
  std::string error;
  out.signed_headers = SplitSignedHeaders(*signed_headers, &error);
  if (!error.empty()) return Err(Errc::kInvalid, error);
  if (signature->size() != 64 || !IsLowerHex(*signature)) {
    return Err(Errc::kInvalid, "Signature must be 64 lower-case hex digits");
  }
  out.signature = std::string(*signature);
  return out;
}

bool LooksPresigned(std::string_view raw_query) {
  for (auto& [k, v] : DecodeQuery(raw_query)) {
    if (k == "X-Amz-Algorithm" || k == "X-Amz-Credential" || k == "X-Amz-Signature") return true;
  }
  return false;
}

Result<PresignedQuery> ParsePresignedQuery(std::string_view raw_query) {
  std::optional<std::string> algorithm, credential, date, expires, signed_headers, signature, token;
  for (auto& [k, v] : DecodeQuery(raw_query)) {
    std::optional<std::string>* slot = nullptr;
    if (k == "X-Amz-Algorithm") slot = &algorithm;
    else if (k == "X-Amz-Credential") slot = &credential;
    else if (k == "X-Amz-Date") slot = &date;
    else if (k == "X-Amz-Expires") slot = &expires;
    else if (k == "X-Amz-SignedHeaders") slot = &signed_headers;
    else if (k == "X-Amz-Signature") slot = &signature;
    else if (k == "X-Amz-Security-Token") slot = &token;
    else continue;
    if (slot->has_value()) return Err(Errc::kInvalid, fmt::format("query parameter {} is repeated", k));
    *slot = std::move(v);
  }
  for (auto [value, name] : {std::pair{&algorithm, "X-Amz-Algorithm"},
                             {&credential, "X-Amz-Credential"},
                             {&date, "X-Amz-Date"},
                             {&expires, "X-Amz-Expires"},
                             {&signed_headers, "X-Amz-SignedHeaders"},
                             {&signature, "X-Amz-Signature"}}) {
    if (!value->has_value()) {
      return Err(Errc::kInvalid, fmt::format("presigned query requires the {} parameter", name));
    }
  }
  if (*algorithm != kAlgorithm) {
    return Err(Errc::kInvalid, "X-Amz-Algorithm only supports 'AWS4-HMAC-SHA256'");
  }
  PresignedQuery out;
  auto cred = ParseCredential(*credential);
  if (!cred) return Err(Errc::kInvalid, "X-Amz-Credential: " + cred.error().message());
  out.credential = std::move(*cred);
  auto t = ParseAmzDate(*date);
  if (!t) return Err(Errc::kInvalid, "X-Amz-Date: " + t.error().message());
  out.amz_date = *date;
  out.time = *t;
  if (!AllDigits(*expires) || expires->size() > 7) {
    return Err(Errc::kInvalid, "X-Amz-Expires must be a non-negative integer");
  }
  out.expires = std::stoll(*expires);
  if (out.expires < 1 || out.expires > kMaxPresignedExpiresSeconds) {
    return Err(Errc::kInvalid,
               "X-Amz-Expires must be more than 0 and less than a week (604800 seconds)");
  }
  std::string error;
  out.signed_headers = SplitSignedHeaders(*signed_headers, &error);
  if (!error.empty()) return Err(Errc::kInvalid, "X-Amz-SignedHeaders: " + error);
  if (signature->size() != 64 || !IsLowerHex(*signature)) {
    return Err(Errc::kInvalid, "X-Amz-Signature must be 64 lower-case hex digits");
  }
  out.signature = std::move(*signature);
  out.security_token = std::move(token);
  return out;
}

// ---------------------------------------------------------------------------
// Verification.

std::string_view ReasonName(Reason r) {
  switch (r) {
    case Reason::kMissingAuthenticationToken: return "MissingAuthenticationToken";
    case Reason::kIncompleteSignature: return "IncompleteSignature";
    case Reason::kInvalidClientTokenId: return "InvalidClientTokenId";
    case Reason::kSignatureDoesNotMatch: return "SignatureDoesNotMatch";
    case Reason::kRequestExpired: return "RequestExpired";
    case Reason::kSignatureExpired: return "SignatureExpired";
    case Reason::kInvalidToken: return "InvalidToken";
    case Reason::kExpiredToken: return "ExpiredToken";
  }
  return "Unknown";
}

namespace {

constexpr std::string_view kMismatchMessage =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method.";

// Checks shared by both forms once the credential and time are known.
tl::expected<void, VerifyError> CheckScope(const Scope& scope, std::string_view amz_date,
                                           const std::vector<std::string>& signed_headers,
                                           const VerifyOptions& options) {
  if (scope.date != amz_date.substr(0, 8)) {
    return Fail(Reason::kSignatureDoesNotMatch,
                fmt::format("Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                            "version of date from HTTP: '{}' != '{}'",
                            scope.date, amz_date.substr(0, 8)));
  }
  if (scope.region != options.region) {
    return Fail(Reason::kSignatureDoesNotMatch,
                fmt::format("Credential should be scoped to a valid region, not '{}'; expecting "
                            "'{}'",
                            scope.region.substr(0, 64), options.region));
  }
  if (!options.services.empty() &&
      std::find(options.services.begin(), options.services.end(), scope.service) ==
          options.services.end()) {
    return Fail(Reason::kSignatureDoesNotMatch,
                fmt::format("Credential should be scoped to correct service, not '{}'",
                            scope.service.substr(0, 64)));
  }
  if (std::find(signed_headers.begin(), signed_headers.end(), "host") == signed_headers.end()) {
    return Fail(Reason::kIncompleteSignature, "the 'host' header must be signed");
  }
  return {};
}

tl::expected<Secret, VerifyError> LookupAndCheckToken(const std::string& access_key_id,
                                                      const std::string* sent_token,
                                                      const SecretLookup& lookup, int64_t now) {
  std::optional<Secret> secret = lookup ? lookup(access_key_id) : std::nullopt;
  if (!secret) {
    return Fail(Reason::kInvalidClientTokenId,
                "The security token included in the request is invalid.");
  }
  if (secret->session_token.empty()) {
    if (sent_token != nullptr && !sent_token->empty()) {
      return Fail(Reason::kInvalidToken,
                  "The security token included in the request is invalid: this access key "
                  "takes no session token.");
    }
  } else {
    if (sent_token == nullptr || !ConstantTimeEquals(*sent_token, secret->session_token)) {
      return Fail(Reason::kInvalidToken, "The security token included in the request is invalid.");
    }
    if (secret->expiration != 0 && now >= secret->expiration) {
      return Fail(Reason::kExpiredToken, "The security token included in the request is expired");
    }
  }
  return std::move(*secret);
}

}  // namespace

tl::expected<Verified, VerifyError> Verify(const http::Request& req, const SecretLookup& lookup,
                                           int64_t now, const VerifyOptions& options) {
  const std::string* authorization = req.Header("Authorization");
  const bool presigned = LooksPresigned(req.Query());
  if (authorization == nullptr && !presigned) {
    return Fail(Reason::kMissingAuthenticationToken, "Request is missing Authentication Token");
  }
  if (authorization != nullptr && presigned) {
    return Fail(Reason::kIncompleteSignature,
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or "
                "the Authorization header should be specified");
  }

  Credential credential;
  std::vector<std::string> signed_headers;
  std::string signature;
  std::string amz_date;
  int64_t time = 0;
  std::optional<std::string> token;
  if (!presigned) {
    auto parsed = ParseAuthorizationHeader(*authorization);
    if (!parsed) return Fail(Reason::kIncompleteSignature, parsed.error().message());
    credential = std::move(parsed->credential);
    signed_headers = std::move(parsed->signed_headers);
    signature = std::move(parsed->signature);
    const std::string* date_header = req.Header("X-Amz-Date");
    if (date_header == nullptr) {
      return Fail(Reason::kIncompleteSignature,
                  "Authorization header requires existence of the X-Amz-Date header");
    }
    auto t = ParseAmzDate(Trim(*date_header));
    if (!t) return Fail(Reason::kIncompleteSignature, "X-Amz-Date: " + t.error().message());
    amz_date = std::string(Trim(*date_header));
    time = *t;
    if (const std::string* h = req.Header("X-Amz-Security-Token")) token = *h;
  } else {
    auto parsed = ParsePresignedQuery(req.Query());
    if (!parsed) return Fail(Reason::kIncompleteSignature, parsed.error().message());
    credential = std::move(parsed->credential);
    signed_headers = std::move(parsed->signed_headers);
    signature = std::move(parsed->signature);
    amz_date = std::move(parsed->amz_date);
    time = parsed->time;
    token = std::move(parsed->security_token);
    if (now > time + parsed->expires) {
      return Fail(Reason::kSignatureExpired,
                  fmt::format("Request has expired: signed at {} for {} seconds", amz_date,
                              parsed->expires));
    }
    if (time > now + options.max_skew_seconds) {
      return Fail(Reason::kSignatureExpired,
                  fmt::format("Request is not yet valid: signed at {}, now is {}", amz_date,
                              FormatAmzDate(now)));
    }
  }

  if (auto ok = CheckScope(credential.scope, amz_date, signed_headers, options); !ok) {
    return tl::unexpected(ok.error());
  }
  if (!presigned && (time < now - options.max_skew_seconds || time > now + options.max_skew_seconds)) {
    return Fail(Reason::kRequestExpired,
                fmt::format("Signature expired: {} is now earlier than {} ({} - {} min.) or later "
                            "than {} ({} + {} min.)",
                            amz_date, FormatAmzDate(now - options.max_skew_seconds),
                            FormatAmzDate(now), options.max_skew_seconds / 60,
                            FormatAmzDate(now + options.max_skew_seconds), FormatAmzDate(now),
                            options.max_skew_seconds / 60));
  }

  auto secret = LookupAndCheckToken(credential.access_key_id, token ? &*token : nullptr, lookup, now);
  if (!secret) return tl::unexpected(secret.error());

  // The payload hash: the client's X-Amz-Content-SHA256 when sent (it must be
  // the body's), else the body's own hash. botocore presigns with
  // UNSIGNED-PAYLOAD without sending the header, so presigned requests are
  // tried with both.
  const std::string body_hash = Sha256Hex(req.body);
  std::vector<std::string> payload_hashes;
  if (const std::string* h = req.Header("X-Amz-Content-SHA256")) {
    std::string_view v = Trim(*h);
    if (v == kUnsignedPayload) {
      if (!presigned) {
        return Fail(Reason::kSignatureDoesNotMatch,
                    "UNSIGNED-PAYLOAD is only accepted for presigned requests");
      }
    } else if (v != body_hash) {
      return Fail(Reason::kSignatureDoesNotMatch,
                  "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    payload_hashes.emplace_back(v);
  } else {
    payload_hashes.push_back(body_hash);
    if (presigned) payload_hashes.emplace_back(kUnsignedPayload);
  }

  auto headers = CanonicalHeaders(req, signed_headers);
  if (!headers) return Fail(Reason::kSignatureDoesNotMatch, headers.error().message());
  const std::string uri = CanonicalUri(req.Path(), options.normalize_path);
  std::vector<std::string> queries{CanonicalQuery(req.Query(), presigned)};
  if (presigned && token) {
    // Some signers append the session token to a presigned URL after signing
    // (the token itself is still checked above).
    std::string without;
    for (std::string_view pair : Split(req.Query(), '&')) {
      if (PercentDecode(pair.substr(0, pair.find('='))) == "X-Amz-Security-Token") continue;
      if (!without.empty()) without += '&';
      without += pair;
    }
    queries.push_back(CanonicalQuery(without, true));
  }
  const std::string signed_list = JoinSignedHeaders(signed_headers);
  const std::string key = SigningKey(secret->secret_access_key, credential.scope);
  bool match = false;
  for (const std::string& query : queries) {
    for (const std::string& payload_hash : payload_hashes) {
      std::string creq =
          CanonicalRequest(req.method, uri, query, *headers, signed_list, payload_hash);
      std::string expected = Signature(key, StringToSign(amz_date, credential.scope, creq));
      // Every candidate is evaluated (no early exit): timing does not tell which matched.
      match |= ConstantTimeEquals(expected, signature);
    }
  }
  if (!match) return Fail(Reason::kSignatureDoesNotMatch, std::string(kMismatchMessage));

  Verified out;
  out.access_key_id = std::move(credential.access_key_id);
  out.scope = std::move(credential.scope);
  out.session_token = token.value_or("");
  out.presigned = presigned;
  out.request_time = time;
  return out;
}

// ---------------------------------------------------------------------------
// Signing.

SignedParts Sign(http::Request& req, const Credentials& creds, const SignOptions& options) {
  const std::string amz_date = FormatAmzDate(options.time);
  const Scope scope{amz_date.substr(0, 8), options.region, options.service};
  const std::string payload_hash = Sha256Hex(req.body);

  if (!options.presign) {
    req.headers.emplace_back("X-Amz-Date", amz_date);
    if (!creds.session_token.empty() && options.sign_session_token) {
      req.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
    }
    if (options.add_content_sha256) req.headers.emplace_back("X-Amz-Content-Sha256", payload_hash);
  }
  std::vector<std::string> names;
  for (const auto& [k, v] : req.headers) {
    std::string lower = ToLower(k);
    if (lower == "authorization") continue;
    names.push_back(std::move(lower));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  const std::string signed_list = JoinSignedHeaders(names);

  if (options.presign) {
    std::string params = fmt::format(
        "X-Amz-Algorithm={}&X-Amz-Credential={}&X-Amz-Date={}&X-Amz-SignedHeaders={}&X-Amz-Expires={}",
        kAlgorithm, UriEncode(creds.access_key_id + "/" + scope.ToString()), amz_date,
        UriEncode(signed_list), options.expires);
    if (!creds.session_token.empty() && options.sign_session_token) {
      params += "&X-Amz-Security-Token=" + UriEncode(creds.session_token);
    }
    req.target += (req.target.find('?') == std::string::npos ? "?" : "&") + params;
  }

  SignedParts out;
  // Every name comes from req.headers, so this cannot fail.
  std::string headers = CanonicalHeaders(req, names).value_or("");
  out.canonical_request =
      CanonicalRequest(req.method, CanonicalUri(req.Path(), options.normalize_path),
                       CanonicalQuery(req.Query(), true), headers, signed_list, payload_hash);
  out.string_to_sign = StringToSign(amz_date, scope, out.canonical_request);
  out.signature = Signature(SigningKey(creds.secret_access_key, scope), out.string_to_sign);
  if (options.presign) {
    if (!creds.session_token.empty() && !options.sign_session_token) {
      req.target += "&X-Amz-Security-Token=" + UriEncode(creds.session_token);
    }
    req.target += "&X-Amz-Signature=" + out.signature;
  } else {
    req.headers.emplace_back(
        "Authorization", fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}",
                                     kAlgorithm, creds.access_key_id, scope.ToString(),
                                     signed_list, out.signature));
    if (!creds.session_token.empty() && !options.sign_session_token) {
      req.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// efs-utils Connect.

namespace {

Scope EfsScope(const EfsConnect& c, std::string_view region) {
  return Scope{FormatAmzDate(c.time).substr(0, 8), std::string(region), std::string(kEfsService)};
}

}  // namespace

std::string EfsConnectCanonicalRequest(const EfsConnect& c, std::string_view region) {
  const Scope scope = EfsScope(c, region);
  // efs-utils builds this query itself: each value quote_plus'd, keys sorted
  // (the fixed key set sorts as listed; the token slots in before SignedHeaders).
  std::string query = fmt::format(
      "Action=Connect&PublicKeyHash={}&X-Amz-Algorithm={}&X-Amz-Credential={}&X-Amz-Date={}"
      "&X-Amz-Expires={}",
      QuotePlus(c.public_key_hash), kAlgorithm, QuotePlus(c.access_key_id + "/" + scope.ToString()),
      QuotePlus(FormatAmzDate(c.time)), kEfsConnectExpiresSeconds);
  if (!c.session_token.empty()) query += "&X-Amz-Security-Token=" + QuotePlus(c.session_token);
  query += "&X-Amz-SignedHeaders=host";
  return fmt::format("GET\n/\n{}\nhost:{}\nhost\n{}", query, c.file_system_id, Sha256Hex(""));
}

std::string EfsConnectStringToSign(const EfsConnect& c, std::string_view region) {
  return StringToSign(FormatAmzDate(c.time), EfsScope(c, region),
                      EfsConnectCanonicalRequest(c, region));
}

std::string SignEfsConnect(const EfsConnect& c, std::string_view secret_access_key,
                           std::string_view region) {
  return Signature(SigningKey(secret_access_key, EfsScope(c, region)),
                   EfsConnectStringToSign(c, region));
}

tl::expected<Verified, VerifyError> VerifyEfsConnect(const EfsConnect& c,
                                                     std::string_view signature_hex,
                                                     const SecretLookup& lookup, int64_t now,
                                                     const EfsConnectOptions& options) {
  if (signature_hex.size() != 64 || !IsLowerHex(signature_hex)) {
    return Fail(Reason::kIncompleteSignature, "signature must be 64 lower-case hex digits");
  }
  if (c.access_key_id.empty()) return Fail(Reason::kIncompleteSignature, "empty access key id");
  if (now > c.time + options.expires_seconds) {
    return Fail(Reason::kSignatureExpired,
                fmt::format("signature made at {} expired after {} seconds", FormatAmzDate(c.time),
                            options.expires_seconds));
  }
  if (c.time > now + options.max_skew_seconds) {
    return Fail(Reason::kSignatureExpired,
                fmt::format("signature time {} is in the future", FormatAmzDate(c.time)));
  }
  const std::string* token = c.session_token.empty() ? nullptr : &c.session_token;
  auto secret = LookupAndCheckToken(c.access_key_id, token, lookup, now);
  if (!secret) return tl::unexpected(secret.error());
  std::string expected = SignEfsConnect(c, secret->secret_access_key, options.region);
  if (!ConstantTimeEquals(expected, signature_hex)) {
    return Fail(Reason::kSignatureDoesNotMatch, std::string(kMismatchMessage));
  }
  Verified out;
  out.access_key_id = c.access_key_id;
  out.scope = EfsScope(c, options.region);
  out.session_token = c.session_token;
  out.presigned = true;
  out.request_time = c.time;
  return out;
}

}  // namespace elfs::sigv4
