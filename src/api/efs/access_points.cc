// CreateAccessPoint, DescribeAccessPoints, DeleteAccessPoint.
//
// ClientToken idempotency: the token's record is written with
// kMustNotExist in the same transaction as the access point, and the file
// system's access point count is compare-and-swapped there too, so concurrent
// identical requests make one access point and the limit holds.
#include <fmt/format.h>

#include "api/efs/impl.h"

namespace elfs::api::efs {
namespace {

using Impl = EfsService::Impl;

constexpr int64_t kMaxId = 4294967295;
constexpr size_t kMaxSecondaryGids = 16;

R<std::optional<PosixUser>> PosixUserOf(const Obj& o) {
  EFS_TRY(json, GetObject(o, "PosixUser"));
  if (!json) return std::optional<PosixUser>();
  Obj p{*json, o.At("PosixUser")};
  EFS_TRY(uid, Required(GetLong(p, "Uid", 0, kMaxId), p, "Uid"));
  EFS_TRY(gid, Required(GetLong(p, "Gid", 0, kMaxId), p, "Gid"));
  EFS_TRY(list, GetArray(p, "SecondaryGids", 0, kMaxSecondaryGids));
  PosixUser user{static_cast<uint32_t>(uid), static_cast<uint32_t>(gid), {}};
  if (list) {
    for (size_t i = 0; i < list->size(); ++i) {
      // Each element read as a one-member object, for the same checks and messages.
      Json holder = {{"member", (*list)[i]}};
      Obj element{holder, fmt::format("{}.{}", p.At("SecondaryGids"), i + 1)};
      EFS_TRY(g, Required(GetLong(element, "member", 0, kMaxId), element, "member"));
      user.secondary_gids.push_back(static_cast<uint32_t>(g));
    }
  }
  return std::optional<PosixUser>(std::move(user));
}

struct RootDirectory {
  std::string path = "/";
  std::optional<CreationInfo> creation_info;
  std::string permissions_text;
};

R<RootDirectory> RootDirectoryOf(const Obj& o) {
  RootDirectory root;
  EFS_TRY(json, GetObject(o, "RootDirectory"));
  if (!json) return root;
  Obj r{*json, o.At("RootDirectory")};
  EFS_TRY(path, GetString(r, "Path", PathShape()));
  if (path) root.path = *path;
  EFS_TRY(info_json, GetObject(r, "CreationInfo"));
  if (info_json) {
    Obj i{*info_json, r.At("CreationInfo")};
    EFS_TRY(uid, Required(GetLong(i, "OwnerUid", 0, kMaxId), i, "OwnerUid"));
    EFS_TRY(gid, Required(GetLong(i, "OwnerGid", 0, kMaxId), i, "OwnerGid"));
    EFS_TRY(perms, Required(GetString(i, "Permissions", PermissionsShape()), i, "Permissions"));
    auto mode = ParseOctalMode(perms);
    if (!mode) return BadRequest("Permissions must be octal mode bits.");
    root.creation_info = CreationInfo{static_cast<uint32_t>(uid), static_cast<uint32_t>(gid), *mode};
    root.permissions_text = perms;
  }
  return root;
}

}  // namespace

R<Impl::Answer> Impl::CreateAccessPoint(Call& c) {
  Obj o{c.body, ""};
  EFS_TRY(token, Required(GetString(o, "ClientToken", TokenLikeShape(64)), o, "ClientToken"));
  EFS_TRY(fs_value, Required(GetString(o, "FileSystemId", FileSystemIdShape()), o, "FileSystemId"));
  EFS_TRY(tags_opt, GetTags(o, "Tags"));
  Tags tags = tags_opt.value_or(Tags{});
  EFS_CHECK(CheckTagCount(tags));
  EFS_TRY(user, PosixUserOf(o));
  EFS_TRY(root, RootDirectoryOf(o));

  EFS_TRY(first, LoadFsParam(c, "fileSystemId", fs_value));
  AccessPointRecord ap;
  ap.id = NewId("fsap");
  ap.file_system_id = first.id;
  ap.owner_id = config_.account_id;
  ap.client_token = token;
  ap.posix_user = user;
  ap.root_path = root.path;
  ap.creation_info = root.creation_info;
  ap.permissions_text = root.permissions_text;
  ap.tags = tags;
  // The request as stored, without what the service chose (the id).
  Json fingerprint = ap.ToJson();
  fingerprint.erase("AccessPointId");

  ConditionKeys keys;
  AddResourceTags(keys, first.tags);
  AddRequestTags(keys, tags);
  EFS_CHECK(Authorize(c, c.resource, keys));
  EFS_CHECK(AuthorizeCreateTags(c, ApArn(ap.id), tags));

  return Retrying([&]() -> R<Answer> {
    auto rec = store_.Get(kClientTokenKind, token);
    if (!rec) return StoreFailure(rec.error());
    if (*rec) {
      Json t = Json::parse((*rec)->value, nullptr, false);
      std::string id = t.is_object() ? t.value("AccessPointId", "") : "";
      if (t.is_object() && t.value("Request", Json()) == fingerprint) {
        EFS_TRY(old, LoadAp(id));
        c.resource = ApArn(old.id);
        return Answer{200, DescribeAp(old)};
      }
      return tl::unexpected<EfsError>(EfsError{
          409, "AccessPointAlreadyExists",
          fmt::format("Access point '{}' already exists with client token '{}'.", id, token),
          {{"AccessPointId", id}}});
    }
    EFS_TRY(fs, LoadFs(first.id));
    if (fs.life_cycle_state != "available") {
      return Error("IncorrectFileSystemLifeCycleState",
                   fmt::format("File system '{}' is {}.", fs.id, fs.life_cycle_state));
    }
    if (fs.access_points >= config_.max_access_points_per_file_system) {
      return Error("AccessPointLimitExceeded",
                   fmt::format("File system '{}' already has {} access points, the limit.", fs.id,
                               fs.access_points));
    }
    fs.access_points += 1;
    store::Transaction txn;
    txn.Put(kClientTokenKind, token, Dump({{"AccessPointId", ap.id}, {"Request", fingerprint}}),
            store::kMustNotExist);
    txn.Put(kAccessPointKind, ap.id, Dump(ap.ToJson()), store::kMustNotExist);
    txn.Put(kFileSystemKind, fs.id, Dump(fs.ToJson()), fs.version);
    EFS_CHECK(Commit(txn));
    c.resource = ApArn(ap.id);
    return Answer{200, DescribeAp(ap)};
  });
}

R<AccessPointRecord> Impl::LoadAuthorizedAp(Call& c, const std::optional<std::string>& ap_id) {
  EFS_TRY(ap, LoadAp(ap_id));
  c.resource = ApArn(ap.id);
  ConditionKeys keys;
  AddResourceTags(keys, ap.tags);
  keys["elasticfilesystem:AccessPointArn"] = {c.resource};
  EFS_CHECK(Authorize(c, c.resource, keys));
  return ap;
}

R<Impl::Answer> Impl::DescribeAccessPoints(Call& c) {
  EFS_TRY(max_results, QueryInt(c, "MaxResults"));
  EFS_TRY(next_token, QueryString(c, "NextToken", TokenLikeShape(128)));
  const std::string* ap_q = c.query.Get("AccessPointId");
  const std::string* fs_q = c.query.Get("FileSystemId");
  if (ap_q && fs_q) return BadRequest("Specify either AccessPointId or FileSystemId, not both.");

  std::vector<AccessPointRecord> found;
  if (ap_q) {
    EFS_TRY(ap_id, ApIdFrom("accessPointId", *ap_q));
    EFS_TRY(ap, LoadAuthorizedAp(c, ap_id));
    found.push_back(std::move(ap));
  } else {
    std::optional<std::string> fs_id;
    if (fs_q) {
      EFS_TRY(fs, LoadFsParam(c, "fileSystemId", *fs_q));
      ConditionKeys keys;
      AddResourceTags(keys, fs.tags);
      EFS_CHECK(Authorize(c, c.resource, keys));
      fs_id = fs.id;
    } else {
      EFS_CHECK(Authorize(c, "*", {}));
    }
    EFS_TRY(all, ListAp());
    for (auto& ap : all) {
      if (!fs_id || ap.file_system_id == *fs_id) found.push_back(std::move(ap));
    }
  }
  std::vector<std::string> ids;
  for (const auto& ap : found) ids.push_back(ap.id);
  PageBounds page = Page(ids, next_token, max_results, 100);
  Json list = Json::array();
  for (size_t i = page.begin; i < page.end; ++i) list.push_back(DescribeAp(found[i]));
  Json out = {{"AccessPoints", list}};
  if (page.next) out["NextToken"] = *page.next;
  return Answer{200, out};
}

R<Impl::Answer> Impl::DeleteAccessPoint(Call& c) {
  EFS_TRY(ap_id, ApIdFrom("accessPointId", c.params[0]));
  EFS_TRY(first, LoadAuthorizedAp(c, ap_id));
  return Retrying([&]() -> R<Answer> {
    EFS_TRY(ap, LoadAp(first.id));
    store::Transaction txn;
    txn.Delete(kAccessPointKind, ap.id, ap.version);
    txn.Delete(kClientTokenKind, ap.client_token);
    if (auto fs = LoadFs(ap.file_system_id)) {
      if (fs->access_points > 0) fs->access_points -= 1;
      txn.Put(kFileSystemKind, fs->id, Dump(fs->ToJson()), fs->version);
    }
    EFS_CHECK(Commit(txn));
    return Answer{204, std::nullopt};
  });
}

}  // namespace elfs::api::efs
