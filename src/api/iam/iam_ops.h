// IAM operation handlers and the helpers they share (pagination, tags,
// entity XML, error constructors). Internal to elfs_api_iam: the handlers are
// listed in iam_service.cc's dispatch table.
//
// Thread safety: handlers marked mutating run under the directory's write
// mutex; the rest only read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/iam/query_protocol.h"
#include "api/iam/validate.h"

namespace elfs::api::iam {

// IAM's errors.
ApiError NoSuchEntity(std::string message);
ApiError EntityAlreadyExists(std::string message);
ApiError DeleteConflict(std::string message);
ApiError LimitExceeded(std::string message);
ApiError InvalidInput(std::string message);

// Marker/MaxItems pagination over items sorted by `keys` (ascending). The
// marker is the key of the first item not yet returned.
struct Page {
  size_t begin = 0, end = 0;
  bool truncated = false;
  std::string next_marker;
};
ApiResult<Page> Paginate(const QueryParams& q, const std::vector<std::string>& keys);
// <IsTruncated> and, when truncated, <Marker>.
void WritePageTail(XmlWriter& w, const Page& page);

// Tags.member.N.Key/Value: validated (patterns, 50 at most, no duplicates
// ignoring case, no "aws:" prefix).
ApiResult<std::vector<Tag>> ParseTags(const QueryParams& q, bool required);
// TagKeys.member.N.
ApiResult<std::vector<std::string>> ParseTagKeys(const QueryParams& q);
// aws:RequestTag/<k> and aws:TagKeys for tags in a request.
void AddRequestTagKeys(ConditionKeys& keys, const std::vector<Tag>& tags);
// aws:ResourceTag/<k> for a tagged resource.
ConditionKeys ResourceTagKeys(const std::vector<Tag>& tags);
// Merges `add` into `tags` (keys compared ignoring case); LimitExceeded above 50.
ApiResult<void> MergeTags(std::vector<Tag>& tags, const std::vector<Tag>& add);
void RemoveTags(std::vector<Tag>& tags, const std::vector<std::string>& keys);
// ListUserTags / ListRoleTags: <Tags> sorted by key, paginated.
ApiResult<void> WriteTagPage(Op& op, const std::vector<Tag>& tags);

// Path filters.
bool HasPathPrefix(std::string_view path, const std::optional<std::string>& prefix);

// The caller's own user record (GetUser, CreateAccessKey ... without UserName).
// ValidationError for root/assumed-role callers when `allow_root` is false.
ApiResult<std::optional<UserRecord>> CallerUser(Op& op);

// Entity XML (inside an already opened element).
void WriteUserFields(XmlWriter& w, IamDirectory& d, const UserRecord& u, bool with_tags);
void WriteGroupFields(XmlWriter& w, IamDirectory& d, const GroupRecord& g);
void WriteRoleFields(XmlWriter& w, IamDirectory& d, const RoleRecord& r, bool with_details);

// Policy document checks: pattern (done by the rule), engine validation.
ApiResult<std::string> RequirePolicyDocument(const QueryParams& q, std::string_view param,
                                             std::string_view member);

// Handlers: users, groups, access keys (iam_users.cc).
ApiResult<void> CreateUser(Op& op);
ApiResult<void> GetUser(Op& op);
ApiResult<void> ListUsers(Op& op);
ApiResult<void> UpdateUser(Op& op);
ApiResult<void> DeleteUser(Op& op);
ApiResult<void> TagUser(Op& op);
ApiResult<void> UntagUser(Op& op);
ApiResult<void> ListUserTags(Op& op);
ApiResult<void> CreateGroup(Op& op);
ApiResult<void> GetGroup(Op& op);
ApiResult<void> ListGroups(Op& op);
ApiResult<void> UpdateGroup(Op& op);
ApiResult<void> DeleteGroup(Op& op);
ApiResult<void> AddUserToGroup(Op& op);
ApiResult<void> RemoveUserFromGroup(Op& op);
ApiResult<void> ListGroupsForUser(Op& op);
ApiResult<void> CreateAccessKey(Op& op);
ApiResult<void> ListAccessKeys(Op& op);
ApiResult<void> UpdateAccessKey(Op& op);
ApiResult<void> DeleteAccessKey(Op& op);

// Roles (iam_roles.cc).
ApiResult<void> CreateRole(Op& op);
ApiResult<void> GetRole(Op& op);
ApiResult<void> ListRoles(Op& op);
ApiResult<void> UpdateRole(Op& op);
ApiResult<void> UpdateAssumeRolePolicy(Op& op);
ApiResult<void> DeleteRole(Op& op);
ApiResult<void> TagRole(Op& op);
ApiResult<void> UntagRole(Op& op);
ApiResult<void> ListRoleTags(Op& op);

// Inline and managed policies (iam_policies.cc).
ApiResult<void> PutUserPolicy(Op& op);
ApiResult<void> GetUserPolicy(Op& op);
ApiResult<void> DeleteUserPolicy(Op& op);
ApiResult<void> ListUserPolicies(Op& op);
ApiResult<void> PutGroupPolicy(Op& op);
ApiResult<void> GetGroupPolicy(Op& op);
ApiResult<void> DeleteGroupPolicy(Op& op);
ApiResult<void> ListGroupPolicies(Op& op);
ApiResult<void> PutRolePolicy(Op& op);
ApiResult<void> GetRolePolicy(Op& op);
ApiResult<void> DeleteRolePolicy(Op& op);
ApiResult<void> ListRolePolicies(Op& op);
ApiResult<void> CreatePolicy(Op& op);
ApiResult<void> GetPolicy(Op& op);
ApiResult<void> ListPolicies(Op& op);
ApiResult<void> DeletePolicy(Op& op);
ApiResult<void> CreatePolicyVersion(Op& op);
ApiResult<void> GetPolicyVersion(Op& op);
ApiResult<void> ListPolicyVersions(Op& op);
ApiResult<void> DeletePolicyVersion(Op& op);
ApiResult<void> SetDefaultPolicyVersion(Op& op);
ApiResult<void> AttachUserPolicy(Op& op);
ApiResult<void> DetachUserPolicy(Op& op);
ApiResult<void> ListAttachedUserPolicies(Op& op);
ApiResult<void> AttachGroupPolicy(Op& op);
ApiResult<void> DetachGroupPolicy(Op& op);
ApiResult<void> ListAttachedGroupPolicies(Op& op);
ApiResult<void> AttachRolePolicy(Op& op);
ApiResult<void> DetachRolePolicy(Op& op);
ApiResult<void> ListAttachedRolePolicies(Op& op);
ApiResult<void> ListEntitiesForPolicy(Op& op);

// Simulation (iam_simulate.cc).
ApiResult<void> SimulatePrincipalPolicy(Op& op);
ApiResult<void> SimulateCustomPolicy(Op& op);

}  // namespace elfs::api::iam
