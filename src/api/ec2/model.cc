#include "api/ec2/model.h"

#include <nlohmann/json.hpp>

namespace elfs::api::ec2 {
namespace {

using nlohmann::json;

// Decoding helpers throw nlohmann exceptions, caught in Decode<T>.
Cidr CidrFrom(const json& j) {
  auto c = ParseCidr(j.get<std::string>());
  if (!c) throw std::runtime_error("bad cidr in record");
  return *c;
}

json RuleToJson(const SecurityGroupRule& r) {
  json j = {{"id", r.rule_id},
            {"group", r.group_id},
            {"egress", r.direction == Direction::kEgress},
            {"protocol", r.protocol},
            {"from", r.from_port},
            {"to", r.to_port},
            {"description", r.description}};
  if (r.cidr) j["cidr"] = FormatCidr(*r.cidr);
  if (!r.source_group_id.empty()) {
    j["source_group"] = r.source_group_id;
    j["source_owner"] = r.source_group_owner;
  }
  return j;
}

SecurityGroupRule RuleFromJson(const json& j) {
  SecurityGroupRule r;
  r.rule_id = j.at("id").get<std::string>();
  r.group_id = j.at("group").get<std::string>();
  r.direction = j.at("egress").get<bool>() ? Direction::kEgress : Direction::kIngress;
  r.protocol = j.at("protocol").get<int>();
  r.from_port = j.at("from").get<int>();
  r.to_port = j.at("to").get<int>();
  r.description = j.value("description", "");
  if (j.contains("cidr")) r.cidr = CidrFrom(j.at("cidr"));
  r.source_group_id = j.value("source_group", "");
  r.source_group_owner = j.value("source_owner", "");
  return r;
}

json EntryToJson(const NetworkAclEntry& e) {
  json j = {{"rule", e.rule_number},
            {"egress", e.egress},
            {"protocol", e.protocol},
            {"cidr", FormatCidr(e.cidr)},
            {"allow", e.action == RuleAction::kAllow}};
  if (e.from_port) j["from"] = *e.from_port;
  if (e.to_port) j["to"] = *e.to_port;
  if (e.icmp_type) j["icmp_type"] = *e.icmp_type;
  if (e.icmp_code) j["icmp_code"] = *e.icmp_code;
  return j;
}

std::optional<int> OptInt(const json& j, const char* key) {
  if (!j.contains(key)) return std::nullopt;
  return j.at(key).get<int>();
}

NetworkAclEntry EntryFromJson(const json& j) {
  NetworkAclEntry e;
  e.rule_number = j.at("rule").get<int>();
  e.egress = j.at("egress").get<bool>();
  e.protocol = j.at("protocol").get<int>();
  e.cidr = CidrFrom(j.at("cidr"));
  e.action = j.at("allow").get<bool>() ? RuleAction::kAllow : RuleAction::kDeny;
  e.from_port = OptInt(j, "from");
  e.to_port = OptInt(j, "to");
  e.icmp_type = OptInt(j, "icmp_type");
  e.icmp_code = OptInt(j, "icmp_code");
  return e;
}

Tags TagsFrom(const json& j) { return j.value("tags", Tags{}); }

template <class T, class F>
Result<T> Parse(std::string_view text, F&& fill) {
  try {
    json j = json::parse(text);
    T out;
    fill(j, out);
    return out;
  } catch (const std::exception& e) {
    return Err(Errc::kInternal, std::string("malformed ec2 record: ") + e.what());
  }
}

}  // namespace

std::string Encode(const Vpc& v) {
  return json{{"id", v.id},
              {"cidr", FormatCidr(v.cidr)},
              {"owner", v.owner},
              {"default", v.is_default},
              {"cidr_assoc", v.cidr_association_id},
              {"default_group", v.default_group_id},
              {"default_acl", v.default_acl_id},
              {"tags", v.tags}}
      .dump();
}

std::string Encode(const Subnet& v) {
  return json{{"id", v.id},
              {"vpc", v.vpc_id},
              {"cidr", FormatCidr(v.cidr)},
              {"az", v.availability_zone},
              {"az_id", v.availability_zone_id},
              {"owner", v.owner},
              {"default_for_az", v.default_for_az},
              {"tags", v.tags}}
      .dump();
}

std::string Encode(const SecurityGroup& v) {
  json rules = json::array();
  for (const auto& r : v.rules) rules.push_back(RuleToJson(r));
  return json{{"id", v.id},
              {"name", v.name},
              {"description", v.description},
              {"vpc", v.vpc_id},
              {"owner", v.owner},
              {"default", v.is_default},
              {"rules", rules},
              {"tags", v.tags}}
      .dump();
}

std::string Encode(const NetworkAcl& v) {
  json entries = json::array(), assocs = json::array();
  for (const auto& e : v.entries) entries.push_back(EntryToJson(e));
  for (const auto& a : v.associations) assocs.push_back({{"id", a.id}, {"subnet", a.subnet_id}});
  return json{{"id", v.id},
              {"vpc", v.vpc_id},
              {"owner", v.owner},
              {"default", v.is_default},
              {"entries", entries},
              {"associations", assocs},
              {"tags", v.tags}}
      .dump();
}

std::string Encode(const NetworkInterface& v) {
  return json{{"id", v.id},
              {"subnet", v.subnet_id},
              {"vpc", v.vpc_id},
              {"az", v.availability_zone},
              {"ip", FormatIp(v.private_ip)},
              {"groups", v.groups},
              {"description", v.description},
              {"owner", v.owner},
              {"type", v.interface_type},
              {"requester_managed", v.requester_managed},
              {"mac", v.mac_address},
              {"tags", v.tags}}
      .dump();
}

template <>
Result<Vpc> Decode<Vpc>(std::string_view text) {
  return Parse<Vpc>(text, [](const json& j, Vpc& v) {
    v.id = j.at("id").get<std::string>();
    v.cidr = CidrFrom(j.at("cidr"));
    v.owner = j.at("owner").get<std::string>();
    v.is_default = j.at("default").get<bool>();
    v.cidr_association_id = j.value("cidr_assoc", "");
    v.default_group_id = j.at("default_group").get<std::string>();
    v.default_acl_id = j.at("default_acl").get<std::string>();
    v.tags = TagsFrom(j);
  });
}

template <>
Result<Subnet> Decode<Subnet>(std::string_view text) {
  return Parse<Subnet>(text, [](const json& j, Subnet& v) {
    v.id = j.at("id").get<std::string>();
    v.vpc_id = j.at("vpc").get<std::string>();
    v.cidr = CidrFrom(j.at("cidr"));
    v.availability_zone = j.at("az").get<std::string>();
    v.availability_zone_id = j.at("az_id").get<std::string>();
    v.owner = j.at("owner").get<std::string>();
    v.default_for_az = j.at("default_for_az").get<bool>();
    v.tags = TagsFrom(j);
  });
}

template <>
Result<SecurityGroup> Decode<SecurityGroup>(std::string_view text) {
  return Parse<SecurityGroup>(text, [](const json& j, SecurityGroup& v) {
    v.id = j.at("id").get<std::string>();
    v.name = j.at("name").get<std::string>();
    v.description = j.at("description").get<std::string>();
    v.vpc_id = j.at("vpc").get<std::string>();
    v.owner = j.at("owner").get<std::string>();
    v.is_default = j.at("default").get<bool>();
    for (const auto& r : j.at("rules")) v.rules.push_back(RuleFromJson(r));
    v.tags = TagsFrom(j);
  });
}

template <>
Result<NetworkAcl> Decode<NetworkAcl>(std::string_view text) {
  return Parse<NetworkAcl>(text, [](const json& j, NetworkAcl& v) {
    v.id = j.at("id").get<std::string>();
    v.vpc_id = j.at("vpc").get<std::string>();
    v.owner = j.at("owner").get<std::string>();
    v.is_default = j.at("default").get<bool>();
    for (const auto& e : j.at("entries")) v.entries.push_back(EntryFromJson(e));
    for (const auto& a : j.at("associations")) {
      v.associations.push_back(
          {a.at("id").get<std::string>(), a.at("subnet").get<std::string>()});
    }
    v.tags = TagsFrom(j);
  });
}

template <>
Result<NetworkInterface> Decode<NetworkInterface>(std::string_view text) {
  return Parse<NetworkInterface>(text, [](const json& j, NetworkInterface& v) {
    v.id = j.at("id").get<std::string>();
    v.subnet_id = j.at("subnet").get<std::string>();
    v.vpc_id = j.at("vpc").get<std::string>();
    v.availability_zone = j.at("az").get<std::string>();
    auto ip = ParseIp(j.at("ip").get<std::string>());
    if (!ip) throw std::runtime_error("bad address in record");
    v.private_ip = *ip;
    v.groups = j.at("groups").get<std::vector<std::string>>();
    v.description = j.value("description", "");
    v.owner = j.at("owner").get<std::string>();
    v.interface_type = j.value("type", "interface");
    v.requester_managed = j.value("requester_managed", false);
    v.mac_address = j.value("mac", "");
    v.tags = TagsFrom(j);
  });
}

}  // namespace elfs::api::ec2
