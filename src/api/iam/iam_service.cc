#include "api/iam/iam_service.h"

#include <array>

#include "api/iam/iam_ops.h"

namespace elfs::api::iam {
namespace {

// Action, handler, has <ActionResult>, mutates.
constexpr OpSpec kIamOps[] = {
    {"CreateUser", CreateUser, true, true},
    {"GetUser", GetUser, true, false},
    {"ListUsers", ListUsers, true, false},
    {"UpdateUser", UpdateUser, false, true},
    {"DeleteUser", DeleteUser, false, true},
    {"TagUser", TagUser, false, true},
    {"UntagUser", UntagUser, false, true},
    {"ListUserTags", ListUserTags, true, false},
    {"CreateGroup", CreateGroup, true, true},
    {"GetGroup", GetGroup, true, false},
    {"ListGroups", ListGroups, true, false},
    {"UpdateGroup", UpdateGroup, false, true},
    {"DeleteGroup", DeleteGroup, false, true},
    {"AddUserToGroup", AddUserToGroup, false, true},
    {"RemoveUserFromGroup", RemoveUserFromGroup, false, true},
    {"ListGroupsForUser", ListGroupsForUser, true, false},
    {"CreateRole", CreateRole, true, true},
    {"GetRole", GetRole, true, false},
    {"ListRoles", ListRoles, true, false},
    {"UpdateRole", UpdateRole, true, true},
    {"UpdateAssumeRolePolicy", UpdateAssumeRolePolicy, false, true},
    {"DeleteRole", DeleteRole, false, true},
    {"TagRole", TagRole, false, true},
    {"UntagRole", UntagRole, false, true},
    {"ListRoleTags", ListRoleTags, true, false},
    {"CreateAccessKey", CreateAccessKey, true, true},
    {"ListAccessKeys", ListAccessKeys, true, false},
    {"UpdateAccessKey", UpdateAccessKey, false, true},
    {"DeleteAccessKey", DeleteAccessKey, false, true},
    {"PutUserPolicy", PutUserPolicy, false, true},
    {"GetUserPolicy", GetUserPolicy, true, false},
    {"DeleteUserPolicy", DeleteUserPolicy, false, true},
    {"ListUserPolicies", ListUserPolicies, true, false},
    {"PutGroupPolicy", PutGroupPolicy, false, true},
    {"GetGroupPolicy", GetGroupPolicy, true, false},
    {"DeleteGroupPolicy", DeleteGroupPolicy, false, true},
    {"ListGroupPolicies", ListGroupPolicies, true, false},
    {"PutRolePolicy", PutRolePolicy, false, true},
    {"GetRolePolicy", GetRolePolicy, true, false},
    {"DeleteRolePolicy", DeleteRolePolicy, false, true},
    {"ListRolePolicies", ListRolePolicies, true, false},
    {"CreatePolicy", CreatePolicy, true, true},
    {"GetPolicy", GetPolicy, true, false},
    {"ListPolicies", ListPolicies, true, false},
    {"DeletePolicy", DeletePolicy, false, true},
    {"CreatePolicyVersion", CreatePolicyVersion, true, true},
    {"GetPolicyVersion", GetPolicyVersion, true, false},
    {"ListPolicyVersions", ListPolicyVersions, true, false},
    {"DeletePolicyVersion", DeletePolicyVersion, false, true},
    {"SetDefaultPolicyVersion", SetDefaultPolicyVersion, false, true},
    {"AttachUserPolicy", AttachUserPolicy, false, true},
    {"DetachUserPolicy", DetachUserPolicy, false, true},
    {"ListAttachedUserPolicies", ListAttachedUserPolicies, true, false},
    {"AttachGroupPolicy", AttachGroupPolicy, false, true},
    {"DetachGroupPolicy", DetachGroupPolicy, false, true},
    {"ListAttachedGroupPolicies", ListAttachedGroupPolicies, true, false},
    {"AttachRolePolicy", AttachRolePolicy, false, true},
    {"DetachRolePolicy", DetachRolePolicy, false, true},
    {"ListAttachedRolePolicies", ListAttachedRolePolicies, true, false},
    {"ListEntitiesForPolicy", ListEntitiesForPolicy, true, false},
    {"SimulatePrincipalPolicy", SimulatePrincipalPolicy, true, false},
    {"SimulateCustomPolicy", SimulateCustomPolicy, true, false},
};

constexpr ProtocolInfo kIam{"iam", kIamVersion, kIamXmlns};

}  // namespace

Outcome IamService::Handle(const CallContext& ctx, const http::Request& req, Authorizer& authz) {
  return HandleQuery(kIam, kIamOps, ctx, req, authz, dir_);
}

}  // namespace elfs::api::iam
