// Requests signed by botocore itself (awscrt and pure-Python signers),
// captured by botocore_vectors.py: every one verifies, and changing any byte
// of body, path, query, a signed header, the date or the key makes it fail.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sigv4/sigv4.h"

namespace elfs::sigv4 {
namespace {

struct Vectors {
  int64_t time = 0;
  std::string region;
  std::vector<std::pair<std::string, Secret>> keys;
  std::vector<std::pair<std::string, http::Request>> requests;  // name, request
  std::vector<bool> presigned;
  std::vector<std::string> services;
};

const Vectors& Load() {
  static const Vectors v = [] {
    Vectors out;
    std::ifstream in(ELFS_SIGV4_BOTOCORE_VECTORS);
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = nlohmann::json::parse(ss.str());
    out.time = j["time"];
    out.region = j["region"];
    for (const auto& k : j["keys"]) {
      out.keys.emplace_back(k["access_key_id"],
                            Secret{k["secret_access_key"], k["session_token"], 0});
    }
    for (const auto& r : j["requests"]) {
      http::Request req;
      req.method = r["method"];
      req.target = r["target"];
      for (const auto& h : r["headers"]) req.headers.emplace_back(h[0], h[1]);
      req.body = r["body"];
      out.requests.emplace_back(r["name"], std::move(req));
      out.presigned.push_back(r["presigned"]);
      out.services.push_back(r["service"]);
    }
    return out;
  }();
  return v;
}

SecretLookup Lookup() {
  return [](std::string_view akid) -> std::optional<Secret> {
    for (const auto& [id, secret] : Load().keys) {
      if (id == akid) return secret;
    }
    return std::nullopt;
  };
}

VerifyOptions Options() {
  VerifyOptions o;
  o.region = Load().region;
  return o;
}

TEST(Botocore, EveryCapturedRequestVerifies) {
  const Vectors& v = Load();
  ASSERT_GE(v.requests.size(), 16u);
  for (size_t i = 0; i < v.requests.size(); ++i) {
    const auto& [name, req] = v.requests[i];
    SCOPED_TRACE(name);
    auto r = Verify(req, Lookup(), v.time + 5, Options());
    ASSERT_TRUE(r) << ReasonName(r.error().reason) << ": " << r.error().message;
    EXPECT_EQ(r->presigned, v.presigned[i]);
    EXPECT_EQ(r->request_time, v.time);
    std::string expected_service = v.services[i] == "efs" ? "elasticfilesystem" : v.services[i];
    EXPECT_EQ(r->scope.service, expected_service);
  }
}

TEST(Botocore, WireDetailsAreWhatTheSpecSays) {
  const Vectors& v = Load();
  bool saw_arn = false, saw_repeated = false, saw_get_body = false;
  for (const auto& [name, req] : v.requests) {
    if (req.Path().find("arn%3Aaws") != std::string_view::npos) {
      saw_arn = true;
      EXPECT_NE(CanonicalUri(req.Path()).find("arn%253Aaws"), std::string::npos) << name;
    }
    if (req.Query().find("tagKeys=b%20key&tagKeys=a%2Fkey&tagKeys=a") != std::string_view::npos) {
      saw_repeated = true;
      EXPECT_EQ(CanonicalQuery(req.Query()), "tagKeys=a&tagKeys=a%2Fkey&tagKeys=b%20key");
    }
    if (req.method == "GET" && !req.body.empty()) saw_get_body = true;
  }
  EXPECT_TRUE(saw_arn);
  EXPECT_TRUE(saw_repeated);
  EXPECT_TRUE(saw_get_body);
}

// Every single-byte change to a signed part of the request must fail.
TEST(Botocore, AnyTamperingFails) {
  const Vectors& v = Load();
  for (size_t i = 0; i < v.requests.size(); ++i) {
    const auto& [name, original] = v.requests[i];
    SCOPED_TRACE(name);
    auto expect_fail = [&](const http::Request& req, const std::string& what) {
      auto r = Verify(req, Lookup(), v.time + 5, Options());
      EXPECT_FALSE(r) << what;
    };
    auto flip = [](std::string& s, size_t at) { s[at] = s[at] == 'x' ? 'y' : 'x'; };

    for (size_t b = 0; b < original.body.size(); ++b) {
      http::Request req = original;
      flip(req.body, b);
      if (!v.presigned[i]) expect_fail(req, "body byte " + std::to_string(b));
    }
    if (!v.presigned[i]) {
      http::Request req = original;
      req.body += " ";
      expect_fail(req, "body appended");
    }
    std::string_view path = original.Path();
    for (size_t b = 1; b < path.size(); ++b) {
      http::Request req = original;
      flip(req.target, b);
      expect_fail(req, "path byte " + std::to_string(b));
    }
    // Query bytes (the presigned signature itself included).
    size_t q = original.target.find('?');
    if (q != std::string::npos) {
      for (size_t b = q + 1; b < original.target.size(); ++b) {
        http::Request req = original;
        if (req.target[b] == '&' || req.target[b] == '=') continue;
        flip(req.target, b);
        expect_fail(req, "query byte " + std::to_string(b));
      }
    }
    {
      http::Request req = original;
      req.method = req.method == "GET" ? "POST" : "GET";
      expect_fail(req, "method");
    }
    // Signed headers: the header form's SignedHeaders, or host for presigned.
    for (auto& [k, val] : original.headers) {
      std::string lower = k;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      bool is_signed = lower == "host";
      if (const std::string* a = original.Header("Authorization")) {
        auto p = ParseAuthorizationHeader(*a);
        ASSERT_TRUE(p);
        is_signed = std::find(p->signed_headers.begin(), p->signed_headers.end(), lower) !=
                    p->signed_headers.end();
      }
      if (!is_signed) continue;
      for (size_t b = 0; b < val.size(); ++b) {
        http::Request req = original;
        for (auto& [k2, v2] : req.headers) {
          if (k2 == k) flip(v2, b);
        }
        expect_fail(req, "header " + k + " byte " + std::to_string(b));
      }
    }
    // The Authorization header's own bytes (credential, scope, signature).
    for (size_t h = 0; h < original.headers.size(); ++h) {
      if (original.headers[h].first != "Authorization") continue;
      const std::string& val = original.headers[h].second;
      for (size_t b = 0; b < val.size(); ++b) {
        if (val[b] == ' ' || val[b] == ',' || val[b] == '=' || val[b] == '/' || val[b] == ';') {
          continue;
        }
        http::Request req = original;
        flip(req.headers[h].second, b);
        expect_fail(req, "Authorization byte " + std::to_string(b));
      }
    }
    // A different key: a wrong secret for the same id.
    {
      auto wrong = [](std::string_view akid) -> std::optional<Secret> {
        auto s = Lookup()(akid);
        if (s) s->secret_access_key[3] ^= 1;
        return s;
      };
      auto r = Verify(original, wrong, v.time + 5, Options());
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().reason, Reason::kSignatureDoesNotMatch);
    }
  }
}

}  // namespace
}  // namespace elfs::sigv4
