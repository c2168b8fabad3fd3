#include "authz/access_point_root.h"

#include <string_view>

namespace elfs::authz {

Result<vfs::Entry> ResolveAccessPointRoot(vfs::FileSystem& fs, const vfs::Handle& fs_root,
                                          const AccessPointConfig& ap) {
  std::string_view path = ap.root_path;
  if (path.empty() || path.front() != '/')
    return Err(Errc::kInvalid, "access point root path must be absolute: " + ap.root_path);
  auto attr = fs.GetAttr(fs_root);
  if (!attr) return Err(attr.error());
  vfs::Entry cur{fs_root, *attr};
  while (!path.empty()) {
    size_t start = path.find_first_not_of('/');
    if (start == std::string_view::npos) break;
    path.remove_prefix(start);
    size_t end = path.find('/');
    std::string_view name = path.substr(0, end);
    path.remove_prefix(end == std::string_view::npos ? path.size() : end);
    if (name == "." || name == "..")
      return Err(Errc::kInvalid, "access point root path has a '.' or '..' component");
    if (cur.attr.type != vfs::FileType::kDirectory)
      return Err(Errc::kNotDir, "access point root path crosses a non-directory");
    auto next = fs.Lookup(cur.handle, name);
    if (!next && next.error().code() == Errc::kNotFound && ap.creation_info) {
      vfs::CreateRequest req;
      req.type = vfs::FileType::kDirectory;
      req.mode = ap.creation_info->permissions & 07777;
      req.uid = ap.creation_info->owner_uid;
      req.gid = ap.creation_info->owner_gid;
      next = fs.Create(cur.handle, name, req);
      // Another first mount created it meanwhile: use that one.
      if (!next && next.error().code() == Errc::kExists) next = fs.Lookup(cur.handle, name);
    }
    if (!next) {
      if (next.error().code() == Errc::kNotFound)
        return Err(Errc::kNotFound, "access point root directory " + ap.root_path +
                                        " does not exist and the access point has no CreationInfo");
      return Err(next.error());
    }
    cur = std::move(*next);
  }
  if (cur.attr.type != vfs::FileType::kDirectory)
    return Err(Errc::kNotDir, "access point root " + ap.root_path + " is not a directory");
  return cur;
}

}  // namespace elfs::authz
