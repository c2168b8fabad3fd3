// Inside EfsService: the request pipeline shared by every operation and one
// member function per operation (file_systems.cc, mount_targets.cc,
// access_points.cc, tags.cc, settings.cc). Private to src/api/efs.
//
// Thread safety: Impl holds only references and the immutable config; all
// state is in the store, so handlers run concurrently. Changes are committed
// with compare-and-swap and retried from a fresh read when a concurrent change
// won (Retrying()).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/common/query.h"
#include "api/efs/efs_service.h"
#include "api/efs/model.h"
#include "api/efs/records.h"

// Unwraps an R<T> into `var`, or returns its error from the enclosing
// function (which returns some R<U>).
#define EFS_TRY(var, expr)                                                    \
  auto var##_result = (expr);                                                 \
  if (!var##_result) return tl::unexpected<EfsError>(std::move(var##_result.error())); \
  auto var = std::move(*var##_result)
// The same for R<void>.
#define EFS_CHECK(expr)                                                           \
  do {                                                                            \
    auto efs_check_ = (expr);                                                     \
    if (!efs_check_) return tl::unexpected<EfsError>(std::move(efs_check_.error())); \
  } while (0)

namespace elfs::api::efs {

class EfsService::Impl {
 public:
  Impl(store::Store& store, NetworkDirectory& network, DataPlane& data_plane, Random& random,
       EfsConfig config)
      : store_(store), network_(network), data_plane_(data_plane), random_(random),
        config_(std::move(config)) {}

  // One request, parsed: what every handler reads.
  struct Call {
    const CallContext& ctx;
    Authorizer& authz;
    std::vector<std::string> params;  // path parameters, percent-decoded, in order
    QueryParams query;
    Json body;              // an object; {} when the request had no body
    std::string action;     // the operation's name
    std::string resource;   // what was acted on (ARN), for the audit log
  };
  struct Answer {
    int status = 200;
    std::optional<Json> body;  // nullopt: empty body
  };
  using Handler = R<Answer> (Impl::*)(Call&);

  Outcome Handle(const CallContext& ctx, const http::Request& req, Authorizer& authz);

  // Operations (the model's names).
  R<Answer> CreateFileSystem(Call& c);
  R<Answer> DescribeFileSystems(Call& c);
  R<Answer> UpdateFileSystem(Call& c);
  R<Answer> DeleteFileSystem(Call& c);
  R<Answer> CreateMountTarget(Call& c);
  R<Answer> DescribeMountTargets(Call& c);
  R<Answer> DeleteMountTarget(Call& c);
  R<Answer> DescribeMountTargetSecurityGroups(Call& c);
  R<Answer> ModifyMountTargetSecurityGroups(Call& c);
  R<Answer> CreateAccessPoint(Call& c);
  R<Answer> DescribeAccessPoints(Call& c);
  R<Answer> DeleteAccessPoint(Call& c);
  R<Answer> PutFileSystemPolicy(Call& c);
  R<Answer> DescribeFileSystemPolicy(Call& c);
  R<Answer> DeleteFileSystemPolicy(Call& c);
  R<Answer> TagResource(Call& c);
  R<Answer> UntagResource(Call& c);
  R<Answer> ListTagsForResource(Call& c);
  R<Answer> CreateTags(Call& c);
  R<Answer> DeleteTags(Call& c);
  R<Answer> DescribeTags(Call& c);
  R<Answer> PutLifecycleConfiguration(Call& c);
  R<Answer> DescribeLifecycleConfiguration(Call& c);
  R<Answer> PutBackupPolicy(Call& c);
  R<Answer> DescribeBackupPolicy(Call& c);
  R<Answer> PutAccountPreferences(Call& c);
  R<Answer> DescribeAccountPreferences(Call& c);
  R<Answer> CreateReplicationConfiguration(Call& c);
  R<Answer> DescribeReplicationConfigurations(Call& c);
  R<Answer> DeleteReplicationConfiguration(Call& c);

  // --- shared helpers (efs_service.cc) ---
  std::string FsArn(std::string_view fs_id) const;
  std::string ApArn(std::string_view ap_id) const;
  // A FileSystemId / AccessPointId as the model allows it (id or ARN),
  // validated, as a bare id. An ARN of another account or region names no
  // file system here: nullopt (the caller answers NotFound).
  R<std::optional<std::string>> FsIdFrom(std::string_view where, std::string value) const;
  R<std::optional<std::string>> ApIdFrom(std::string_view where, std::string value) const;
  // The file system (FileSystemNotFound when absent), access point
  // (AccessPointNotFound), mount target (MountTargetNotFound).
  R<FileSystemRecord> LoadFs(const std::optional<std::string>& fs_id) const;
  R<AccessPointRecord> LoadAp(const std::optional<std::string>& ap_id) const;
  R<MountTargetRecord> LoadMt(std::string_view mt_id) const;
  R<std::vector<FileSystemRecord>> ListFs() const;
  R<std::vector<AccessPointRecord>> ListAp() const;
  R<std::vector<MountTargetRecord>> ListMt() const;
  // Loaded and authorized for c.action: a mount target on its file system's
  // ARN and tags; an access point on its ARN, tags and
  // elasticfilesystem:AccessPointArn. Sets c.resource.
  R<MountTargetRecord> LoadAuthorizedMt(Call& c, std::string_view mt_id);
  R<AccessPointRecord> LoadAuthorizedAp(Call& c, const std::optional<std::string>& ap_id);
  // A path parameter or body member "FileSystemId" resolved and loaded.
  R<FileSystemRecord> LoadFsParam(Call& c, std::string_view where, std::string value);

  // Asks the authorizer; a denial is AccessDeniedException (403).
  R<void> Authorize(Call& c, std::string_view resource, ConditionKeys keys) const;
  R<void> AuthorizeAs(Call& c, std::string_view action, std::string_view resource,
                      ConditionKeys keys) const;
  static void AddResourceTags(ConditionKeys& keys, const Tags& tags);
  static void AddRequestTags(ConditionKeys& keys, const Tags& tags);
  // Authorizes tagging at creation time (EFS asks for TagResource with
  // elasticfilesystem:CreateAction) when `tags` is not empty.
  R<void> AuthorizeCreateTags(Call& c, std::string_view resource, const Tags& tags) const;

  // Runs `attempt` until its commit does not lose a compare-and-swap race.
  // `attempt` signals a lost race by returning LostRace().
  R<Answer> Retrying(const std::function<R<Answer>()>& attempt) const;
  static tl::unexpected<EfsError> LostRace();
  // Commits; a lost race becomes LostRace(), other failures InternalServerError.
  R<void> Commit(const store::Transaction& txn) const;
  static tl::unexpected<EfsError> StoreFailure(const Status& s);

  // Pagination over items ordered by their id: the page after `marker`
  // (exclusive of nothing: the marker is the first id of the page).
  struct PageBounds {
    size_t begin = 0;
    size_t end = 0;
    std::optional<std::string> next;  // the id that starts the next page
  };
  PageBounds Page(const std::vector<std::string>& ids, const std::optional<std::string>& marker,
                  std::optional<int64_t> max_items, size_t default_max) const;
  // MaxItems / MaxResults / Marker / NextToken from the query string.
  R<std::optional<int64_t>> QueryInt(const Call& c, std::string_view name) const;
  R<std::optional<std::string>> QueryString(const Call& c, std::string_view name,
                                            const StringShape& shape) const;

  Json DescribeFs(const FileSystemRecord& fs, const CallContext& ctx) const;
  Json DescribeAp(const AccessPointRecord& ap) const;
  // Tags of a ResourceId (fs-… / fsap-… or ARN), for the tag operations.
  struct TaggedResource {
    bool is_access_point = false;
    std::string id;
    std::string arn;
    Tags tags;
  };
  R<TaggedResource> LoadTagged(Call& c, std::string value);
  // Writes new tags on the resource (compare-and-swap on its version).
  R<Answer> ChangeTags(Call& c, const TaggedResource& target,
                       const std::function<R<Tags>(const Tags&)>& change, int status);
  R<void> CheckTagCount(const Tags& tags) const;
  // Adds a new file system to `txn`: its record, its creation token (must
  // not exist yet) and the account's file system count (compare-and-swap),
  // FileSystemLimitExceeded at the limit. Shared by CreateFileSystem and
  // EfsService::EnsureFileSystem.
  R<void> AddNewFileSystem(store::Transaction& txn, const FileSystemRecord& fs,
                           const Json& request) const;
  std::string NewId(std::string_view prefix);

  store::Store& store_;
  NetworkDirectory& network_;
  DataPlane& data_plane_;
  Random& random_;
  const EfsConfig config_;
};

}  // namespace elfs::api::efs
