// Internal to the EC2 service: the state accessors and transaction helpers
// shared by the operation files (ops_*.cc), the per-call context, request
// parameter helpers and the XML writers of EC2 objects. Not a public header.
//
// Thread safety: State is thread-safe (the store is; the rest is immutable
// after construction or atomic). A Call belongs to one request.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/common/authorizer.h"
#include "api/common/error.h"
#include "api/common/query.h"
#include "api/common/xml.h"
#include "api/ec2/ec2_service.h"
#include "api/ec2/model.h"
#include "store/store.h"

namespace elfs::api::ec2::internal {

// EC2 client errors are 400 unless said otherwise.
inline tl::unexpected<ApiError> Ec2Fail(std::string code, std::string message) {
  return Fail(400, std::move(code), std::move(message));
}
inline tl::unexpected<ApiError> MissingParameter(std::string_view name) {
  return Ec2Fail("MissingParameter",
                 "The request must contain the parameter " + std::string(name));
}
inline tl::unexpected<ApiError> InvalidValue(std::string_view name, std::string_view value,
                                             std::string_view why = {}) {
  std::string m = "Value (" + std::string(value) + ") for parameter " + std::string(name) +
                  " is invalid.";
  if (!why.empty()) m += " " + std::string(why);
  return Ec2Fail("InvalidParameterValue", m);
}

struct Zone {
  std::string name;  // "us-east-1a"
  std::string id;    // "use1-az1"
};

template <class T>
struct Versioned {
  T value;
  uint64_t version = 0;
};

template <class T> constexpr std::string_view KindOf();
template <> constexpr std::string_view KindOf<Vpc>() { return kVpcKind; }
template <> constexpr std::string_view KindOf<Subnet>() { return kSubnetKind; }
template <> constexpr std::string_view KindOf<SecurityGroup>() { return kGroupKind; }
template <> constexpr std::string_view KindOf<NetworkAcl>() { return kAclKind; }
template <> constexpr std::string_view KindOf<NetworkInterface>() { return kInterfaceKind; }

// The changes of one VPC-scoped operation.
struct VpcTxn {
  Vpc vpc;
  bool delete_vpc = false;
  store::Transaction txn;

  template <class T>
  void Put(const T& v) { txn.Put(std::string(KindOf<T>()), v.id, Encode(v)); }
  template <class T>
  void Remove(const T& v) { txn.Delete(std::string(KindOf<T>()), v.id); }
};

// The objects a new VPC starts with.
struct NewVpc {
  Vpc vpc;
  SecurityGroup group;
  NetworkAcl acl;
  std::vector<Subnet> subnets;  // the default VPC's
};

class State {
 public:
  State(store::Store& store, Random& random, Ec2Options options);

  store::Store& store;
  Random& random;
  const Ec2Options options;
  const std::vector<Zone> zones;

  std::string NewId(std::string_view prefix) const;
  // "arn:aws:ec2:<region>:<account>:<type>/<id>"
  std::string Arn(std::string_view type, std::string_view id) const;

  template <class T>
  ApiResult<std::optional<Versioned<T>>> Load(std::string_view id) const;
  template <class T>
  ApiResult<std::vector<T>> List() const;
  // Load, with EC2's NotFound (and Malformed) errors for the kind.
  template <class T>
  ApiResult<T> Get(std::string_view id) const;

  // Runs `fn` on the VPC and its objects and commits what it staged together
  // with a compare-and-swap on the VPC record; retried on conflict. `fn` may
  // be run several times and must stage all its changes in the txn.
  ApiResult<void> Mutate(std::string_view vpc_id, const std::function<ApiResult<void>(VpcTxn&)>& fn);
  // Creates a VPC with its default group and ACL (and subnets), checking
  // that its range overlaps no other VPC, under the "vpcs" lock.
  // `extra` may add records to the same transaction (the default-VPC marker).
  ApiResult<void> CreateVpcObjects(const NewVpc& objects, const store::Transaction& extra);
  NewVpc BuildVpc(const Cidr& cidr, bool is_default, const Tags& tags) const;

  ApiResult<std::string> EnsureDefaultVpc();
  // The default VPC's id, or InvalidVpcID.NotFound-style error when deleted.
  ApiResult<Vpc> DefaultVpc();

  const Zone* FindZone(std::string_view name_or_id) const;

  // Interfaces: shared by the API and the NetworkDirectory.
  struct InterfaceSpec {
    std::string subnet_id;
    std::string ip;  // empty: allocate
    std::vector<std::string> groups;
    std::string description;
    std::string interface_type = "interface";
    bool requester_managed = false;
    Tags tags;
  };
  ApiResult<NetworkInterface> CreateInterface(const InterfaceSpec& spec, std::string_view owner);
  ApiResult<void> SetInterfaceGroups(std::string_view eni_id, std::vector<std::string> groups,
                                     bool from_api);
  ApiResult<void> DeleteInterface(std::string_view eni_id, bool from_api);

 private:
  std::atomic<bool> default_vpc_known_{false};
};

// One API request being served.
struct Call {
  const CallContext& ctx;
  const QueryParams& params;
  Authorizer& authz;
  State& state;
  XmlWriter& out;
  std::string action;
  std::string resource;  // for the audit log

  const std::string* Param(std::string_view name) const { return params.Get(name); }
  ApiResult<std::string> Required(std::string_view name) const;
  ApiResult<std::optional<int>> Int(std::string_view name) const;
  ApiResult<std::optional<bool>> Bool(std::string_view name) const;

  // Asks the authorizer for "ec2:<action>" on `arn` (after adding
  // aws:ResourceTag/... for `tags`), then answers DryRunOperation when the
  // request is a dry run. Records `arn` as the audited resource.
  ApiResult<void> Authorize(std::string arn, ConditionKeys keys = {}, const Tags* tags = nullptr);
  // For creating an object of `resource_type` in a VPC: parses the
  // TagSpecification, checks that the VPC exists and authorizes on the VPC
  // (ec2:Vpc, aws:RequestTag/..., aws:TagKeys). Returns the new tags.
  ApiResult<Tags> AuthorizeCreateIn(const std::string& vpc_id, std::string_view resource_type);
};

// Request parsing helpers (params.cc).
struct Filter {
  std::string name;
  std::vector<std::string> values;
};
ApiResult<std::vector<Filter>> ParseFilters(const QueryParams& params);
// A filter value pattern: `*` any run, `?` one character.
bool Glob(std::string_view pattern, std::string_view value);
// Every filter matches (each: any of its values matches any of the object's
// values for that name). `fields` returns nullopt for names it does not
// know; tag:<key>, tag-key and tag-value are handled here.
using FieldFn = std::function<std::optional<std::vector<std::string>>(std::string_view)>;
ApiResult<bool> MatchFilters(const std::vector<Filter>& filters, const FieldFn& fields,
                             const Tags& tags);
// TagSpecification.N for `resource_type` ("vpc", "subnet", "security-group",
// "network-acl", "network-interface"); other types are an error.
ApiResult<Tags> ParseTagSpecifications(const QueryParams& params, std::string_view resource_type);
// Key/value limits as EC2 enforces them (128/256 characters, no "aws:").
ApiResult<void> ValidateTag(std::string_view key, std::string_view value);
// aws:RequestTag/<k> and aws:TagKeys for new tags.
void AddRequestTagKeys(const Tags& tags, ConditionKeys* keys);
// The ids of `prefix` ("VpcId"): every value of prefix.N.
std::vector<std::string> IdList(const QueryParams& params, std::string_view prefix);
// MaxResults / NextToken over `total` items: [begin, end) and the token.
struct Page {
  size_t begin = 0, end = 0;
  std::string next_token;
};
ApiResult<Page> Paginate(const QueryParams& params, size_t total);
// IANA number from "tcp", "udp", "icmp", "icmpv6", "-1"/"all", or "0".."255".
ApiResult<int> ParseProtocol(std::string_view text);
// "tcp" etc. for security groups; numbers for NACLs.
std::string ProtocolName(int protocol);
// Validates an id's shape: prefix "vpc" → "vpc-" + hex.
bool WellFormedId(std::string_view id, std::string_view prefix);

// XML writers (xml_out.cc). Each writes one <item>.
void WriteTags(XmlWriter& x, const Tags& tags, std::string_view element = "tagSet");
void WriteVpc(XmlWriter& x, std::string_view element, const Vpc& v);
void WriteSubnet(XmlWriter& x, std::string_view element, const State& s, const Subnet& v,
                 int available_addresses);
void WriteGroup(XmlWriter& x, const SecurityGroup& g);
// Rules grouped as EC2's IpPermissions (same protocol and ports in one).
void WriteIpPermissions(XmlWriter& x, std::string_view element,
                        const std::vector<SecurityGroupRule>& rules);
void WriteRule(XmlWriter& x, const SecurityGroupRule& r, std::string_view group_owner,
               const Tags& tags);
void WriteAcl(XmlWriter& x, std::string_view element, const NetworkAcl& a);
void WriteInterface(XmlWriter& x, std::string_view element, const NetworkInterface& eni,
                    const std::vector<SecurityGroup>& groups);
inline const char* BoolText(bool b) { return b ? "true" : "false"; }

// Describe*: the objects named by `ids` (each must exist) or all of them,
// then those every filter matches. `fields(obj, name)` gives an object's
// values for a filter name, nullopt for an unknown name.
template <class T, class Fields>
ApiResult<std::vector<T>> Select(const Call& c, const std::vector<std::string>& ids,
                                 Fields fields) {
  auto filters = ParseFilters(c.params);
  if (!filters) return Fail(filters.error());
  std::vector<T> chosen;
  if (ids.empty()) {
    auto all = c.state.List<T>();
    if (!all) return Fail(all.error());
    chosen = std::move(*all);
  } else {
    for (const auto& id : ids) {
      auto v = c.state.Get<T>(id);
      if (!v) return Fail(v.error());
      bool seen = false;
      for (const auto& o : chosen) seen = seen || o.id == v->id;
      if (!seen) chosen.push_back(std::move(*v));
    }
  }
  std::vector<T> out;
  for (auto& o : chosen) {
    auto m = MatchFilters(
        *filters, [&](std::string_view name) { return fields(o, name); }, o.tags);
    if (!m) return Fail(m.error());
    if (*m) out.push_back(std::move(o));
  }
  return out;
}
using Values = std::optional<std::vector<std::string>>;

// Writes one page of `items` as <set_name><item/>...</set_name> and the
// nextToken when more follow.
template <class T, class Write>
ApiResult<void> WritePage(Call& c, std::string_view set_name, const std::vector<T>& items,
                          Write write) {
  auto page = Paginate(c.params, items.size());
  if (!page) return Fail(page.error());
  c.out.Open(set_name);
  for (size_t i = page->begin; i < page->end; ++i) write(items[i]);
  c.out.Close();
  if (!page->next_token.empty()) c.out.Leaf("nextToken", page->next_token);
  return {};
}

// Operations (ops_*.cc).
using Handler = ApiResult<void> (*)(Call&);
ApiResult<void> CreateVpc(Call& c);
ApiResult<void> DescribeVpcs(Call& c);
ApiResult<void> DeleteVpc(Call& c);
ApiResult<void> CreateSubnet(Call& c);
ApiResult<void> DescribeSubnets(Call& c);
ApiResult<void> DeleteSubnet(Call& c);
ApiResult<void> DescribeAvailabilityZones(Call& c);
ApiResult<void> CreateSecurityGroup(Call& c);
ApiResult<void> DescribeSecurityGroups(Call& c);
ApiResult<void> DeleteSecurityGroup(Call& c);
ApiResult<void> AuthorizeSecurityGroupIngress(Call& c);
ApiResult<void> AuthorizeSecurityGroupEgress(Call& c);
ApiResult<void> RevokeSecurityGroupIngress(Call& c);
ApiResult<void> RevokeSecurityGroupEgress(Call& c);
ApiResult<void> DescribeSecurityGroupRules(Call& c);
ApiResult<void> CreateNetworkAcl(Call& c);
ApiResult<void> DescribeNetworkAcls(Call& c);
ApiResult<void> DeleteNetworkAcl(Call& c);
ApiResult<void> CreateNetworkAclEntry(Call& c);
ApiResult<void> ReplaceNetworkAclEntry(Call& c);
ApiResult<void> DeleteNetworkAclEntry(Call& c);
ApiResult<void> ReplaceNetworkAclAssociation(Call& c);
ApiResult<void> CreateNetworkInterface(Call& c);
ApiResult<void> DescribeNetworkInterfaces(Call& c);
ApiResult<void> DeleteNetworkInterface(Call& c);
ApiResult<void> ModifyNetworkInterfaceAttribute(Call& c);
ApiResult<void> CreateTags(Call& c);
ApiResult<void> DeleteTags(Call& c);
ApiResult<void> DescribeTags(Call& c);

}  // namespace elfs::api::ec2::internal
