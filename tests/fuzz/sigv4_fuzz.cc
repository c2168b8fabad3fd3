// Fuzzes SigV4 parsing and canonicalisation of arbitrary requests: the
// Authorization header parser, the presigned query parser, canonical URI /
// query / headers, and Verify end to end (with a key that exists, at the
// request's own time, so the deep paths run).
//
// Input layout: lines separated by '\n': method, target, Authorization
// value, then "name:value" headers; after a blank line, the body.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sigv4/sigv4.h"

#define FUZZ_CHECK(cond)       \
  do {                         \
    if (!(cond)) std::abort(); \
  } while (0)

namespace {

using namespace elfs;

bool CanonicalChars(std::string_view s, std::string_view extra) {
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '~' || extra.find(c) != std::string_view::npos;
    if (c == '%') {
      ok = i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
           std::isxdigit(static_cast<unsigned char>(s[i + 2]));
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  http::Request req;
  std::string authorization;
  int line_no = 0;
  while (!in.empty()) {
    size_t eol = in.find('\n');
    std::string_view line = in.substr(0, eol);
    in = eol == std::string_view::npos ? std::string_view() : in.substr(eol + 1);
    if (line_no == 0) req.method = line;
    else if (line_no == 1) req.target = line;
    else if (line_no == 2) authorization = line;
    else if (line.empty()) {
      req.body = in;
      break;
    } else {
      size_t colon = line.find(':');
      req.headers.emplace_back(line.substr(0, colon),
                               colon == std::string_view::npos ? "" : line.substr(colon + 1));
    }
    ++line_no;
  }
  if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);

  // Canonical forms only ever hold unreserved characters and %XY escapes.
  for (bool normalize : {true, false}) {
    std::string uri = sigv4::CanonicalUri(req.Path(), normalize);
    FUZZ_CHECK(!uri.empty());
    FUZZ_CHECK(CanonicalChars(uri, "/"));
  }
  std::string query = sigv4::CanonicalQuery(req.Query());
  FUZZ_CHECK(CanonicalChars(query, "=&"));
  FUZZ_CHECK(sigv4::CanonicalQuery(query) == query);  // canonical is a fixed point
  std::string value = sigv4::CanonicalHeaderValue(authorization);
  FUZZ_CHECK(sigv4::CanonicalHeaderValue(value) == value);

  auto parsed = sigv4::ParseAuthorizationHeader(authorization);
  if (parsed) {
    FUZZ_CHECK(parsed->signature.size() == 64);
    FUZZ_CHECK(!parsed->signed_headers.empty());
    (void)sigv4::CanonicalHeaders(req, parsed->signed_headers);
  }
  auto presigned = sigv4::ParsePresignedQuery(req.Query());
  if (presigned) FUZZ_CHECK(presigned->expires >= 1 && presigned->expires <= 604800);

  // Verify at the request's own time with a key for every id, so parsing
  // errors, scope checks and the signature comparison all get reached.
  int64_t now = 1700000000;
  if (presigned) now = presigned->time;
  if (const std::string* d = req.Header("X-Amz-Date")) {
    if (auto t = sigv4::ParseAmzDate(*d)) now = *t;
  }
  sigv4::SecretLookup lookup = [](std::string_view akid) -> std::optional<sigv4::Secret> {
    if (akid.empty() || akid[0] == 'X') return std::nullopt;
    return sigv4::Secret{"secret", akid[0] == 'S' ? "token" : "", 0};
  };
  sigv4::VerifyOptions options;
  auto v = sigv4::Verify(req, lookup, now, options);
  if (v) FUZZ_CHECK(!v->access_key_id.empty());
  else FUZZ_CHECK(!v.error().message.empty());
  return 0;
}
