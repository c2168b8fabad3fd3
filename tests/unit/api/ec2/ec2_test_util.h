// Test helpers for the EC2 service: a service over an in-memory store, a
// form encoder and a few XML probes (the responses are flat enough that
// string probes read them unambiguously).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/common/authorizer.h"
#include "api/ec2/ec2_service.h"
#include "store/store.h"

namespace elfs::api::ec2::testing {

using Params = std::vector<std::pair<std::string, std::string>>;

inline std::string FormEncode(const Params& params) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    for (const std::string* s : {&k, &v}) {
      for (unsigned char c : *s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
          out += static_cast<char>(c);
        } else {
          out += '%';
          out += hex[c >> 4];
          out += hex[c & 15];
        }
      }
      if (s == &k) out += '=';
    }
  }
  return out;
}

// Text of the first <tag>...</tag> after `from`, or "" when absent.
inline std::string Text(const std::string& xml, const std::string& tag, size_t from = 0) {
  std::string open = "<" + tag + ">", close = "</" + tag + ">";
  size_t a = xml.find(open, from);
  if (a == std::string::npos) return {};
  a += open.size();
  size_t b = xml.find(close, a);
  return b == std::string::npos ? std::string() : xml.substr(a, b - a);
}

// Texts of every <tag>...</tag>.
inline std::vector<std::string> All(const std::string& xml, const std::string& tag) {
  std::vector<std::string> out;
  std::string open = "<" + tag + ">", close = "</" + tag + ">";
  for (size_t a = xml.find(open); a != std::string::npos; a = xml.find(open, a)) {
    a += open.size();
    size_t b = xml.find(close, a);
    if (b == std::string::npos) break;
    out.push_back(xml.substr(a, b - a));
    a = b;
  }
  return out;
}

class Ec2Fixture : public ::testing::Test {
 protected:
  explicit Ec2Fixture(Ec2Options options = {})
      : store_(store::NewMemoryStore()),
        random_(7),
        svc_(std::make_unique<Ec2Service>(*store_, random_, std::move(options))) {
    ctx_.principal.kind = Principal::Kind::kRoot;
    ctx_.principal.account = "123456789012";
    ctx_.principal.arn = "arn:aws:iam::123456789012:root";
    ctx_.region = "us-east-1";
    ctx_.request_id = "req-0001";
  }

  Outcome Do(const std::string& action, Params params = {}) {
    params.insert(params.begin(), {{"Action", action}, {"Version", "2016-11-15"}});
    http::Request req;
    req.method = "POST";
    req.target = "/";
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    req.body = FormEncode(params);
    return svc_->Handle(ctx_, req, authz_);
  }
  // The body of a successful call (fails the test otherwise).
  std::string Ok(const std::string& action, Params params = {}) {
    Outcome o = Do(action, std::move(params));
    EXPECT_EQ(o.response.status, 200) << action << ": " << o.response.body;
    EXPECT_EQ(o.error_code, "") << action;
    return o.response.body;
  }
  // The error code of a failed call (fails the test when it succeeds).
  std::string Err(const std::string& action, Params params = {}, int status = 400) {
    Outcome o = Do(action, std::move(params));
    EXPECT_EQ(o.response.status, status) << action << ": " << o.response.body;
    EXPECT_EQ(Text(o.response.body, "Code"), o.error_code);
    return o.error_code;
  }

  std::string DefaultVpc() { return Text(Ok("DescribeVpcs", {{"Filter.1.Name", "is-default"}, {"Filter.1.Value.1", "true"}}), "vpcId"); }
  std::string DefaultSubnet(char az = 'a') {
    return Text(Ok("DescribeSubnets", {{"Filter.1.Name", "availability-zone"},
                                       {"Filter.1.Value.1", std::string("us-east-1") + az}}),
                "subnetId");
  }
  std::string GroupId(const std::string& vpc, const std::string& name) {
    return Text(Ok("DescribeSecurityGroups", {{"Filter.1.Name", "vpc-id"},
                                              {"Filter.1.Value.1", vpc},
                                              {"Filter.2.Name", "group-name"},
                                              {"Filter.2.Value.1", name}}),
                "groupId");
  }
  std::string CreateVpc(const std::string& cidr) {
    return Text(Ok("CreateVpc", {{"CidrBlock", cidr}}), "vpcId");
  }
  std::string CreateSubnet(const std::string& vpc, const std::string& cidr) {
    return Text(Ok("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", cidr}}), "subnetId");
  }
  std::string CreateGroup(const std::string& vpc, const std::string& name) {
    return Text(Ok("CreateSecurityGroup",
                   {{"VpcId", vpc}, {"GroupName", name}, {"GroupDescription", "test group"}}),
                "groupId");
  }
  // The id of the association of `subnet` with its network ACL.
  std::string AssociationOf(const std::string& subnet) {
    std::string acls = Ok("DescribeNetworkAcls", {{"Filter.1.Name", "association.subnet-id"},
                                                  {"Filter.1.Value.1", subnet}});
    const std::string open = "<networkAclAssociationId>";
    for (size_t at = acls.find(open); at != std::string::npos; at = acls.find(open, at + 1)) {
      if (Text(acls, "subnetId", at) == subnet) return Text(acls, "networkAclAssociationId", at);
    }
    return {};
  }
  size_t Count(std::string_view kind) { return store_->List(kind)->size(); }

  std::unique_ptr<store::Store> store_;
  SeededRandom random_;
  std::unique_ptr<Ec2Service> svc_;
  RecordingAuthorizer authz_;
  CallContext ctx_;
};

}  // namespace elfs::api::ec2::testing
