// Micro-benchmarks of the IAM policy engine: a cached decision (cache key
// built from the request + lookup), an uncached decision over a realistic
// policy set (ten policies, fifty statements, with wildcards, conditions
// and policy variables), and parsing a policy document.
//
// Run: build/bench/policy_bench   (add --benchmark_min_time=0.01 for a smoke run)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "iam/cache.h"
#include "iam/evaluate.h"
#include "iam/policy.h"

namespace {

using namespace elfs::iam;

constexpr const char* kAcct = "111122223333";
constexpr const char* kFs =
    "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-0123456789abcdef0";

// Policy i: five statements about various services; only the last policy's
// last statement allows the benchmarked request, so every statement is
// looked at.
std::string PolicyText(int i) {
  std::string n = std::to_string(i);
  return R"({"Version":"2012-10-17","Statement":[
  {"Sid":"S3Home)" + n + R"(","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],
   "Resource":"arn:aws:s3:::home-)" + n + R"(/${aws:username}/*"},
  {"Sid":"Ec2Describe)" + n + R"(","Effect":"Allow","Action":"ec2:Describe*","Resource":"*",
   "Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}},
  {"Sid":"DenyOutside)" + n + R"(","Effect":"Deny","Action":"elasticfilesystem:Delete*","Resource":"*",
   "Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}},
  {"Sid":"Tagged)" + n + R"(","Effect":"Allow","Action":"elasticfilesystem:Describe*",
   "Resource":"arn:aws:elasticfilesystem:*:111122223333:file-system/*",
   "Condition":{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"},
                "ForAllValues:StringLike":{"aws:TagKeys":["owner","env*"]}}},
  {"Sid":"Client)" + n + R"(","Effect":"Allow","Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],
   "Resource":"arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-)" +
         (i == 9 ? std::string("0123456789abcdef*") : "ffff" + n) + R"(",
   "Condition":{"Bool":{"aws:SecureTransport":"true"},"StringLike":{"aws:PrincipalTag/team":"stor*"}}}
]})";
}

PolicySet MakeSet() {
  PolicySet set;
  set.resource_account = kAcct;
  for (int i = 0; i < 10; ++i) {
    auto p = ParseSharedPolicy(PolicyText(i), PolicyType::kIdentity);
    if (!p) {
      std::fprintf(stderr, "bench policy %d invalid: %s\n", i, p.error().message().c_str());
      std::abort();
    }
    set.identity.push_back({"policy-" + std::to_string(i), *p});
  }
  return set;
}

RequestContext MakeRequest() {
  RequestContext r;
  r.principal = Principal::User(kAcct, "alice", "AIDAEXAMPLEALICE");
  r.principal.tags["team"] = "storage";
  r.action = "elasticfilesystem:ClientWrite";
  r.resource = kFs;
  r.keys["aws:SourceIp"] = {"10.1.2.3"};
  r.keys["aws:SecureTransport"] = {"true"};
  r.keys["aws:RequestedRegion"] = {"us-east-1"};
  r.keys["aws:CurrentTime"] = {"2024-06-01T12:00:00Z"};
  r.keys["elasticfilesystem:AccessedViaMountTarget"] = {"true"};
  return r;
}

void BM_UncachedDecision(benchmark::State& state) {
  PolicySet set = MakeSet();
  RequestContext req = MakeRequest();
  if (!Evaluate(set, req).allowed()) std::abort();  // the benchmark must decide something real
  for (auto _ : state) {
    Decision d = Evaluate(set, req);
    benchmark::DoNotOptimize(d.effect);
  }
  state.counters["statements"] = 50;
}
BENCHMARK(BM_UncachedDecision);

void BM_CachedDecision(benchmark::State& state) {
  PolicySet set = MakeSet();
  RequestContext req = MakeRequest();
  DecisionCache cache(1024);
  uint64_t gen = cache.generation();
  std::string key = DecisionCache::Key(req);
  cache.Put(key, std::make_shared<const Decision>(Evaluate(set, req)), gen);
  for (auto _ : state) {
    // What a caller does per request: build the key, look it up.
    auto d = cache.Get(DecisionCache::Key(req));
    benchmark::DoNotOptimize(d.get());
  }
}
BENCHMARK(BM_CachedDecision);

void BM_CacheLookupPrebuiltKey(benchmark::State& state) {
  RequestContext req = MakeRequest();
  DecisionCache cache(1024);
  std::string key = DecisionCache::Key(req);
  cache.Put(key, std::make_shared<const Decision>(), cache.generation());
  for (auto _ : state) {
    auto d = cache.Get(key);
    benchmark::DoNotOptimize(d.get());
  }
}
BENCHMARK(BM_CacheLookupPrebuiltKey);

void BM_ParsePolicy(benchmark::State& state) {
  std::string text = PolicyText(9);
  for (auto _ : state) {
    auto p = ParsePolicy(text, PolicyType::kIdentity);
    benchmark::DoNotOptimize(p.has_value());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParsePolicy);

}  // namespace

BENCHMARK_MAIN();
