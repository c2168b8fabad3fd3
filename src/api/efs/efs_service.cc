// The request pipeline (route, parse, answer), the helpers every operation
// shares, and the read-only accessors.
#include "api/efs/efs_service.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "api/common/ids.h"
#include "api/efs/impl.h"

namespace elfs::api::efs {
namespace {

using Impl = EfsService::Impl;

struct Route {
  std::string_view method;
  // Path segments after "/2015-02-01"; "{}" is a parameter.
  std::vector<std::string_view> segments;
  std::string_view operation;
  Impl::Handler handler;
};

// Every operation of the model, with its method and requestUri. Literal
// segments before parameters where both could match.
const std::vector<Route>& Routes() {
  static const std::vector<Route> routes = {
      {"POST", {"access-points"}, "CreateAccessPoint", &Impl::CreateAccessPoint},
      {"GET", {"access-points"}, "DescribeAccessPoints", &Impl::DescribeAccessPoints},
      {"DELETE", {"access-points", "{}"}, "DeleteAccessPoint", &Impl::DeleteAccessPoint},
      {"POST", {"file-systems"}, "CreateFileSystem", &Impl::CreateFileSystem},
      {"GET", {"file-systems"}, "DescribeFileSystems", &Impl::DescribeFileSystems},
      {"GET", {"file-systems", "replication-configurations"}, "DescribeReplicationConfigurations",
       &Impl::DescribeReplicationConfigurations},
      {"PUT", {"file-systems", "{}"}, "UpdateFileSystem", &Impl::UpdateFileSystem},
      {"DELETE", {"file-systems", "{}"}, "DeleteFileSystem", &Impl::DeleteFileSystem},
      {"POST", {"file-systems", "{}", "replication-configuration"}, "CreateReplicationConfiguration",
       &Impl::CreateReplicationConfiguration},
      {"DELETE", {"file-systems", "{}", "replication-configuration"},
       "DeleteReplicationConfiguration", &Impl::DeleteReplicationConfiguration},
      {"PUT", {"file-systems", "{}", "policy"}, "PutFileSystemPolicy", &Impl::PutFileSystemPolicy},
      {"GET", {"file-systems", "{}", "policy"}, "DescribeFileSystemPolicy",
       &Impl::DescribeFileSystemPolicy},
      {"DELETE", {"file-systems", "{}", "policy"}, "DeleteFileSystemPolicy",
       &Impl::DeleteFileSystemPolicy},
      {"PUT", {"file-systems", "{}", "backup-policy"}, "PutBackupPolicy", &Impl::PutBackupPolicy},
      {"GET", {"file-systems", "{}", "backup-policy"}, "DescribeBackupPolicy",
       &Impl::DescribeBackupPolicy},
      {"PUT", {"file-systems", "{}", "lifecycle-configuration"}, "PutLifecycleConfiguration",
       &Impl::PutLifecycleConfiguration},
      {"GET", {"file-systems", "{}", "lifecycle-configuration"}, "DescribeLifecycleConfiguration",
       &Impl::DescribeLifecycleConfiguration},
      {"POST", {"mount-targets"}, "CreateMountTarget", &Impl::CreateMountTarget},
      {"GET", {"mount-targets"}, "DescribeMountTargets", &Impl::DescribeMountTargets},
      {"DELETE", {"mount-targets", "{}"}, "DeleteMountTarget", &Impl::DeleteMountTarget},
      {"GET", {"mount-targets", "{}", "security-groups"}, "DescribeMountTargetSecurityGroups",
       &Impl::DescribeMountTargetSecurityGroups},
      {"PUT", {"mount-targets", "{}", "security-groups"}, "ModifyMountTargetSecurityGroups",
       &Impl::ModifyMountTargetSecurityGroups},
      {"POST", {"create-tags", "{}"}, "CreateTags", &Impl::CreateTags},
      {"POST", {"delete-tags", "{}"}, "DeleteTags", &Impl::DeleteTags},
      {"GET", {"tags", "{}"}, "DescribeTags", &Impl::DescribeTags},
      {"POST", {"resource-tags", "{}"}, "TagResource", &Impl::TagResource},
      {"DELETE", {"resource-tags", "{}"}, "UntagResource", &Impl::UntagResource},
      {"GET", {"resource-tags", "{}"}, "ListTagsForResource", &Impl::ListTagsForResource},
      {"PUT", {"account-preferences"}, "PutAccountPreferences", &Impl::PutAccountPreferences},
      {"GET", {"account-preferences"}, "DescribeAccountPreferences",
       &Impl::DescribeAccountPreferences},
  };
  return routes;
}

// A JSON body larger than this is refused before parsing: the largest valid
// one (a 20,000-character policy, escaped) is far smaller.
constexpr size_t kMaxBody = 1 << 20;
constexpr int kMaxAttempts = 32;

http::Response JsonResponse(const CallContext& ctx, int status, std::string body) {
  http::Response r;
  r.status = status;
  r.SetHeader("x-amzn-RequestId", ctx.request_id);
  r.SetHeader("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

// ---------------------------------------------------------------- pipeline

Outcome Impl::Handle(const CallContext& ctx, const http::Request& req, Authorizer& authz) {
  Call c{ctx, authz, {}, {}, Json::object(), {}, {}};
  auto answer = [&]() -> R<Answer> {
    // Route: "/2015-02-01/<segments>", each segment percent-decoded after
    // splitting, so an ARN's encoded '/' stays inside its segment.
    std::string_view path = req.Path();
    std::vector<std::string> segments;
    size_t pos = 1;
    while (pos <= path.size()) {
      size_t slash = path.find('/', pos);
      std::string_view raw = path.substr(pos, slash == std::string_view::npos ? slash : slash - pos);
      auto decoded = PercentDecode(raw);
      if (!decoded) return BadRequest("malformed percent-encoding in the request path");
      segments.push_back(std::move(*decoded));
      if (slash == std::string_view::npos) break;
      pos = slash + 1;
    }
    // DescribeTags' path ends in '/': one trailing empty segment is dropped.
    if (segments.size() > 1 && segments.back().empty()) segments.pop_back();
    const Route* found = nullptr;
    if (path.starts_with('/') && !segments.empty() && segments[0] == "2015-02-01") {
      for (const auto& route : Routes()) {
        if (route.method != req.method || route.segments.size() != segments.size() - 1) continue;
        bool match = true;
        std::vector<std::string> params;
        for (size_t i = 0; i < route.segments.size() && match; ++i) {
          if (route.segments[i] == "{}") {
            params.push_back(segments[i + 1]);
          } else {
            match = route.segments[i] == segments[i + 1];
          }
        }
        if (match) {
          found = &route;
          c.params = std::move(params);
          break;
        }
      }
    }
    if (!found) {
      return Error("UnknownOperationException",
                   fmt::format("no EFS operation is {} {}", req.method, std::string(path)));
    }
    c.action = std::string(found->operation);

    auto query = QueryParams::Parse(req.Query());
    if (!query) return BadRequest("malformed query string");
    c.query = std::move(*query);
    if (req.body.size() > kMaxBody) return BadRequest("the request body is too large");
    if (!IsBlank(req.body)) {
      c.body = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (c.body.is_discarded()) return BadRequest("the request body is not valid JSON");
      if (!c.body.is_object()) return BadRequest("the request body must be a JSON object");
    }
    return (this->*(found->handler))(c);
  }();

  Outcome out;
  out.action = c.action;
  out.resource = c.resource;
  if (answer) {
    out.response =
        JsonResponse(ctx, answer->status, answer->body ? Dump(*answer->body) : std::string());
    return out;
  }
  const EfsError& e = answer.error();
  Json body = e.extra;
  body["ErrorCode"] = e.code;
  body["Message"] = e.message;
  out.response = JsonResponse(ctx, e.http_status, Dump(body));
  // botocore names the error from this header (RestJSONParser).
  out.response.SetHeader("x-amzn-ErrorType", e.code);
  out.error_code = e.code;
  return out;
}

// ---------------------------------------------------------------- ids, ARNs

std::string Impl::FsArn(std::string_view fs_id) const {
  return fmt::format("arn:aws:elasticfilesystem:{}:{}:file-system/{}", config_.region,
                     config_.account_id, fs_id);
}

std::string Impl::ApArn(std::string_view ap_id) const {
  return fmt::format("arn:aws:elasticfilesystem:{}:{}:access-point/{}", config_.region,
                     config_.account_id, ap_id);
}

namespace {

// "arn:...:file-system/fs-1" → "fs-1" when the ARN is this account's and
// region's; nullopt for another's. A bare id passes through.
std::optional<std::string> IdOfArn(std::string_view value, std::string_view own_prefix) {
  if (!value.starts_with("arn:")) return std::string(value);
  if (!value.starts_with(own_prefix)) return std::nullopt;
  return std::string(value.substr(own_prefix.size()));
}

}  // namespace

R<std::optional<std::string>> Impl::FsIdFrom(std::string_view where, std::string value) const {
  auto v = ValidateString(where, std::move(value), FileSystemIdShape());
  if (!v) return tl::unexpected<EfsError>(std::move(v.error()));
  return IdOfArn(*v, FsArn(""));
}

R<std::optional<std::string>> Impl::ApIdFrom(std::string_view where, std::string value) const {
  auto v = ValidateString(where, std::move(value), AccessPointIdShape());
  if (!v) return tl::unexpected<EfsError>(std::move(v.error()));
  return IdOfArn(*v, ApArn(""));
}

std::string Impl::NewId(std::string_view prefix) {
  // Account preferences choose 8 or 17 hex digits for file systems and
  // mount targets; access points always have 17.
  if (prefix != "fsap") {
    auto rec = store_.Get(kPreferencesKind, config_.account_id);
    if (rec && *rec) {
      Json j = Json::parse((*rec)->value, nullptr, false);
      if (j.is_object() && j.value("ResourceIdType", "") == "SHORT_ID") {
        return std::string(prefix) + "-" + RandomHex(random_, 8);
      }
    }
  }
  return NewResourceId(random_, prefix);
}

// ---------------------------------------------------------------- loading

tl::unexpected<EfsError> Impl::StoreFailure(const Status& s) {
  return Error("InternalServerError", "the service could not read or write its state");
}

R<FileSystemRecord> Impl::LoadFs(const std::optional<std::string>& fs_id) const {
  if (fs_id) {
    auto rec = store_.Get(kFileSystemKind, *fs_id);
    if (!rec) return StoreFailure(rec.error());
    if (*rec) {
      if (auto fs = FileSystemRecord::Parse((*rec)->value, (*rec)->version)) return *fs;
      return Error("InternalServerError", "a stored file system is unreadable");
    }
  }
  return Error("FileSystemNotFound",
               fmt::format("File system '{}' does not exist.", fs_id.value_or("")));
}

R<AccessPointRecord> Impl::LoadAp(const std::optional<std::string>& ap_id) const {
  if (ap_id) {
    auto rec = store_.Get(kAccessPointKind, *ap_id);
    if (!rec) return StoreFailure(rec.error());
    if (*rec) {
      if (auto ap = AccessPointRecord::Parse((*rec)->value, (*rec)->version)) return *ap;
      return Error("InternalServerError", "a stored access point is unreadable");
    }
  }
  return Error("AccessPointNotFound",
               fmt::format("Access point '{}' does not exist.", ap_id.value_or("")));
}

R<MountTargetRecord> Impl::LoadMt(std::string_view mt_id) const {
  auto rec = store_.Get(kMountTargetKind, mt_id);
  if (!rec) return StoreFailure(rec.error());
  if (*rec) {
    if (auto mt = MountTargetRecord::Parse((*rec)->value, (*rec)->version)) return *mt;
    return Error("InternalServerError", "a stored mount target is unreadable");
  }
  return Error("MountTargetNotFound",
               fmt::format("Mount target '{}' does not exist.", std::string(mt_id)));
}

namespace {

template <class Rec>
R<std::vector<Rec>> ListKind(store::Store& store, const char* kind) {
  auto recs = store.List(kind);
  if (!recs) return Impl::StoreFailure(recs.error());
  std::vector<Rec> out;
  for (const auto& r : *recs) {
    // An unreadable record is skipped in listings rather than failing them all.
    if (auto v = Rec::Parse(r.value, r.version)) out.push_back(std::move(*v));
  }
  return out;
}

}  // namespace

R<std::vector<FileSystemRecord>> Impl::ListFs() const {
  return ListKind<FileSystemRecord>(store_, kFileSystemKind);
}
R<std::vector<AccessPointRecord>> Impl::ListAp() const {
  return ListKind<AccessPointRecord>(store_, kAccessPointKind);
}
R<std::vector<MountTargetRecord>> Impl::ListMt() const {
  return ListKind<MountTargetRecord>(store_, kMountTargetKind);
}

R<FileSystemRecord> Impl::LoadFsParam(Call& c, std::string_view where, std::string value) {
  auto id = FsIdFrom(where, std::move(value));
  if (!id) return tl::unexpected<EfsError>(std::move(id.error()));
  auto fs = LoadFs(*id);
  if (fs) c.resource = FsArn(fs->id);
  return fs;
}

// ---------------------------------------------------------------- authorization

void Impl::AddResourceTags(ConditionKeys& keys, const Tags& tags) {
  for (const auto& [k, v] : tags) keys["aws:ResourceTag/" + k] = {v};
}

void Impl::AddRequestTags(ConditionKeys& keys, const Tags& tags) {
  if (tags.empty()) return;
  auto& tag_keys = keys["aws:TagKeys"];
  for (const auto& [k, v] : tags) {
    keys["aws:RequestTag/" + k] = {v};
    tag_keys.push_back(k);
  }
}

R<void> Impl::AuthorizeAs(Call& c, std::string_view action, std::string_view resource,
                          ConditionKeys keys) const {
  AuthzRequest req{"elasticfilesystem:" + std::string(action), std::string(resource),
                   std::move(keys)};
  auto allowed = c.authz.Authorize(c.ctx, req);
  if (allowed) return {};
  const ApiError& e = allowed.error();
  if (e.http_status == 403) {
    return tl::unexpected<EfsError>(EfsError{403, "AccessDeniedException", e.message, Json::object()});
  }
  return Error("InternalServerError", "authorization failed: " + e.message);
}

R<void> Impl::Authorize(Call& c, std::string_view resource, ConditionKeys keys) const {
  return AuthorizeAs(c, c.action, resource, std::move(keys));
}

R<void> Impl::AuthorizeCreateTags(Call& c, std::string_view resource, const Tags& tags) const {
  if (tags.empty()) return {};
  ConditionKeys keys;
  AddRequestTags(keys, tags);
  keys["elasticfilesystem:CreateAction"] = {c.action};
  return AuthorizeAs(c, "TagResource", resource, std::move(keys));
}

// ---------------------------------------------------------------- commits

tl::unexpected<EfsError> Impl::LostRace() {
  return tl::unexpected<EfsError>(EfsError{409, "", "", Json::object()});
}

R<void> Impl::Commit(const store::Transaction& txn) const {
  Status s = store_.Commit(txn);
  if (s.ok()) return {};
  if (s == Errc::kConflict) return LostRace();
  return StoreFailure(s);
}

R<Impl::Answer> Impl::Retrying(const std::function<R<Answer>()>& attempt) const {
  for (int i = 0; i < kMaxAttempts; ++i) {
    auto answer = attempt();
    if (answer || !answer.error().code.empty()) return answer;
  }
  return Error("InternalServerError", "too many concurrent changes; retry the request");
}

// ---------------------------------------------------------------- pagination

R<std::optional<int64_t>> Impl::QueryInt(const Call& c, std::string_view name) const {
  const std::string* v = c.query.Get(name);
  if (!v) return std::optional<int64_t>();
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n > INT32_MAX) {
    return BadRequest(fmt::format("'{}' must be an integer", LowerFirst(name)));
  }
  if (n < 1) {
    return Invalid(LowerFirst(name), *v, "Member must have value greater than or equal to 1");
  }
  return std::optional<int64_t>(n);
}

R<std::optional<std::string>> Impl::QueryString(const Call& c, std::string_view name,
                                                const StringShape& shape) const {
  const std::string* v = c.query.Get(name);
  if (!v) return std::optional<std::string>();
  auto s = ValidateString(LowerFirst(name), *v, shape);
  if (!s) return tl::unexpected<EfsError>(std::move(s.error()));
  return std::optional<std::string>(std::move(*s));
}

Impl::PageBounds Impl::Page(const std::vector<std::string>& ids,
                            const std::optional<std::string>& marker,
                            std::optional<int64_t> max_items, size_t default_max) const {
  PageBounds b;
  // The marker is the id that starts the page. If that item went away
  // meanwhile the page starts at the next one (ids are sorted).
  if (marker) {
    b.begin = static_cast<size_t>(std::lower_bound(ids.begin(), ids.end(), *marker) - ids.begin());
  }
  size_t n = max_items ? std::min<size_t>(static_cast<size_t>(*max_items), default_max) : default_max;
  b.end = std::min(ids.size(), b.begin + n);
  if (b.end < ids.size()) b.next = ids[b.end];
  return b;
}

// ---------------------------------------------------------------- descriptions

Json Impl::DescribeFs(const FileSystemRecord& fs, const CallContext& ctx) const {
  uint64_t size = data_plane_.MeteredSize(fs.id);
  auto now = static_cast<int64_t>(EpochSeconds(ctx.now));
  Json j = {{"OwnerId", fs.owner_id},
            {"CreationToken", fs.creation_token},
            {"FileSystemId", fs.id},
            {"FileSystemArn", FsArn(fs.id)},
            {"CreationTime", fs.creation_time},
            {"LifeCycleState", fs.life_cycle_state},
            {"NumberOfMountTargets", fs.mount_targets.size()},
            // elfs has one storage class: everything is Standard.
            {"SizeInBytes",
             {{"Value", size}, {"Timestamp", now}, {"ValueInIA", 0}, {"ValueInStandard", size}}},
            {"PerformanceMode", fs.performance_mode},
            {"Encrypted", fs.encrypted},
            {"ThroughputMode", fs.throughput_mode},
            {"Tags", TagsToJson(fs.tags)}};
  std::string name = NameTag(fs.tags);
  if (!name.empty()) j["Name"] = name;
  if (!fs.kms_key_id.empty()) j["KmsKeyId"] = fs.kms_key_id;
  if (fs.provisioned_mibps) j["ProvisionedThroughputInMibps"] = *fs.provisioned_mibps;
  if (!fs.az_name.empty()) j["AvailabilityZoneName"] = fs.az_name;
  if (!fs.az_id.empty()) j["AvailabilityZoneId"] = fs.az_id;
  return j;
}

Json Impl::DescribeAp(const AccessPointRecord& ap) const {
  Json j = ap.ToJson();
  j["AccessPointArn"] = ApArn(ap.id);
  return j;
}

// ---------------------------------------------------------------- EfsService

EfsService::EfsService(store::Store& store, NetworkDirectory& network, DataPlane& data_plane,
                       Random& random, EfsConfig config)
    : impl_(std::make_unique<Impl>(store, network, data_plane, random, std::move(config))) {}

EfsService::~EfsService() = default;

Outcome EfsService::Handle(const CallContext& ctx, const http::Request& req, Authorizer& authz) {
  return impl_->Handle(ctx, req, authz);
}

std::string EfsService::FileSystemArn(std::string_view fs_id) const { return impl_->FsArn(fs_id); }
std::string EfsService::AccessPointArn(std::string_view ap_id) const { return impl_->ApArn(ap_id); }

std::optional<FileSystemInfo> EfsService::FindFileSystem(std::string_view fs_id) const {
  auto id = impl_->FsIdFrom("fileSystemId", std::string(fs_id));
  if (!id || !*id) return std::nullopt;
  auto fs = impl_->LoadFs(*id);
  if (!fs) return std::nullopt;
  FileSystemInfo info;
  info.file_system_id = fs->id;
  info.arn = impl_->FsArn(fs->id);
  info.owner_id = fs->owner_id;
  info.creation_token = fs->creation_token;
  info.life_cycle_state = fs->life_cycle_state;
  info.name = NameTag(fs->tags);
  info.performance_mode = fs->performance_mode;
  info.throughput_mode = fs->throughput_mode;
  info.encrypted = fs->encrypted;
  info.availability_zone_name = fs->az_name;
  info.creation_time = fs->creation_time;
  info.tags = fs->tags;
  return info;
}

Result<FileSystemInfo> EfsService::EnsureFileSystem(std::string_view creation_token,
                                                    std::string_view id, std::string_view name) {
  for (int attempt = 0; attempt < 32; ++attempt) {
    auto token = impl_->store_.Get(kCreationTokenKind, creation_token);
    if (!token) return Err(token.error());
    if (*token) {
      Json t = Json::parse((*token)->value, nullptr, false);
      std::string existing = t.is_object() ? t.value("FileSystemId", "") : "";
      if (auto info = FindFileSystem(existing)) return *info;
      return Err(Errc::kInternal, "creation token " + std::string(creation_token) +
                                      " names a missing file system " + existing);
    }
    FileSystemRecord fs;
    fs.id = id.empty() ? impl_->NewId("fs") : std::string(id);
    fs.owner_id = impl_->config_.account_id;
    fs.creation_token = std::string(creation_token);
    fs.creation_time = static_cast<int64_t>(EpochSeconds(std::chrono::system_clock::now()));
    fs.performance_mode = "generalPurpose";
    fs.throughput_mode = "bursting";
    fs.backup_status = "DISABLED";
    if (!name.empty()) fs.tags.emplace_back("Name", std::string(name));
    ELFS_RETURN_IF_ERROR_R(impl_->data_plane_.CreateStorage(fs.id));
    store::Transaction txn;
    if (auto added = impl_->AddNewFileSystem(txn, fs, Json()); !added) {
      return Err(Errc::kNoSpace, added.error().message);
    }
    Status s = impl_->store_.Commit(txn);
    if (s.code() == Errc::kConflict) continue;
    ELFS_RETURN_IF_ERROR_R(s);
    return *FindFileSystem(fs.id);
  }
  return Err(Errc::kConflict, "too many concurrent changes");
}

std::optional<std::string> EfsService::FileSystemPolicy(std::string_view fs_id) const {
  auto id = impl_->FsIdFrom("fileSystemId", std::string(fs_id));
  if (!id || !*id) return std::nullopt;
  auto rec = impl_->store_.Get(kPolicyKind, **id);
  if (!rec || !*rec) return std::nullopt;
  Json j = Json::parse((*rec)->value, nullptr, false);
  if (!j.is_object() || !j.contains("Policy") || !j["Policy"].is_string()) return std::nullopt;
  return j["Policy"].get<std::string>();
}

std::optional<AccessPointInfo> EfsService::FindAccessPoint(std::string_view ap_id) const {
  auto id = impl_->ApIdFrom("accessPointId", std::string(ap_id));
  if (!id || !*id) return std::nullopt;
  auto ap = impl_->LoadAp(*id);
  if (!ap) return std::nullopt;
  AccessPointInfo info;
  info.access_point_id = ap->id;
  info.arn = impl_->ApArn(ap->id);
  info.file_system_id = ap->file_system_id;
  info.owner_id = ap->owner_id;
  info.name = NameTag(ap->tags);
  info.life_cycle_state = ap->life_cycle_state;
  info.posix_user = ap->posix_user;
  info.root_path = ap->root_path;
  info.creation_info = ap->creation_info;
  info.tags = ap->tags;
  return info;
}

Result<std::vector<MountTargetInfo>> EfsService::ListMountTargets() const {
  std::vector<MountTargetInfo> out;
  auto mts = impl_->ListMt();
  if (!mts) return Err(Errc::kIo, mts.error().message);
  for (const auto& mt : *mts) {
    out.push_back({mt.id, mt.file_system_id, mt.subnet_id, mt.vpc_id, mt.ip_address,
                   mt.network_interface_id, mt.az_name, mt.az_id, mt.owner_id,
                   mt.life_cycle_state});
  }
  return out;
}

}  // namespace elfs::api::efs
