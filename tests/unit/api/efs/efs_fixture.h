// Test doubles for the EFS service: an in-memory NetworkDirectory with two
// VPCs (the EC2 error codes of the real one), a DataPlane that records what
// it was told, and a fixture that sends whole HTTP requests and parses the
// whole answer.
//
// Thread safety: the fakes are thread-safe (the service calls them from the
// concurrency tests' threads).
#pragma once

#include <atomic>
#include <functional>
#include <thread>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/common/authorizer.h"
#include "api/common/directory.h"
#include "api/efs/efs_service.h"
#include "api/efs/model.h"
#include "common/random.h"
#include "store/store.h"

namespace elfs::api::efs::testing {

using Json = nlohmann::json;

class FakeNetwork final : public NetworkDirectory {
 public:
  FakeNetwork() {
    // vpc-1: two AZs, two subnets in us-east-1a; vpc-2: one subnet.
    AddSubnet("subnet-0000000a", "vpc-1", "us-east-1a", "use1-az1", "10.0.1.");
    AddSubnet("subnet-0000000b", "vpc-1", "us-east-1b", "use1-az2", "10.0.2.");
    AddSubnet("subnet-000000a2", "vpc-1", "us-east-1a", "use1-az1", "10.0.3.");
    AddSubnet("subnet-0000000c", "vpc-2", "us-east-1c", "use1-az3", "10.1.1.");
    groups_ = {{"sg-0000000d", "vpc-1"}, {"sg-00000001", "vpc-1"}, {"sg-00000002", "vpc-1"},
               {"sg-00000003", "vpc-1"}, {"sg-00000004", "vpc-1"}, {"sg-00000005", "vpc-1"},
               {"sg-0000000e", "vpc-2"}};
  }

  std::optional<SubnetInfo> FindSubnet(std::string_view subnet_id) override {
    std::lock_guard lock(mu_);
    auto it = subnets_.find(std::string(subnet_id));
    if (it == subnets_.end()) return std::nullopt;
    return it->second.info;
  }

  std::optional<NetworkInterfaceInfo> FindInterface(std::string_view eni_id) override {
    std::lock_guard lock(mu_);
    auto it = enis_.find(std::string(eni_id));
    if (it == enis_.end()) return std::nullopt;
    return it->second;
  }

  ApiResult<NetworkInterfaceInfo> CreateInterface(const CallContext&, std::string_view subnet_id,
                                                  std::string_view ip,
                                                  const std::vector<std::string>& groups,
                                                  std::string_view description) override {
    std::lock_guard lock(mu_);
    auto it = subnets_.find(std::string(subnet_id));
    if (it == subnets_.end()) return Fail(400, "InvalidSubnetID.NotFound", "no such subnet");
    Subnet& s = it->second;
    std::vector<std::string> sgs = groups;
    if (sgs.empty()) sgs.push_back(s.info.vpc_id == "vpc-1" ? "sg-0000000d" : "sg-0000000e");
    for (const auto& g : sgs) {
      auto gi = groups_.find(g);
      if (gi == groups_.end() || gi->second != s.info.vpc_id) {
        return Fail(400, "InvalidGroup.NotFound", "no such group " + g);
      }
    }
    std::string addr(ip);
    if (addr.empty()) {
      for (int host = 4; host < 4 + free_per_subnet && addr.empty(); ++host) {
        std::string candidate = s.prefix + std::to_string(host);
        if (!used_ips_.count(candidate)) addr = candidate;
      }
      if (addr.empty()) return Fail(400, "InsufficientFreeAddressesInSubnet", "subnet full");
    } else if (!addr.starts_with(s.prefix)) {
      return Fail(400, "InvalidParameterValue", "address not in subnet");
    } else if (used_ips_.count(addr)) {
      return Fail(400, "InvalidIPAddress.InUse", "address in use");
    }
    NetworkInterfaceInfo eni{"eni-" + std::to_string(100000 + next_eni_++), s.info.subnet_id,
                             s.info.vpc_id, s.info.availability_zone, addr, sgs,
                             std::string(description), s.info.owner_id};
    used_ips_.insert(addr);
    enis_[eni.network_interface_id] = eni;
    return eni;
  }

  ApiResult<void> DeleteInterface(std::string_view eni_id) override {
    std::lock_guard lock(mu_);
    auto it = enis_.find(std::string(eni_id));
    if (it == enis_.end()) return Fail(400, "InvalidNetworkInterfaceID.NotFound", "no such eni");
    used_ips_.erase(it->second.private_ip);
    enis_.erase(it);
    return {};
  }

  ApiResult<void> SetInterfaceGroups(std::string_view eni_id,
                                     const std::vector<std::string>& groups) override {
    std::lock_guard lock(mu_);
    auto it = enis_.find(std::string(eni_id));
    if (it == enis_.end()) return Fail(400, "InvalidNetworkInterfaceID.NotFound", "no such eni");
    for (const auto& g : groups) {
      auto gi = groups_.find(g);
      if (gi == groups_.end() || gi->second != it->second.vpc_id) {
        return Fail(400, "InvalidGroup.NotFound", "no such group " + g);
      }
    }
    it->second.security_groups = groups;
    return {};
  }

  size_t interfaces() {
    std::lock_guard lock(mu_);
    return enis_.size();
  }

  int free_per_subnet = 200;

 private:
  struct Subnet {
    SubnetInfo info;
    std::string prefix;
  };
  void AddSubnet(std::string id, std::string vpc, std::string az, std::string az_id,
                 std::string prefix) {
    subnets_[id] = {{id, vpc, az, az_id, prefix + "0/24", "123456789012"}, prefix};
  }

  std::mutex mu_;
  std::map<std::string, Subnet> subnets_;
  std::map<std::string, std::string> groups_;  // sg → vpc
  std::map<std::string, NetworkInterfaceInfo> enis_;
  std::set<std::string> used_ips_;
  int next_eni_ = 0;
};

class FakeDataPlane final : public DataPlane {
 public:
  Status CreateStorage(std::string_view fs_id) override {
    std::lock_guard lock(mu_);
    if (fail_create) return Status::Io("disk on fire");
    storages.insert(std::string(fs_id));
    return Status::Ok();
  }
  Status DeleteStorage(std::string_view fs_id) override {
    std::lock_guard lock(mu_);
    if (fail_delete) return Status::Io("disk on fire");
    storages.erase(std::string(fs_id));
    return Status::Ok();
  }
  uint64_t MeteredSize(std::string_view fs_id) override {
    std::lock_guard lock(mu_);
    auto it = sizes.find(std::string(fs_id));
    return it == sizes.end() ? 6144 : it->second;
  }
  Status OpenMountTarget(std::string_view mt, std::string_view fs, std::string_view ip) override {
    std::lock_guard lock(mu_);
    if (fail_open) return Status::Io("cannot bind");
    listeners[std::string(mt)] = {std::string(fs), std::string(ip)};
    return Status::Ok();
  }
  void CloseMountTarget(std::string_view mt) override {
    std::lock_guard lock(mu_);
    listeners.erase(std::string(mt));
  }

  std::mutex mu_;
  std::set<std::string> storages;
  std::map<std::string, uint64_t> sizes;
  std::map<std::string, std::pair<std::string, std::string>> listeners;  // mt → (fs, ip)
  bool fail_create = false, fail_delete = false, fail_open = false;
};

struct Reply {
  int status = 0;
  Json body;              // null when the body was empty
  std::string error;      // x-amzn-ErrorType
  std::string request_id; // x-amzn-RequestId
  std::string action;     // Outcome::action
  std::string resource;   // Outcome::resource
};

inline constexpr const char* kAccount = "123456789012";
inline constexpr const char* kRegion = "us-east-1";

class EfsTest : public ::testing::Test {
 protected:
  EfsTest() : store_(store::NewMemoryStore()) { Rebuild(EfsConfig{}); }

  // A new service over the same store, with `config` (account and region filled in).
  void Rebuild(EfsConfig config) {
    config.account_id = kAccount;
    config.region = kRegion;
    service_ = std::make_unique<EfsService>(*store_, network_, data_, random_, std::move(config));
  }

  CallContext Context() const {
    CallContext ctx;
    ctx.principal.kind = Principal::Kind::kRoot;
    ctx.principal.account = kAccount;
    ctx.principal.arn = std::string("arn:aws:iam::") + kAccount + ":root";
    ctx.region = kRegion;
    ctx.request_id = "req-1";
    ctx.now = std::chrono::system_clock::time_point(std::chrono::seconds(now_));
    return ctx;
  }

  Reply Send(const std::string& method, const std::string& target) {
    return SendWith(authz_, method, target, "");
  }
  Reply SendRaw(const std::string& method, const std::string& target, const std::string& body) {
    return SendWith(authz_, method, target, body);
  }
  Reply SendWith(Authorizer& authz, const std::string& method, const std::string& target,
                 const std::string& body) {
    http::Request req;
    req.method = method;
    req.target = target;
    req.body = body;
    Outcome out = service_->Handle(Context(), req, authz);
    Reply r;
    r.status = out.response.status;
    r.action = out.action;
    r.resource = out.resource;
    for (const auto& [k, v] : out.response.headers) {
      if (k == "x-amzn-ErrorType") r.error = v;
      if (k == "x-amzn-RequestId") r.request_id = v;
    }
    if (!out.response.body.empty()) {
      r.body = Json::parse(out.response.body, nullptr, false);
      EXPECT_FALSE(r.body.is_discarded()) << out.response.body;
    }
    if (!r.error.empty()) {
      EXPECT_EQ(r.body.value("ErrorCode", ""), r.error);
      EXPECT_TRUE(r.body.contains("Message"));
      EXPECT_EQ(out.error_code, r.error);
    }
    return r;
  }
  Reply Send(const std::string& method, const std::string& target, const Json& body) {
    return SendWith(authz_, method, target, body.dump());
  }

  // Creates a file system and returns its id.
  std::string NewFs(Json extra = Json::object()) {
    extra["CreationToken"] = "tok-" + std::to_string(++counter_);
    Reply r = Send("POST", "/2015-02-01/file-systems", extra);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body.value("FileSystemId", "");
  }
  std::string NewMt(const std::string& fs, const std::string& subnet = "subnet-0000000a") {
    Reply r = Send("POST", "/2015-02-01/mount-targets",
                   Json{{"FileSystemId", fs}, {"SubnetId", subnet}});
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body.value("MountTargetId", "");
  }
  std::string NewAp(const std::string& fs, Json extra = Json::object()) {
    extra["FileSystemId"] = fs;
    if (!extra.contains("ClientToken")) extra["ClientToken"] = "ct-" + std::to_string(++counter_);
    Reply r = Send("POST", "/2015-02-01/access-points", extra);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body.value("AccessPointId", "");
  }
  // Runs send(i) for i in [0, n) on n threads at once; the replies in order.
  std::vector<Reply> Concurrently(size_t n, const std::function<Reply(size_t)>& send) {
    std::vector<Reply> replies(n);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < n; ++i) threads.emplace_back([&, i] { replies[i] = send(i); });
    for (auto& t : threads) t.join();
    return replies;
  }
  // Records of a kind in the store (to prove that nothing changed).
  size_t Count(const char* kind) { return store_->List(kind)->size(); }

  std::unique_ptr<store::Store> store_;
  FakeNetwork network_;
  FakeDataPlane data_;
  SeededRandom random_{42};
  RecordingAuthorizer authz_;
  std::unique_ptr<EfsService> service_;
  int64_t now_ = 1'700'000'000;
  int counter_ = 0;
};

// An authorizer that denies everything and remembers what it was asked.
class DenyAll final : public Authorizer {
 public:
  tl::expected<void, ApiError> Authorize(const CallContext&, const AuthzRequest& req) override {
    asked.push_back(req);
    return tl::unexpected<ApiError>(ApiError{403, "AccessDenied", "not authorized to perform " + req.action});
  }
  std::vector<AuthzRequest> asked;
};

// Allows everything; safe to share between threads.
class ThreadSafeAllow final : public Authorizer {
 public:
  tl::expected<void, ApiError> Authorize(const CallContext&, const AuthzRequest&) override {
    calls++;
    return {};
  }
  std::atomic<int> calls{0};
};

}  // namespace elfs::api::efs::testing
