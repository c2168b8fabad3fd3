#include "api/ec2/ec2_service.h"

#include <map>

#include "api/ec2/ec2_state.h"

namespace elfs::api::ec2 {
namespace {

using internal::Call;
using internal::Handler;

constexpr std::string_view kXmlns = "http://ec2.amazonaws.com/doc/2016-11-15/";

const std::map<std::string, Handler, std::less<>>& Handlers() {
  using namespace internal;
  static const std::map<std::string, Handler, std::less<>> table = {
      {"CreateVpc", CreateVpc},
      {"DescribeVpcs", DescribeVpcs},
      {"DeleteVpc", DeleteVpc},
      {"CreateSubnet", CreateSubnet},
      {"DescribeSubnets", DescribeSubnets},
      {"DeleteSubnet", DeleteSubnet},
      {"DescribeAvailabilityZones", DescribeAvailabilityZones},
      {"CreateSecurityGroup", CreateSecurityGroup},
      {"DescribeSecurityGroups", DescribeSecurityGroups},
      {"DeleteSecurityGroup", DeleteSecurityGroup},
      {"AuthorizeSecurityGroupIngress", AuthorizeSecurityGroupIngress},
      {"AuthorizeSecurityGroupEgress", AuthorizeSecurityGroupEgress},
      {"RevokeSecurityGroupIngress", RevokeSecurityGroupIngress},
      {"RevokeSecurityGroupEgress", RevokeSecurityGroupEgress},
      {"DescribeSecurityGroupRules", DescribeSecurityGroupRules},
      {"CreateNetworkAcl", CreateNetworkAcl},
      {"DescribeNetworkAcls", DescribeNetworkAcls},
      {"DeleteNetworkAcl", DeleteNetworkAcl},
      {"CreateNetworkAclEntry", CreateNetworkAclEntry},
      {"ReplaceNetworkAclEntry", ReplaceNetworkAclEntry},
      {"DeleteNetworkAclEntry", DeleteNetworkAclEntry},
      {"ReplaceNetworkAclAssociation", ReplaceNetworkAclAssociation},
      {"CreateNetworkInterface", CreateNetworkInterface},
      {"DescribeNetworkInterfaces", DescribeNetworkInterfaces},
      {"DeleteNetworkInterface", DeleteNetworkInterface},
      {"ModifyNetworkInterfaceAttribute", ModifyNetworkInterfaceAttribute},
      {"CreateTags", CreateTags},
      {"DeleteTags", DeleteTags},
      {"DescribeTags", DescribeTags},
  };
  return table;
}

http::Response XmlResponse(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.SetHeader("Content-Type", "text/xml;charset=UTF-8");
  r.body = std::move(body);
  return r;
}

http::Response ErrorResponse(const ApiError& e, const std::string& request_id) {
  XmlWriter x;
  x.Open("Response").Open("Errors").Open("Error");
  x.Leaf("Code", e.code).Leaf("Message", e.message).Close().Close();
  x.Leaf("RequestID", request_id);
  return XmlResponse(e.http_status, x.Finish());
}

SubnetInfo ToInfo(const Subnet& s) {
  return {s.id, s.vpc_id, s.availability_zone, s.availability_zone_id, FormatCidr(s.cidr), s.owner};
}

NetworkInterfaceInfo ToInfo(const NetworkInterface& e) {
  return {e.id, e.subnet_id, e.vpc_id, e.availability_zone, FormatIp(e.private_ip), e.groups,
          e.description, e.owner};
}

}  // namespace

Status ValidateOptions(const Ec2Options& o) {
  if (o.account_id.size() != 12 ||
      o.account_id.find_first_not_of("0123456789") != std::string::npos) {
    return Status::Invalid("account id must be 12 digits");
  }
  if (o.region.empty() || AzIdPrefix(o.region).empty()) {
    return Status::Invalid("region must look like us-east-1");
  }
  if (o.availability_zones < 1 || o.availability_zones > 6) {
    return Status::Invalid("availability zones must be 1 to 6");
  }
  auto cidr = ParseCidr(o.default_vpc_cidr);
  if (!cidr || cidr->v6()) {
    return Status::Invalid("default VPC CIDR is not an IPv4 CIDR block (network address/prefix)");
  }
  int bits = 0;
  while ((1 << bits) < o.availability_zones) ++bits;
  if (cidr->prefix < 16 || cidr->prefix + bits > 28) {
    return Status::Invalid("default VPC CIDR must be /16 or smaller and leave a /28 or more per zone");
  }
  return Status::Ok();
}

std::string AzIdPrefix(std::string_view region) {
  // "<area>-<direction>-<n>": area kept, direction abbreviated, number kept.
  static const std::map<std::string, std::string, std::less<>> kDirections = {
      {"east", "e"},       {"west", "w"},        {"north", "n"},      {"south", "s"},
      {"central", "c"},    {"northeast", "ne"},  {"northwest", "nw"}, {"southeast", "se"},
      {"southwest", "sw"}};
  size_t first = region.find('-');
  size_t last = region.rfind('-');
  if (first == std::string_view::npos || first == last || first == 0 || last + 1 >= region.size()) {
    return {};
  }
  std::string_view area = region.substr(0, first);
  std::string_view direction = region.substr(first + 1, last - first - 1);
  std::string_view number = region.substr(last + 1);
  auto it = kDirections.find(direction);
  if (it == kDirections.end() || number.find_first_not_of("0123456789") != std::string_view::npos) {
    return {};
  }
  return std::string(area) + it->second + std::string(number);
}

Ec2Service::Ec2Service(store::Store& store, Random& random, Ec2Options options)
    : state_(std::make_unique<internal::State>(store, random, std::move(options))) {}

Ec2Service::~Ec2Service() = default;

const Ec2Options& Ec2Service::options() const { return state_->options; }

ApiResult<std::string> Ec2Service::EnsureDefaultVpc() { return state_->EnsureDefaultVpc(); }

Outcome Ec2Service::Handle(const CallContext& ctx, const http::Request& req, Authorizer& authz) {
  Outcome outcome;
  auto fail = [&](const ApiError& e) {
    outcome.response = ErrorResponse(e, ctx.request_id);
    outcome.error_code = e.code;
    return outcome;
  };
  std::string_view encoded = req.body.empty() ? req.Query() : std::string_view(req.body);
  auto params = QueryParams::Parse(encoded);
  if (!params) return fail({400, "MalformedQueryString", params.error().message()});
  const std::string* action = params->Get("Action");
  if (!action || action->empty()) {
    return fail({400, "MissingAction", "The request must contain the parameter Action"});
  }
  auto it = Handlers().find(*action);
  if (it == Handlers().end()) {
    return fail({400, "InvalidAction",
                 "The action " + *action + " is not valid for this web service."});
  }
  outcome.action = *action;
  if (auto d = state_->EnsureDefaultVpc(); !d) return fail(d.error());
  XmlWriter x;
  x.Open(*action + "Response", kXmlns).Leaf("requestId", ctx.request_id);
  Call call{ctx, *params, authz, *state_, x, *action, {}};
  auto r = it->second(call);
  outcome.resource = call.resource;
  if (!r) return fail(r.error());
  outcome.response = XmlResponse(200, x.Finish());
  return outcome;
}

std::optional<SubnetInfo> Ec2Service::FindSubnet(std::string_view subnet_id) {
  if (!state_->EnsureDefaultVpc()) return std::nullopt;
  auto s = state_->Get<Subnet>(subnet_id);
  if (!s) return std::nullopt;
  return ToInfo(*s);
}

std::optional<NetworkInterfaceInfo> Ec2Service::FindInterface(std::string_view eni_id) {
  auto e = state_->Get<NetworkInterface>(eni_id);
  if (!e) return std::nullopt;
  return ToInfo(*e);
}

ApiResult<NetworkInterfaceInfo> Ec2Service::CreateInterface(const CallContext& ctx,
                                                            std::string_view subnet_id,
                                                            std::string_view ip,
                                                            const std::vector<std::string>& groups,
                                                            std::string_view description) {
  if (auto d = state_->EnsureDefaultVpc(); !d) return Fail(d.error());
  internal::State::InterfaceSpec spec;
  spec.subnet_id = std::string(subnet_id);
  spec.ip = std::string(ip);
  spec.groups = groups;
  spec.description = std::string(description);
  spec.interface_type = "efs";
  spec.requester_managed = true;
  std::string owner =
      ctx.principal.account.empty() ? state_->options.account_id : ctx.principal.account;
  auto e = state_->CreateInterface(spec, owner);
  if (!e) return Fail(e.error());
  return ToInfo(*e);
}

ApiResult<void> Ec2Service::DeleteInterface(std::string_view eni_id) {
  return state_->DeleteInterface(eni_id, /*from_api=*/false);
}

ApiResult<void> Ec2Service::SetInterfaceGroups(std::string_view eni_id,
                                               const std::vector<std::string>& groups) {
  return state_->SetInterfaceGroups(eni_id, groups, /*from_api=*/false);
}

}  // namespace elfs::api::ec2
