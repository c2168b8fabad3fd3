// CreateMountTarget, DescribeMountTargets, DeleteMountTarget,
// DescribeMountTargetSecurityGroups, ModifyMountTargetSecurityGroups.
//
// A mount target is an EC2 network interface (NetworkDirectory) plus a live
// NFS listener (DataPlane) plus a record. The one-per-AZ and one-VPC rules
// live in the file system's record, so committing a mount target
// compare-and-swaps the file system: two concurrent creates cannot both win.
#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/efs/impl.h"

namespace elfs::api::efs {
namespace {

using Impl = EfsService::Impl;

constexpr size_t kMaxSecurityGroups = 5;

// EC2's answers for an interface, in EFS's words.
EfsError FromEc2(const ApiError& e) {
  std::string code;
  if (e.code == "InvalidSubnetID.NotFound" || e.code == "InvalidSubnetID.Malformed") {
    code = "SubnetNotFound";
  } else if (e.code.starts_with("InvalidGroup")) {
    code = "SecurityGroupNotFound";
  } else if (e.code == "InvalidIPAddress.InUse") {
    code = "IpAddressInUse";
  } else if (e.code == "InsufficientFreeAddressesInSubnet") {
    code = "NoFreeAddressesInSubnet";
  } else if (e.code == "NetworkInterfaceLimitExceeded") {
    code = "NetworkInterfaceLimitExceeded";
  } else if (e.http_status < 500) {
    code = "BadRequest";
  } else {
    code = "InternalServerError";
  }
  return EfsError{StatusOfError(code), code, e.message, Json::object()};
}

R<std::vector<std::string>> SecurityGroupsOf(const Obj& o) {
  EFS_TRY(groups, GetStringList(o, "SecurityGroups", 0, 100, SecurityGroupShape()));
  std::vector<std::string> out;
  for (auto& g : groups.value_or(std::vector<std::string>{})) {
    if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(std::move(g));
  }
  if (out.size() > kMaxSecurityGroups) {
    return Error("SecurityGroupLimitExceeded",
                 fmt::format("A mount target can have at most {} security groups.",
                             kMaxSecurityGroups));
  }
  return out;
}

bool OctetsInRange(std::string_view ip) {
  int value = 0, digits = 0;
  for (char ch : ip) {
    if (ch == '.') {
      value = 0;
      digits = 0;
      continue;
    }
    value = value * 10 + (ch - '0');
    if (++digits > 3 || value > 255) return false;
  }
  return true;
}

}  // namespace

R<Impl::Answer> Impl::CreateMountTarget(Call& c) {
  Obj o{c.body, ""};
  EFS_TRY(fs_value, Required(GetString(o, "FileSystemId", FileSystemIdShape()), o, "FileSystemId"));
  EFS_TRY(subnet_id, Required(GetString(o, "SubnetId", SubnetIdShape()), o, "SubnetId"));
  EFS_TRY(ip, GetString(o, "IpAddress", IpAddressShape()));
  if (ip && !OctetsInRange(*ip)) return BadRequest(fmt::format("'{}' is not an IPv4 address.", *ip));
  EFS_TRY(groups, SecurityGroupsOf(o));

  EFS_TRY(first, LoadFsParam(c, "fileSystemId", fs_value));
  ConditionKeys keys;
  AddResourceTags(keys, first.tags);
  EFS_CHECK(Authorize(c, c.resource, keys));

  auto check = [&](const FileSystemRecord& fs, const SubnetInfo& subnet) -> R<void> {
    if (fs.life_cycle_state != "available") {
      return Error("IncorrectFileSystemLifeCycleState",
                   fmt::format("File system '{}' is {}.", fs.id, fs.life_cycle_state));
    }
    if (!fs.az_name.empty() && subnet.availability_zone != fs.az_name) {
      return Error("AvailabilityZonesMismatch",
                   fmt::format("File system '{}' is One Zone in {}; subnet '{}' is in {}.", fs.id,
                               fs.az_name, subnet.subnet_id, subnet.availability_zone));
    }
    if (auto it = fs.mount_targets.find(subnet.availability_zone); it != fs.mount_targets.end()) {
      return Error("MountTargetConflict",
                   fmt::format("File system '{}' already has mount target '{}' in {}.", fs.id,
                               it->second, subnet.availability_zone));
    }
    if (!fs.mount_target_vpc.empty() && fs.mount_target_vpc != subnet.vpc_id) {
      return Error("MountTargetConflict",
                   fmt::format("File system '{}' has mount targets in {}; all must be in one VPC.",
                               fs.id, fs.mount_target_vpc));
    }
    return {};
  };

  auto subnet = network_.FindSubnet(subnet_id);
  if (!subnet || subnet->owner_id != config_.account_id) {
    return Error("SubnetNotFound", fmt::format("Subnet '{}' does not exist.", subnet_id));
  }
  EFS_CHECK(check(first, *subnet));

  MountTargetRecord mt;
  mt.id = NewId("fsmt");
  mt.file_system_id = first.id;
  mt.owner_id = config_.account_id;
  mt.subnet_id = subnet->subnet_id;
  mt.vpc_id = subnet->vpc_id;
  mt.az_name = subnet->availability_zone;
  mt.az_id = subnet->availability_zone_id;

  auto eni = network_.CreateInterface(c.ctx, subnet_id, ip.value_or(""), groups,
                                      fmt::format("EFS mount target for {} ({})", first.id, mt.id));
  if (!eni) return tl::unexpected<EfsError>(FromEc2(eni.error()));
  mt.network_interface_id = eni->network_interface_id;
  mt.ip_address = eni->private_ip;

  auto drop_interface = [&] {
    auto deleted = network_.DeleteInterface(mt.network_interface_id);
    if (!deleted) {
      spdlog::warn("efs: network interface {} of abandoned mount target {} not deleted: {}",
                   mt.network_interface_id, mt.id, deleted.error().message);
    }
  };
  Status opened = data_plane_.OpenMountTarget(mt.id, mt.file_system_id, mt.ip_address);
  if (!opened.ok()) {
    drop_interface();
    return Error("InternalServerError",
                 fmt::format("could not serve NFS at {}: {}", mt.ip_address, opened.message()));
  }

  auto answer = Retrying([&]() -> R<Answer> {
    EFS_TRY(fs, LoadFs(first.id));
    EFS_CHECK(check(fs, *subnet));
    fs.mount_targets[mt.az_name] = mt.id;
    fs.mount_target_vpc = mt.vpc_id;
    store::Transaction txn;
    txn.Put(kFileSystemKind, fs.id, Dump(fs.ToJson()), fs.version);
    txn.Put(kMountTargetKind, mt.id, Dump(mt.ToJson()), store::kMustNotExist);
    EFS_CHECK(Commit(txn));
    return Answer{200, mt.ToJson()};
  });
  if (!answer) {
    data_plane_.CloseMountTarget(mt.id);
    drop_interface();
  }
  return answer;
}

R<Impl::Answer> Impl::DescribeMountTargets(Call& c) {
  EFS_TRY(max_items, QueryInt(c, "MaxItems"));
  EFS_TRY(marker, QueryString(c, "Marker", TokenLikeShape(128)));
  const std::string* fs_q = c.query.Get("FileSystemId");
  const std::string* mt_q = c.query.Get("MountTargetId");
  const std::string* ap_q = c.query.Get("AccessPointId");
  if ((fs_q != nullptr) + (mt_q != nullptr) + (ap_q != nullptr) != 1) {
    return BadRequest("Specify exactly one of FileSystemId, MountTargetId or AccessPointId.");
  }
  std::vector<MountTargetRecord> found;
  if (mt_q) {
    EFS_TRY(mt_id, ValidateString("mountTargetId", *mt_q, MountTargetIdShape()));
    EFS_TRY(mt, LoadAuthorizedMt(c, mt_id));
    found.push_back(std::move(mt));
  } else {
    std::string fs_id;
    if (ap_q) {
      EFS_TRY(ap_id, ApIdFrom("accessPointId", *ap_q));
      EFS_TRY(ap, LoadAuthorizedAp(c, ap_id));
      fs_id = ap.file_system_id;
    } else {
      EFS_TRY(fs, LoadFsParam(c, "fileSystemId", *fs_q));
      ConditionKeys keys;
      AddResourceTags(keys, fs.tags);
      EFS_CHECK(Authorize(c, c.resource, keys));
      fs_id = fs.id;
    }
    EFS_TRY(all, ListMt());
    for (auto& mt : all) {
      if (mt.file_system_id == fs_id) found.push_back(std::move(mt));
    }
  }
  std::vector<std::string> ids;
  for (const auto& mt : found) ids.push_back(mt.id);
  // EFS pages mount targets by 10 unless asked for fewer.
  PageBounds page = Page(ids, marker, max_items, max_items ? 100 : 10);
  Json list = Json::array();
  for (size_t i = page.begin; i < page.end; ++i) list.push_back(found[i].ToJson());
  Json out = {{"MountTargets", list}};
  if (marker) out["Marker"] = *marker;
  if (page.next) out["NextMarker"] = *page.next;
  return Answer{200, out};
}

R<Impl::Answer> Impl::DeleteMountTarget(Call& c) {
  EFS_TRY(mt_id, ValidateString("mountTargetId", c.params[0], MountTargetIdShape()));
  EFS_TRY(first, LoadAuthorizedMt(c, mt_id));

  EFS_TRY(done, Retrying([&]() -> R<Answer> {
    EFS_TRY(mt, LoadMt(mt_id));
    store::Transaction txn;
    txn.Delete(kMountTargetKind, mt.id, mt.version);
    if (auto fs = LoadFs(mt.file_system_id)) {
      fs->mount_targets.erase(mt.az_name);
      if (fs->mount_targets.empty()) fs->mount_target_vpc.clear();
      txn.Put(kFileSystemKind, fs->id, Dump(fs->ToJson()), fs->version);
    }
    EFS_CHECK(Commit(txn));
    return Answer{204, std::nullopt};
  }));
  // The record is gone: whoever committed that owns the teardown.
  data_plane_.CloseMountTarget(first.id);
  auto deleted = network_.DeleteInterface(first.network_interface_id);
  if (!deleted) {
    spdlog::warn("efs: network interface {} of deleted mount target {} not deleted: {}",
                 first.network_interface_id, first.id, deleted.error().message);
  }
  return done;
}

R<MountTargetRecord> Impl::LoadAuthorizedMt(Call& c, std::string_view mt_id) {
  EFS_TRY(mt, LoadMt(mt_id));
  ConditionKeys keys;
  if (auto fs = LoadFs(mt.file_system_id)) AddResourceTags(keys, fs->tags);
  c.resource = FsArn(mt.file_system_id);
  EFS_CHECK(Authorize(c, c.resource, keys));
  return mt;
}

namespace {

R<void> MustBeAvailable(const MountTargetRecord& mt) {
  if (mt.life_cycle_state != "available") {
    return Error("IncorrectMountTargetState",
                 fmt::format("Mount target '{}' is {}.", mt.id, mt.life_cycle_state));
  }
  return {};
}

}  // namespace

R<Impl::Answer> Impl::DescribeMountTargetSecurityGroups(Call& c) {
  EFS_TRY(mt_id, ValidateString("mountTargetId", c.params[0], MountTargetIdShape()));
  EFS_TRY(mt, LoadAuthorizedMt(c, mt_id));
  EFS_CHECK(MustBeAvailable(mt));
  auto eni = network_.FindInterface(mt.network_interface_id);
  if (!eni) {
    return Error("InternalServerError",
                 fmt::format("the network interface of mount target '{}' is missing", mt.id));
  }
  return Answer{200, Json{{"SecurityGroups", eni->security_groups}}};
}

R<Impl::Answer> Impl::ModifyMountTargetSecurityGroups(Call& c) {
  EFS_TRY(mt_id, ValidateString("mountTargetId", c.params[0], MountTargetIdShape()));
  EFS_TRY(groups, SecurityGroupsOf(Obj{c.body, ""}));
  EFS_TRY(mt, LoadAuthorizedMt(c, mt_id));
  EFS_CHECK(MustBeAvailable(mt));
  if (groups.empty()) return BadRequest("A mount target needs at least one security group.");
  auto set = network_.SetInterfaceGroups(mt.network_interface_id, groups);
  if (!set) return tl::unexpected<EfsError>(FromEc2(set.error()));
  return Answer{204, std::nullopt};
}

}  // namespace elfs::api::efs
