// The read-only view of the network that the data plane (issue 6) consults
// at accept time: which interface a client address belongs to, the security
// groups and rules of an interface, the network ACL of a subnet, the subnet
// that contains an address.
//
// NetworkView::Current() returns an immutable NetworkSnapshot built from the
// store; one snapshot answers every question about one connection, so the
// checks never see half of a change. The view rebuilds the snapshot lazily
// after any commit that touched an "ec2/" kind (it watches the store), and
// Generation() tells a caller holding connections that the rules changed
// and that live connections must be re-checked.
//
// Addresses map to at most one interface and one subnet because elfs keeps
// VPC ranges disjoint (docs/network.md).
//
// Thread safety: NetworkView is thread-safe; a NetworkSnapshot is immutable
// and may be shared between threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/ec2/model.h"
#include "api/ec2/rules.h"
#include "common/status.h"
#include "store/store.h"

namespace elfs::api::ec2 {

class NetworkSnapshot {
 public:
  // Builds a snapshot from the store's ec2 records.
  static Result<std::shared_ptr<const NetworkSnapshot>> Load(store::Store& store,
                                                              uint64_t generation);

  // The store generation this snapshot reflects (see NetworkView::Generation).
  uint64_t generation() const { return generation_; }

  const NetworkInterface* Interface(std::string_view eni_id) const;
  // The interface whose private address is `ip`, if any.
  const NetworkInterface* InterfaceForAddress(const IpAddress& ip) const;
  const Subnet* FindSubnet(std::string_view subnet_id) const;
  // The subnet whose range contains `ip`, if any.
  const Subnet* SubnetContaining(const IpAddress& ip) const;
  const SecurityGroup* Group(std::string_view group_id) const;
  // The groups of an interface (missing ones skipped) and the union of their
  // rules, both directions.
  std::vector<const SecurityGroup*> GroupsOfInterface(std::string_view eni_id) const;
  std::vector<SecurityGroupRule> RulesOfGroups(const std::vector<std::string>& group_ids) const;
  // The network ACL associated with the subnet (every subnet has exactly
  // one), or nullptr for an unknown subnet. Its `entries` are what
  // EvaluateNacl takes.
  const NetworkAcl* AclOfSubnet(std::string_view subnet_id) const;

 private:
  uint64_t generation_ = 0;
  std::map<std::string, NetworkInterface, std::less<>> interfaces_;
  std::map<IpAddress, std::string> interface_by_ip_;
  std::map<std::string, Subnet, std::less<>> subnets_;
  std::map<std::string, SecurityGroup, std::less<>> groups_;
  std::map<std::string, NetworkAcl, std::less<>> acls_;
  std::map<std::string, std::string, std::less<>> acl_by_subnet_;
};

class NetworkView {
 public:
  // Registers a watcher on `store`. REQUIRES: store outlives the view. The
  // watcher holds only a shared counter, so the view may go first.
  explicit NetworkView(store::Store& store);

  // The current snapshot; rebuilt when the generation moved since the last one.
  Result<std::shared_ptr<const NetworkSnapshot>> Current();
  // Counts commits that touched ec2 records. Cheap; lock-free.
  uint64_t Generation() const { return generation_->load(std::memory_order_acquire); }

 private:
  store::Store& store_;
  std::shared_ptr<std::atomic<uint64_t>> generation_;
  std::mutex mu_;  // guards snapshot_
  std::shared_ptr<const NetworkSnapshot> snapshot_;
};

}  // namespace elfs::api::ec2
