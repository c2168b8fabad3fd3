// The API services' decoders under hostile input: arbitrary requests (method,
// path with query, body) to the EFS REST-JSON service and to the IAM, STS and
// EC2 Query services, over an in-memory store, as an authenticated account
// root whose every call is allowed. What is exercised: percent-decoding of
// paths, JSON bodies, form-encoded bodies and query strings, every
// operation's validation, and the store writes that follow. Any crash,
// sanitizer report or exception is a finding.
//
// Input layout: byte 0 picks the service, byte 1 the method, then the target
// up to the first '\n', then the body.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/common/authorizer.h"
#include "api/ec2/ec2_service.h"
#include "api/efs/efs_service.h"
#include "api/iam/iam_directory.h"
#include "api/iam/iam_service.h"
#include "api/iam/sts_service.h"
#include "store/store.h"

namespace {

using namespace elfs;

// Storage and listeners that always work, so requests get as deep as they can.
class NullDataPlane final : public api::DataPlane {
 public:
  Status CreateStorage(std::string_view) override { return {}; }
  Status DeleteStorage(std::string_view) override { return {}; }
  uint64_t MeteredSize(std::string_view) override { return 6144; }
  Status OpenMountTarget(std::string_view, std::string_view, std::string_view) override { return {}; }
  void CloseMountTarget(std::string_view) override {}
};

struct World {
  std::unique_ptr<store::Store> store = store::NewMemoryStore();
  SeededRandom random{7};
  NullDataPlane data_plane;
  api::ec2::Ec2Service ec2{*store, random, api::ec2::Ec2Options{}};
  api::efs::EfsService efs{*store, ec2, data_plane, random, [] {
                             api::efs::EfsConfig c;
                             c.account_id = "123456789012";
                             c.region = "us-east-1";
                             return c;
                           }()};
  api::iam::IamDirectory dir{*store, "123456789012", random};
  api::iam::IamService iam{dir};
  api::iam::StsService sts{dir};
  api::RecordingAuthorizer authz;
  api::CallContext ctx;

  World() {
    ctx.principal.kind = api::Principal::Kind::kRoot;
    ctx.principal.account = "123456789012";
    ctx.principal.arn = "arn:aws:iam::123456789012:root";
    ctx.principal.user_id = "123456789012";
    ctx.source_ip = "127.0.0.1";
    ctx.region = "us-east-1";
    ctx.request_id = "fuzz";
    ctx.now = std::chrono::system_clock::from_time_t(1700000000);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World();  // state accumulates across inputs, as in a long-lived server
  if (size < 2) return 0;
  static const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};
  api::Service* services[] = {&world->efs, &world->iam, &world->sts, &world->ec2};
  api::Service* service = services[data[0] % 4];
  http::Request req;
  req.method = kMethods[data[1] % 4];
  std::string rest(reinterpret_cast<const char*>(data + 2), size - 2);
  size_t nl = rest.find('\n');
  req.target = rest.substr(0, nl);
  if (req.target.empty() || req.target[0] != '/') req.target.insert(0, "/");
  if (nl != std::string::npos) req.body = rest.substr(nl + 1);
  req.headers.emplace_back("Content-Type", service == &world->efs
                                               ? "application/json"
                                               : "application/x-www-form-urlencoded");
  api::Outcome out = service->Handle(world->ctx, req, world->authz);
  world->authz.asked.clear();
  // Every answer is a well-formed status.
  if (out.response.status < 200 || out.response.status > 599) __builtin_trap();
  return 0;
}
