// Tags on VPCs, subnets, security groups, network ACLs and interfaces.
#include "api/ec2/ec2_state.h"

namespace elfs::api::ec2::internal {
namespace {

constexpr size_t kMaxTags = 50;

// The EC2 resource type and ARN type of an id, by its prefix.
struct ResourceType {
  std::string_view prefix;
  std::string_view type;  // resourceType in DescribeTags and the ARN
};
constexpr ResourceType kTypes[] = {{"vpc", "vpc"},
                                   {"subnet", "subnet"},
                                   {"sg", "security-group"},
                                   {"acl", "network-acl"},
                                   {"eni", "network-interface"}};

const ResourceType* TypeOf(std::string_view id) {
  for (const auto& t : kTypes) {
    if (WellFormedId(id, t.prefix)) return &t;
  }
  return nullptr;
}

using TagChange = std::function<ApiResult<void>(Tags&)>;

// Applies `change` to the tags of an object of kind T under its VPC's lock.
template <class T>
ApiResult<void> ChangeTags(Call& c, const std::string& id, const TagChange& change) {
  auto obj = c.state.Get<T>(id);
  if (!obj) return Fail(obj.error());
  std::string vpc_id;
  if constexpr (std::is_same_v<T, Vpc>) {
    vpc_id = obj->id;
  } else {
    vpc_id = obj->vpc_id;
  }
  return c.state.Mutate(vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    if constexpr (std::is_same_v<T, Vpc>) {
      return change(t.vpc.tags);
    } else {
      auto current = c.state.Get<T>(id);
      if (!current) return Fail(current.error());
      if (auto r = change(current->tags); !r) return r;
      t.Put(*current);
      return {};
    }
  });
}

// The current tags of a resource (for aws:ResourceTag and DescribeTags).
template <class T>
ApiResult<Tags> TagsOf(const Call& c, const std::string& id) {
  auto obj = c.state.Get<T>(id);
  if (!obj) return Fail(obj.error());
  return obj->tags;
}

template <class F>
auto Dispatch(const ResourceType& type, F&& f) {
  if (type.prefix == "vpc") return f(Vpc{});
  if (type.prefix == "subnet") return f(Subnet{});
  if (type.prefix == "sg") return f(SecurityGroup{});
  if (type.prefix == "acl") return f(NetworkAcl{});
  return f(NetworkInterface{});
}

ApiResult<std::vector<std::pair<std::string, const ResourceType*>>> Resources(const Call& c) {
  std::vector<std::pair<std::string, const ResourceType*>> out;
  for (const auto& id : IdList(c.params, "ResourceId")) {
    const ResourceType* type = TypeOf(id);
    if (!type) return Ec2Fail("InvalidID", "The ID '" + id + "' is not valid");
    out.emplace_back(id, type);
  }
  if (out.empty()) return MissingParameter("ResourceId");
  return out;
}

// Authorizes each resource, then changes each (one transaction per resource).
ApiResult<void> ForEachResource(Call& c, const ConditionKeys& keys, const TagChange& change) {
  auto resources = Resources(c);
  if (!resources) return Fail(resources.error());
  // Named, not structured bindings: clang 14 cannot capture those.
  for (const auto& resource : *resources) {
    const auto& id = resource.first;
    const auto& type = resource.second;
    auto tags = Dispatch(*type, [&](auto t) { return TagsOf<decltype(t)>(c, id); });
    if (!tags) return Fail(tags.error());
    if (auto r = c.Authorize(c.state.Arn(type->type, id), keys, &*tags); !r) return r;
  }
  for (const auto& resource : *resources) {
    const auto& id = resource.first;
    const auto& type = resource.second;
    auto r = Dispatch(*type, [&](auto t) { return ChangeTags<decltype(t)>(c, id, change); });
    if (!r) return r;
  }
  c.out.Leaf("return", "true");
  return {};
}

}  // namespace

ApiResult<void> CreateTags(Call& c) {
  Tags add;
  auto rows = c.params.Rows("Tag", {"Key", "Value"});
  if (rows.empty()) return MissingParameter("Tag");
  for (const auto& row : rows) {
    if (auto r = ValidateTag(row[0], row[1]); !r) return r;
    add[row[0]] = row[1];
  }
  ConditionKeys keys;
  AddRequestTagKeys(add, &keys);
  return ForEachResource(c, keys, [&](Tags& tags) -> ApiResult<void> {
    for (const auto& [k, v] : add) tags[k] = v;
    if (tags.size() > kMaxTags) {
      return Ec2Fail("TagLimitExceeded", "A resource can have at most 50 tags");
    }
    return {};
  });
}

ApiResult<void> DeleteTags(Call& c) {
  // Tag.N.Key alone deletes the key; with Tag.N.Value only when the value
  // matches; no Tag at all deletes every tag.
  std::vector<std::pair<std::string, const std::string*>> remove;
  for (int n : c.params.Indices("Tag")) {
    std::string pre = "Tag." + std::to_string(n);
    const std::string* key = c.Param(pre + ".Key");
    if (!key || key->empty()) return MissingParameter(pre + ".Key");
    remove.emplace_back(*key, c.Param(pre + ".Value"));
  }
  ConditionKeys keys;
  if (!remove.empty()) {
    auto& tag_keys = keys["aws:TagKeys"];
    for (const auto& [k, v] : remove) tag_keys.push_back(k);
  }
  return ForEachResource(c, keys, [&](Tags& tags) -> ApiResult<void> {
    if (remove.empty()) {
      tags.clear();
      return {};
    }
    for (const auto& [k, v] : remove) {
      auto it = tags.find(k);
      if (it != tags.end() && (!v || *v == it->second)) tags.erase(it);
    }
    return {};
  });
}

ApiResult<void> DescribeTags(Call& c) {
  if (auto r = c.Authorize("*"); !r) return r;
  auto filters = ParseFilters(c.params);
  if (!filters) return Fail(filters.error());
  struct Row {
    std::string id, type, key, value;
  };
  std::vector<Row> rows;
  auto collect = [&](auto sample) -> ApiResult<void> {
    using T = decltype(sample);
    auto all = c.state.List<T>();
    if (!all) return Fail(all.error());
    for (const auto& o : *all) {
      for (const auto& [k, v] : o.tags) {
        rows.push_back({o.id, std::string(TypeOf(o.id)->type), k, v});
      }
    }
    return {};
  };
  for (const auto& type : kTypes) {
    if (auto r = Dispatch(type, collect); !r) return r;
  }
  std::vector<Row> matched;
  for (auto& row : rows) {
    auto m = MatchFilters(
        *filters,
        [&](std::string_view n) -> Values {
          if (n == "resource-id") return std::vector{row.id};
          if (n == "resource-type") return std::vector{row.type};
          if (n == "key") return std::vector{row.key};
          if (n == "value") return std::vector{row.value};
          return std::nullopt;
        },
        Tags{{row.key, row.value}});
    if (!m) return Fail(m.error());
    if (*m) matched.push_back(std::move(row));
  }
  return WritePage(c, "tagSet", matched, [&](const Row& r) {
    c.out.Open("item").Leaf("resourceId", r.id).Leaf("resourceType", r.type);
    c.out.Leaf("key", r.key).Leaf("value", r.value).Close();
  });
}

}  // namespace elfs::api::ec2::internal
