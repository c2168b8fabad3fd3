#include "api/ec2/network_view.h"

namespace elfs::api::ec2 {
namespace {

template <class T>
Status LoadAll(store::Store& store, std::string_view kind,
               std::map<std::string, T, std::less<>>* out) {
  auto records = store.List(kind);
  if (!records) return records.error();
  for (const auto& r : *records) {
    auto v = Decode<T>(r.value);
    if (!v) return v.error();
    out->emplace(r.id, std::move(*v));
  }
  return Status::Ok();
}

template <class M>
auto Find(const M& m, std::string_view key) -> const typename M::mapped_type* {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

}  // namespace

Result<std::shared_ptr<const NetworkSnapshot>> NetworkSnapshot::Load(store::Store& store,
                                                                     uint64_t generation) {
  auto snap = std::make_shared<NetworkSnapshot>();
  snap->generation_ = generation;
  ELFS_RETURN_IF_ERROR_R(LoadAll(store, kInterfaceKind, &snap->interfaces_));
  ELFS_RETURN_IF_ERROR_R(LoadAll(store, kSubnetKind, &snap->subnets_));
  ELFS_RETURN_IF_ERROR_R(LoadAll(store, kGroupKind, &snap->groups_));
  ELFS_RETURN_IF_ERROR_R(LoadAll(store, kAclKind, &snap->acls_));
  for (const auto& [id, eni] : snap->interfaces_) snap->interface_by_ip_[eni.private_ip] = id;
  for (const auto& [id, acl] : snap->acls_) {
    for (const auto& a : acl.associations) snap->acl_by_subnet_[a.subnet_id] = id;
  }
  return std::shared_ptr<const NetworkSnapshot>(std::move(snap));
}

const NetworkInterface* NetworkSnapshot::Interface(std::string_view eni_id) const {
  return Find(interfaces_, eni_id);
}

const NetworkInterface* NetworkSnapshot::InterfaceForAddress(const IpAddress& ip) const {
  auto it = interface_by_ip_.find(ip);
  return it == interface_by_ip_.end() ? nullptr : Interface(it->second);
}

const Subnet* NetworkSnapshot::FindSubnet(std::string_view subnet_id) const {
  return Find(subnets_, subnet_id);
}

const Subnet* NetworkSnapshot::SubnetContaining(const IpAddress& ip) const {
  // Subnets are few (a handful per VPC); a scan is cheaper than an index
  // that would have to be kept in sync.
  for (const auto& [id, s] : subnets_) {
    if (Contains(s.cidr, ip)) return &s;
  }
  return nullptr;
}

const SecurityGroup* NetworkSnapshot::Group(std::string_view group_id) const {
  return Find(groups_, group_id);
}

std::vector<const SecurityGroup*> NetworkSnapshot::GroupsOfInterface(
    std::string_view eni_id) const {
  std::vector<const SecurityGroup*> out;
  const NetworkInterface* eni = Interface(eni_id);
  if (!eni) return out;
  for (const auto& g : eni->groups) {
    if (const SecurityGroup* sg = Group(g)) out.push_back(sg);
  }
  return out;
}

std::vector<SecurityGroupRule> NetworkSnapshot::RulesOfGroups(
    const std::vector<std::string>& group_ids) const {
  std::vector<SecurityGroupRule> out;
  for (const auto& g : group_ids) {
    if (const SecurityGroup* sg = Group(g)) {
      out.insert(out.end(), sg->rules.begin(), sg->rules.end());
    }
  }
  return out;
}

const NetworkAcl* NetworkSnapshot::AclOfSubnet(std::string_view subnet_id) const {
  const std::string* acl = Find(acl_by_subnet_, subnet_id);
  return acl ? Find(acls_, *acl) : nullptr;
}

NetworkView::NetworkView(store::Store& store)
    : store_(store), generation_(std::make_shared<std::atomic<uint64_t>>(1)) {
  std::weak_ptr<std::atomic<uint64_t>> gen = generation_;
  store_.Watch([gen](const std::vector<store::Key>& changed) {
    for (const auto& k : changed) {
      if (k.kind.starts_with("ec2/")) {
        if (auto g = gen.lock()) g->fetch_add(1, std::memory_order_acq_rel);
        return;
      }
    }
  });
}

Result<std::shared_ptr<const NetworkSnapshot>> NetworkView::Current() {
  // Read the generation before loading: a commit racing with the load bumps
  // it again, so the next call reloads rather than keeping a stale snapshot.
  uint64_t gen = Generation();
  std::lock_guard lock(mu_);
  if (snapshot_ && snapshot_->generation() == gen) return snapshot_;
  auto snap = NetworkSnapshot::Load(store_, gen);
  if (!snap) return Err(snap.error());
  snapshot_ = *snap;
  return snapshot_;
}

}  // namespace elfs::api::ec2
