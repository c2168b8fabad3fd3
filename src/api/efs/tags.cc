// TagResource, UntagResource, ListTagsForResource (file systems and access
// points) and the older file-system-only CreateTags, DeleteTags, DescribeTags.
#include <algorithm>

#include <fmt/format.h>

#include "api/efs/impl.h"

namespace elfs::api::efs {
namespace {

using Impl = EfsService::Impl;

bool NamesAccessPoint(std::string_view value) {
  return value.starts_with("fsap-") || value.find(":access-point/") != std::string_view::npos;
}

Tags Merged(const Tags& old, const Tags& added) {
  Tags out = old;
  for (const auto& tag : added) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& t) { return t.first == tag.first; });
    if (it != out.end()) {
      it->second = tag.second;
    } else {
      out.emplace_back(tag.first, tag.second);
    }
  }
  return out;
}

Tags Without(const Tags& old, const std::vector<std::string>& keys) {
  Tags out;
  for (const auto& t : old) {
    if (std::find(keys.begin(), keys.end(), t.first) == keys.end()) out.push_back(t);
  }
  return out;
}

}  // namespace

R<void> Impl::CheckTagCount(const Tags& tags) const {
  if (tags.size() > config_.max_tags) {
    return BadRequest(fmt::format("A resource can have at most {} tags.", config_.max_tags));
  }
  return {};
}

R<Impl::TaggedResource> Impl::LoadTagged(Call& c, std::string value) {
  EFS_TRY(valid, ValidateString("resourceId", std::move(value), ResourceIdShape()));
  TaggedResource t;
  t.is_access_point = NamesAccessPoint(valid);
  if (t.is_access_point) {
    EFS_TRY(id, ApIdFrom("resourceId", valid));
    EFS_TRY(ap, LoadAp(id));
    t.id = ap.id;
    t.arn = ApArn(ap.id);
    t.tags = ap.tags;
  } else {
    EFS_TRY(id, FsIdFrom("resourceId", valid));
    EFS_TRY(fs, LoadFs(id));
    t.id = fs.id;
    t.arn = FsArn(fs.id);
    t.tags = fs.tags;
  }
  c.resource = t.arn;
  return t;
}

R<Impl::Answer> Impl::ChangeTags(Call& c, const TaggedResource& target,
                                 const std::function<R<Tags>(const Tags&)>& change, int status) {
  return Retrying([&]() -> R<Answer> {
    store::Transaction txn;
    if (target.is_access_point) {
      EFS_TRY(ap, LoadAp(target.id));
      EFS_TRY(tags, change(ap.tags));
      EFS_CHECK(CheckTagCount(tags));
      ap.tags = std::move(tags);
      txn.Put(kAccessPointKind, ap.id, Dump(ap.ToJson()), ap.version);
    } else {
      EFS_TRY(fs, LoadFs(target.id));
      EFS_TRY(tags, change(fs.tags));
      EFS_CHECK(CheckTagCount(tags));
      fs.tags = std::move(tags);
      txn.Put(kFileSystemKind, fs.id, Dump(fs.ToJson()), fs.version);
    }
    EFS_CHECK(Commit(txn));
    return Answer{status, std::nullopt};
  });
}

namespace {

// A page of tags, ordered by key (the key is the marker), as {"Tags": [...]}
// plus the next page's marker.
struct TagPage {
  Json out;
  std::optional<std::string> next;
};

R<TagPage> PageOfTags(const Impl& impl, Tags tags, const std::optional<std::string>& marker,
                      std::optional<int64_t> max) {
  std::sort(tags.begin(), tags.end());
  std::vector<std::string> keys;
  for (const auto& t : tags) keys.push_back(t.first);
  Impl::PageBounds page = impl.Page(keys, marker, max, 100);
  Tags slice(tags.begin() + static_cast<ptrdiff_t>(page.begin),
             tags.begin() + static_cast<ptrdiff_t>(page.end));
  return TagPage{Json{{"Tags", TagsToJson(slice)}}, page.next};
}

}  // namespace

R<Impl::Answer> Impl::TagResource(Call& c) {
  Obj o{c.body, ""};
  EFS_TRY(added, Required(GetTags(o, "Tags"), o, "Tags"));
  EFS_TRY(target, LoadTagged(c, c.params[0]));
  ConditionKeys keys;
  AddResourceTags(keys, target.tags);
  AddRequestTags(keys, added);
  if (target.is_access_point) keys["elasticfilesystem:AccessPointArn"] = {target.arn};
  EFS_CHECK(Authorize(c, target.arn, keys));
  return ChangeTags(c, target, [&](const Tags& old) -> R<Tags> { return Merged(old, added); }, 200);
}

R<Impl::Answer> Impl::UntagResource(Call& c) {
  std::vector<std::string> removed;
  for (const auto& [k, v] : c.query.all()) {
    if (k != "tagKeys") continue;
    EFS_TRY(key, ValidateString(fmt::format("tagKeys.{}.member", removed.size() + 1), v,
                                TagKeyShape()));
    removed.push_back(std::move(key));
  }
  if (removed.empty()) return MissingMember("tagKeys");
  if (removed.size() > 50) {
    return Invalid("tagKeys", "[...]", "Member must have length less than or equal to 50");
  }
  EFS_TRY(target, LoadTagged(c, c.params[0]));
  ConditionKeys keys;
  AddResourceTags(keys, target.tags);
  keys["aws:TagKeys"] = removed;
  if (target.is_access_point) keys["elasticfilesystem:AccessPointArn"] = {target.arn};
  EFS_CHECK(Authorize(c, target.arn, keys));
  return ChangeTags(c, target, [&](const Tags& old) -> R<Tags> { return Without(old, removed); }, 200);
}

R<Impl::Answer> Impl::ListTagsForResource(Call& c) {
  EFS_TRY(max_results, QueryInt(c, "MaxResults"));
  EFS_TRY(next_token, QueryString(c, "NextToken", TokenLikeShape(128)));
  EFS_TRY(target, LoadTagged(c, c.params[0]));
  ConditionKeys keys;
  AddResourceTags(keys, target.tags);
  if (target.is_access_point) keys["elasticfilesystem:AccessPointArn"] = {target.arn};
  EFS_CHECK(Authorize(c, target.arn, keys));
  EFS_TRY(page, PageOfTags(*this, target.tags, next_token, max_results));
  if (page.next) page.out["NextToken"] = *page.next;
  return Answer{200, page.out};
}

R<Impl::Answer> Impl::CreateTags(Call& c) {
  Obj o{c.body, ""};
  EFS_TRY(fs_id, ValidateString("fileSystemId", c.params[0], FileSystemIdShape()));
  EFS_TRY(added, Required(GetTags(o, "Tags"), o, "Tags"));
  EFS_TRY(target, LoadTagged(c, fs_id));
  ConditionKeys keys;
  AddResourceTags(keys, target.tags);
  AddRequestTags(keys, added);
  EFS_CHECK(Authorize(c, target.arn, keys));
  return ChangeTags(c, target, [&](const Tags& old) -> R<Tags> { return Merged(old, added); }, 204);
}

R<Impl::Answer> Impl::DeleteTags(Call& c) {
  Obj o{c.body, ""};
  EFS_TRY(fs_id, ValidateString("fileSystemId", c.params[0], FileSystemIdShape()));
  EFS_TRY(removed, Required(GetStringList(o, "TagKeys", 1, 50, TagKeyShape()), o, "TagKeys"));
  EFS_TRY(target, LoadTagged(c, fs_id));
  ConditionKeys keys;
  AddResourceTags(keys, target.tags);
  keys["aws:TagKeys"] = removed;
  EFS_CHECK(Authorize(c, target.arn, keys));
  return ChangeTags(c, target, [&](const Tags& old) -> R<Tags> { return Without(old, removed); }, 204);
}

R<Impl::Answer> Impl::DescribeTags(Call& c) {
  EFS_TRY(max_items, QueryInt(c, "MaxItems"));
  EFS_TRY(marker, QueryString(c, "Marker", TokenLikeShape(128)));
  EFS_TRY(fs_id, ValidateString("fileSystemId", c.params[0], FileSystemIdShape()));
  EFS_TRY(target, LoadTagged(c, fs_id));
  ConditionKeys keys;
  AddResourceTags(keys, target.tags);
  EFS_CHECK(Authorize(c, target.arn, keys));
  EFS_TRY(page, PageOfTags(*this, target.tags, marker, max_items));
  if (marker) page.out["Marker"] = *marker;
  if (page.next) page.out["NextMarker"] = *page.next;
  return Answer{200, page.out};
}

}  // namespace elfs::api::efs
