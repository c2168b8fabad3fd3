// The EC2 Query API (2016-11-15) as elfs needs it: VPCs (and the default VPC,
// created on first use), subnets, security groups and their rules, network
// ACLs and their entries and associations, network interfaces (a client's
// address and its security groups), availability zones and tags. State lives
// in the store under "ec2/..." kinds (model.h).
//
// The service is also the NetworkDirectory of api/common/directory.h: the EFS
// service creates mount targets' network interfaces (interface type "efs",
// requester-managed) through it.
//
// Wire format: form-encoded `Action=...&Version=2016-11-15` (POST body or GET
// query), lists as `Name.N`; responses `<ActionResponse xmlns=...>` with a
// requestId, lowerCamel elements and `<item>` lists; errors
// `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>`.
//
// Thread safety: thread-safe. Changes are optimistic transactions on the
// store (model.h explains the locking records), retried on conflict.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/common/directory.h"
#include "api/common/service.h"
#include "common/random.h"
#include "common/status.h"
#include "store/store.h"

namespace elfs::api::ec2 {
namespace internal {
class State;  // ec2_state.h
}

struct Ec2Options {
  std::string account_id = "123456789012";
  std::string region = "us-east-1";
  // The default VPC's range. AWS uses 172.31.0.0/16; elfs maps it to
  // loopback addresses so that one host can listen on every mount target's
  // address. Its subnets are the first /20s (or quarters, for a VPC smaller
  // than a /18) of the range, one per availability zone.
  std::string default_vpc_cidr = "127.31.0.0/16";
  // Availability zones <region>a, <region>b, ... (1..6).
  int availability_zones = 3;
};

// OK, or why the options cannot work (a bad CIDR, a range too small).
Status ValidateOptions(const Ec2Options& options);

// "use1" for "us-east-1", "euw2" for "eu-west-2", "apse1" for
// "ap-southeast-1": the prefix of AWS's availability zone ids.
std::string AzIdPrefix(std::string_view region);

class Ec2Service final : public Service, public NetworkDirectory {
 public:
  // REQUIRES: ValidateOptions(options) is OK; store and random outlive this.
  Ec2Service(store::Store& store, Random& random, Ec2Options options);
  ~Ec2Service() override;

  // Service
  std::string_view SigningName() const override { return "ec2"; }
  Outcome Handle(const CallContext& ctx, const http::Request& req, Authorizer& authz) override;

  // Creates the default VPC, its subnets, security group and network ACL
  // unless it was created before (even if the user deleted it since, as AWS
  // does). Idempotent and safe to call concurrently, also from several
  // hosts sharing the store. Every operation calls it first.
  ApiResult<std::string> EnsureDefaultVpc();

  // NetworkDirectory
  std::optional<SubnetInfo> FindSubnet(std::string_view subnet_id) override;
  std::optional<NetworkInterfaceInfo> FindInterface(std::string_view eni_id) override;
  // Creates a requester-managed interface of type "efs" (the user cannot
  // delete it or change its groups through the EC2 API).
  ApiResult<NetworkInterfaceInfo> CreateInterface(const CallContext& ctx,
                                                  std::string_view subnet_id,
                                                  std::string_view ip,
                                                  const std::vector<std::string>& groups,
                                                  std::string_view description) override;
  ApiResult<void> DeleteInterface(std::string_view eni_id) override;
  ApiResult<void> SetInterfaceGroups(std::string_view eni_id,
                                     const std::vector<std::string>& groups) override;

  const Ec2Options& options() const;

 private:
  std::unique_ptr<internal::State> state_;
};

}  // namespace elfs::api::ec2
