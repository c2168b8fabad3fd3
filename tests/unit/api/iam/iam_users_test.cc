// Users, groups, access keys, tags, the Query envelope and authorization.
#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "iam_test_util.h"

namespace elfs::api::iam::testing {
namespace {

using UsersTest = IamFixture;

TEST_F(UsersTest, CreateUserAnswersUserInResultEnvelope) {
  auto out = Iam("CreateUser", {{"UserName", "alice"}, {"Path", "/eng/"}});
  ASSERT_EQ(out.response.status, 200) << out.response.body;
  const auto& body = out.response.body;
  EXPECT_NE(body.find("<CreateUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"),
            std::string::npos);
  EXPECT_NE(body.find("<CreateUserResult><User>"), std::string::npos);
  EXPECT_EQ(XmlText(body, "UserName"), "alice");
  EXPECT_EQ(XmlText(body, "Path"), "/eng/");
  EXPECT_EQ(XmlText(body, "Arn"), "arn:aws:iam::123456789012:user/eng/alice");
  std::string id = XmlText(body, "UserId");
  EXPECT_EQ(id.size(), 21u);
  EXPECT_EQ(id.substr(0, 4), "AIDA");
  EXPECT_EQ(XmlText(body, "CreateDate"), "2027-01-15T08:00:00Z");
  EXPECT_EQ(XmlText(body, "RequestId"), "req-1");
  EXPECT_EQ(out.action, "CreateUser");
  EXPECT_EQ(out.resource, "arn:aws:iam::123456789012:user/eng/alice");
  ASSERT_EQ(authz_.asked.size(), 1u);
  EXPECT_EQ(authz_.asked[0].action, "iam:CreateUser");
  EXPECT_EQ(authz_.asked[0].resource, "arn:aws:iam::123456789012:user/eng/alice");
}

TEST_F(UsersTest, DuplicateNameIgnoringCaseIsEntityAlreadyExists) {
  MakeUser("Alice");
  auto out = Iam("CreateUser", {{"UserName", "alice"}});
  EXPECT_EQ(out.response.status, 409);
  EXPECT_EQ(out.error_code, "EntityAlreadyExists");
  EXPECT_EQ(XmlText(out.response.body, "Type"), "Sender");
  EXPECT_EQ(XmlText(out.response.body, "Code"), "EntityAlreadyExists");
  EXPECT_NE(out.response.body.find("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/"
                                   "2010-05-08/\"><Error>"),
            std::string::npos);
  EXPECT_EQ(XmlText(out.response.body, "RequestId"), "req-1");
  // Found regardless of case too.
  auto got = Iam("GetUser", {{"UserName", "ALICE"}});
  EXPECT_EQ(XmlText(got.response.body, "UserName"), "Alice");
}

TEST_F(UsersTest, InvalidInputIsValidationErrorAndStoresNothing) {
  for (const Params& p : std::vector<Params>{{{"UserName", "a b"}},
                                             {{"UserName", std::string(65, 'a')}},
                                             {},
                                             {{"UserName", "x"}, {"Path", "nope"}}}) {
    auto out = Iam("CreateUser", p);
    EXPECT_EQ(out.response.status, 400);
    EXPECT_EQ(out.error_code, "ValidationError") << out.response.body;
  }
  EXPECT_TRUE(dir_.ListUsers()->empty());
  EXPECT_TRUE(authz_.asked.empty());
}

TEST_F(UsersTest, UnknownActionAndVersion) {
  auto out = Iam("CreateUsers");
  EXPECT_EQ(out.response.status, 400);
  EXPECT_EQ(out.error_code, "InvalidAction");
  auto sts_on_iam = Sts("CreateUser", {{"UserName", "x"}});
  EXPECT_EQ(sts_on_iam.error_code, "InvalidAction");
}

TEST_F(UsersTest, GetUserWithoutNameIsTheCaller) {
  MakeUser("bob");
  auto out = IamAs(UserPrincipal("bob"), "GetUser");
  ASSERT_EQ(out.response.status, 200) << out.response.body;
  EXPECT_EQ(XmlText(out.response.body, "UserName"), "bob");
  auto root = Iam("GetUser");
  ASSERT_EQ(root.response.status, 200);
  EXPECT_EQ(XmlText(root.response.body, "Arn"), "arn:aws:iam::123456789012:root");
  EXPECT_EQ(XmlText(root.response.body, "UserId"), "123456789012");
  auto missing = Iam("GetUser", {{"UserName", "nobody"}});
  EXPECT_EQ(missing.response.status, 404);
  EXPECT_EQ(missing.error_code, "NoSuchEntity");
  EXPECT_EQ(XmlText(missing.response.body, "Message"),
            "The user with name nobody cannot be found.");
}

TEST_F(UsersTest, ListUsersPagesWithMarkerAndFiltersByPath) {
  for (auto n : {"d", "a", "c", "b"}) MakeUser(n);
  Iam("CreateUser", {{"UserName", "e"}, {"Path", "/ops/"}});
  auto page1 = Iam("ListUsers", {{"MaxItems", "2"}});
  ASSERT_EQ(page1.response.status, 200);
  EXPECT_EQ(XmlTexts(page1.response.body, "UserName"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(XmlText(page1.response.body, "IsTruncated"), "true");
  std::string marker = XmlText(page1.response.body, "Marker");
  ASSERT_FALSE(marker.empty());
  auto page2 = Iam("ListUsers", {{"MaxItems", "10"}, {"Marker", marker}});
  EXPECT_EQ(XmlTexts(page2.response.body, "UserName"),
            (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_EQ(XmlText(page2.response.body, "IsTruncated"), "false");
  EXPECT_EQ(XmlCount(page2.response.body, "Marker"), 0u);
  auto ops = Iam("ListUsers", {{"PathPrefix", "/ops"}});
  EXPECT_EQ(XmlTexts(ops.response.body, "UserName"), (std::vector<std::string>{"e"}));
  EXPECT_EQ(Iam("ListUsers", {{"MaxItems", "0"}}).error_code, "ValidationError");
}

TEST_F(UsersTest, UpdateUserRenamesAndMovesKeys) {
  MakeUser("old");
  auto key = Iam("CreateAccessKey", {{"UserName", "old"}});
  std::string akid = XmlText(key.response.body, "AccessKeyId");
  ASSERT_EQ(Iam("UpdateUser", {{"UserName", "old"}, {"NewUserName", "new"}, {"NewPath", "/x/"}})
                .response.status,
            200);
  EXPECT_EQ(Iam("GetUser", {{"UserName", "old"}}).error_code, "NoSuchEntity");
  auto got = Iam("GetUser", {{"UserName", "new"}});
  EXPECT_EQ(XmlText(got.response.body, "Arn"), "arn:aws:iam::123456789012:user/x/new");
  auto found = dir_.FindAccessKey(akid);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->principal.arn, "arn:aws:iam::123456789012:user/x/new");
  MakeUser("other");
  EXPECT_EQ(Iam("UpdateUser", {{"UserName", "other"}, {"NewUserName", "NEW"}}).error_code,
            "EntityAlreadyExists");
}

TEST_F(UsersTest, DeleteUserConflictsUntilEverythingIsGone) {
  MakeUser("carol");
  ASSERT_EQ(Iam("CreateGroup", {{"GroupName", "devs"}}).response.status, 200);
  ASSERT_EQ(Iam("AddUserToGroup", {{"GroupName", "devs"}, {"UserName", "carol"}}).response.status,
            200);
  auto key = Iam("CreateAccessKey", {{"UserName", "carol"}});
  std::string akid = XmlText(key.response.body, "AccessKeyId");

  auto out = Iam("DeleteUser", {{"UserName", "carol"}});
  EXPECT_EQ(out.response.status, 409);
  EXPECT_EQ(out.error_code, "DeleteConflict");
  EXPECT_EQ(XmlText(out.response.body, "Message"),
            "Cannot delete entity, must delete access keys first.");
  ASSERT_EQ(Iam("DeleteAccessKey", {{"UserName", "carol"}, {"AccessKeyId", akid}}).response.status,
            200);
  EXPECT_EQ(Iam("DeleteUser", {{"UserName", "carol"}}).error_code, "DeleteConflict");
  ASSERT_EQ(
      Iam("RemoveUserFromGroup", {{"GroupName", "devs"}, {"UserName", "carol"}}).response.status,
      200);
  EXPECT_EQ(Iam("DeleteUser", {{"UserName", "carol"}}).response.status, 200);
  EXPECT_EQ(Iam("DeleteUser", {{"UserName", "carol"}}).error_code, "NoSuchEntity");
}

TEST_F(UsersTest, TagsRoundTripAndFeedConditionKeys) {
  ASSERT_EQ(Iam("CreateUser", {{"UserName", "dan"},
                               {"Tags.member.1.Key", "team"},
                               {"Tags.member.1.Value", "storage"}})
                .response.status,
            200);
  EXPECT_EQ(authz_.asked.back().context.at("aws:RequestTag/team"),
            std::vector<std::string>{"storage"});
  EXPECT_EQ(authz_.asked.back().context.at("aws:TagKeys"), std::vector<std::string>{"team"});
  ASSERT_EQ(Iam("TagUser", {{"UserName", "dan"},
                            {"Tags.member.1.Key", "env"},
                            {"Tags.member.1.Value", "prod"}})
                .response.status,
            200);
  // TagUser sees the existing tags as aws:ResourceTag/...
  EXPECT_EQ(authz_.asked.back().context.at("aws:ResourceTag/team"),
            std::vector<std::string>{"storage"});
  auto tags = Iam("ListUserTags", {{"UserName", "dan"}});
  EXPECT_EQ(XmlTexts(tags.response.body, "Key"), (std::vector<std::string>{"env", "team"}));
  ASSERT_EQ(Iam("UntagUser", {{"UserName", "dan"}, {"TagKeys.member.1", "env"}}).response.status,
            200);
  tags = Iam("ListUserTags", {{"UserName", "dan"}});
  EXPECT_EQ(XmlTexts(tags.response.body, "Key"), (std::vector<std::string>{"team"}));
  // The principal carries its tags (aws:PrincipalTag/...).
  auto key = Iam("CreateAccessKey", {{"UserName", "dan"}});
  auto found = dir_.FindAccessKey(XmlText(key.response.body, "AccessKeyId"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->principal.tags.at("team"), "storage");
}

TEST_F(UsersTest, TagLimitsAndDuplicates) {
  MakeUser("erin");
  Params dup{{"UserName", "erin"},
             {"Tags.member.1.Key", "A"},
             {"Tags.member.1.Value", "1"},
             {"Tags.member.2.Key", "a"},
             {"Tags.member.2.Value", "2"}};
  EXPECT_EQ(Iam("TagUser", dup).error_code, "InvalidInput");
  Params reserved{{"UserName", "erin"}, {"Tags.member.1.Key", "aws:x"}, {"Tags.member.1.Value", ""}};
  EXPECT_EQ(Iam("TagUser", reserved).error_code, "InvalidInput");
  for (int batch = 0; batch < 2; ++batch) {
    Params p{{"UserName", "erin"}};
    for (int i = 1; i <= 25; ++i) {
      p.push_back({fmt::format("Tags.member.{}.Key", i), fmt::format("k{}-{}", batch, i)});
      p.push_back({fmt::format("Tags.member.{}.Value", i), "v"});
    }
    ASSERT_EQ(Iam("TagUser", p).response.status, 200);
  }
  auto over = Iam("TagUser", {{"UserName", "erin"}, {"Tags.member.1.Key", "one-more"},
                              {"Tags.member.1.Value", "v"}});
  EXPECT_EQ(over.response.status, 409);
  EXPECT_EQ(over.error_code, "LimitExceeded");
}

TEST_F(UsersTest, GroupsMembershipAndDeleteConflict) {
  MakeUser("u1");
  MakeUser("u2");
  auto created = Iam("CreateGroup", {{"GroupName", "admins"}, {"Path", "/it/"}});
  ASSERT_EQ(created.response.status, 200);
  EXPECT_EQ(XmlText(created.response.body, "GroupId").substr(0, 4), "AGPA");
  EXPECT_EQ(XmlText(created.response.body, "Arn"), "arn:aws:iam::123456789012:group/it/admins");
  EXPECT_EQ(Iam("CreateGroup", {{"GroupName", "ADMINS"}}).error_code, "EntityAlreadyExists");
  ASSERT_EQ(Iam("AddUserToGroup", {{"GroupName", "admins"}, {"UserName", "u1"}}).response.status,
            200);
  ASSERT_EQ(Iam("AddUserToGroup", {{"GroupName", "admins"}, {"UserName", "u2"}}).response.status,
            200);
  EXPECT_EQ(Iam("AddUserToGroup", {{"GroupName", "nope"}, {"UserName", "u2"}}).error_code,
            "NoSuchEntity");
  EXPECT_EQ(Iam("AddUserToGroup", {{"GroupName", "admins"}, {"UserName", "nope"}}).error_code,
            "NoSuchEntity");
  auto group = Iam("GetGroup", {{"GroupName", "admins"}});
  ASSERT_EQ(group.response.status, 200);
  EXPECT_NE(group.response.body.find("<GetGroupResult><Group>"), std::string::npos);
  EXPECT_EQ(XmlTexts(group.response.body, "UserName"), (std::vector<std::string>{"u1", "u2"}));
  auto for_user = Iam("ListGroupsForUser", {{"UserName", "u1"}});
  EXPECT_EQ(XmlTexts(for_user.response.body, "GroupName"), (std::vector<std::string>{"admins"}));
  EXPECT_EQ(Iam("DeleteGroup", {{"GroupName", "admins"}}).error_code, "DeleteConflict");
  // Renaming the group keeps its members.
  ASSERT_EQ(Iam("UpdateGroup", {{"GroupName", "admins"}, {"NewGroupName", "ops"}}).response.status,
            200);
  for_user = Iam("ListGroupsForUser", {{"UserName", "u2"}});
  EXPECT_EQ(XmlTexts(for_user.response.body, "GroupName"), (std::vector<std::string>{"ops"}));
  Iam("RemoveUserFromGroup", {{"GroupName", "ops"}, {"UserName", "u1"}});
  Iam("RemoveUserFromGroup", {{"GroupName", "ops"}, {"UserName", "u2"}});
  EXPECT_EQ(Iam("RemoveUserFromGroup", {{"GroupName", "ops"}, {"UserName", "u2"}}).error_code,
            "NoSuchEntity");
  EXPECT_EQ(Iam("DeleteGroup", {{"GroupName", "ops"}}).response.status, 200);
  EXPECT_EQ(XmlCount(Iam("ListGroups").response.body, "member"), 0u);
}

TEST_F(UsersTest, AccessKeySecretShownOnlyAtCreation) {
  MakeUser("kim");
  auto created = Iam("CreateAccessKey", {{"UserName", "kim"}});
  ASSERT_EQ(created.response.status, 200) << created.response.body;
  std::string akid = XmlText(created.response.body, "AccessKeyId");
  std::string secret = XmlText(created.response.body, "SecretAccessKey");
  EXPECT_EQ(akid.size(), 20u);
  EXPECT_EQ(akid.substr(0, 4), "AKIA");
  EXPECT_EQ(secret.size(), 40u);
  EXPECT_EQ(XmlText(created.response.body, "Status"), "Active");
  auto listed = Iam("ListAccessKeys", {{"UserName", "kim"}});
  ASSERT_EQ(listed.response.status, 200);
  EXPECT_NE(listed.response.body.find("<ListAccessKeysResult><AccessKeyMetadata><member>"),
            std::string::npos);
  EXPECT_EQ(XmlTexts(listed.response.body, "AccessKeyId"), std::vector<std::string>{akid});
  EXPECT_EQ(listed.response.body.find(secret), std::string::npos);
  EXPECT_EQ(listed.response.body.find("SecretAccessKey"), std::string::npos);

  auto found = dir_.FindAccessKey(akid);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->secret, secret);
  EXPECT_TRUE(found->active);
  EXPECT_EQ(found->principal.kind, Principal::Kind::kUser);
  EXPECT_EQ(found->principal.name, "kim");
  EXPECT_EQ(found->principal.access_key_id, akid);
}

TEST_F(UsersTest, AccessKeyLimitStatusAndOwnership) {
  MakeUser("lee");
  MakeUser("max");
  std::string first = XmlText(Iam("CreateAccessKey", {{"UserName", "lee"}}).response.body,
                              "AccessKeyId");
  ASSERT_EQ(Iam("CreateAccessKey", {{"UserName", "lee"}}).response.status, 200);
  auto third = Iam("CreateAccessKey", {{"UserName", "lee"}});
  EXPECT_EQ(third.response.status, 409);
  EXPECT_EQ(third.error_code, "LimitExceeded");
  EXPECT_EQ(XmlText(third.response.body, "Message"), "Cannot exceed quota for AccessKeysPerUser: 2");

  ASSERT_EQ(Iam("UpdateAccessKey", {{"UserName", "lee"}, {"AccessKeyId", first},
                                    {"Status", "Inactive"}})
                .response.status,
            200);
  EXPECT_FALSE(dir_.FindAccessKey(first)->active);
  auto statuses = XmlTexts(Iam("ListAccessKeys", {{"UserName", "lee"}}).response.body, "Status");
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), "Inactive"), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), "Active"), 1);
  EXPECT_EQ(Iam("UpdateAccessKey", {{"UserName", "lee"}, {"AccessKeyId", first}, {"Status", "Off"}})
                .error_code,
            "ValidationError");
  // Another user's key is not found through max.
  EXPECT_EQ(Iam("DeleteAccessKey", {{"UserName", "max"}, {"AccessKeyId", first}}).error_code,
            "NoSuchEntity");
  EXPECT_EQ(Iam("DeleteAccessKey", {{"UserName", "lee"}, {"AccessKeyId", "short"}}).error_code,
            "ValidationError");
  ASSERT_EQ(Iam("DeleteAccessKey", {{"UserName", "lee"}, {"AccessKeyId", first}}).response.status,
            200);
  EXPECT_FALSE(dir_.FindAccessKey(first));
}

TEST_F(UsersTest, CallerManagesItsOwnKeysWithoutUserName) {
  MakeUser("self");
  Principal me = UserPrincipal("self");
  auto created = IamAs(me, "CreateAccessKey");
  ASSERT_EQ(created.response.status, 200) << created.response.body;
  EXPECT_EQ(XmlText(created.response.body, "UserName"), "self");
  EXPECT_EQ(authz_.asked.back().resource, "arn:aws:iam::123456789012:user/self");
  auto listed = IamAs(me, "ListAccessKeys");
  EXPECT_EQ(XmlCount(listed.response.body, "AccessKeyId"), 1u);
}

TEST_F(UsersTest, EnsureAccountCreatesTheRootKeyOnce) {
  // The fixture's EnsureAccount created it; a second call changes nothing.
  auto again = dir_.EnsureAccount();
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto store = store::NewMemoryStore();
  SeededRandom random(7);
  IamDirectory dir(*store, "210987654321", random);
  auto first = dir.EnsureAccount();
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->access_key_id.substr(0, 4), "AKIA");
  auto found = dir.FindAccessKey((*first)->access_key_id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->secret, (*first)->secret);
  EXPECT_EQ(found->principal.kind, Principal::Kind::kRoot);
  EXPECT_EQ(found->principal.arn, "arn:aws:iam::210987654321:root");
  EXPECT_TRUE(dir.IdentityPolicies(found->principal).empty());
  EXPECT_FALSE(*dir.EnsureAccount());
}

TEST_F(UsersTest, DeniedCallChangesNothing) {
  authz_.deny_action = "iam:CreateUser";
  auto out = Iam("CreateUser", {{"UserName", "mallory"}});
  EXPECT_EQ(out.response.status, 403);
  EXPECT_EQ(out.error_code, "AccessDenied");
  EXPECT_TRUE(dir_.ListUsers()->empty());
}

TEST_F(UsersTest, AuthorizationComesBeforeExistence) {
  authz_.deny_action = "iam:DeleteUser";
  auto out = Iam("DeleteUser", {{"UserName", "ghost"}});
  EXPECT_EQ(out.error_code, "AccessDenied");  // not NoSuchEntity: nothing is revealed
}

}  // namespace
}  // namespace elfs::api::iam::testing
