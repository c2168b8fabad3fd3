#include "vfs/vfs.h"

#include <cerrno>
#include <string>
#include <system_error>

namespace elfs::vfs {

Status ValidateName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return {Errc::kBadName, "invalid name"};
  if (name.size() > 255) return {Errc::kNameTooLong, "name longer than 255 bytes"};
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos)
    return {Errc::kBadName, "name contains '/' or NUL"};
  return {};
}


Status ErrnoStatus(int err, std::string_view what) {
  std::string msg = std::string(what) + ": " + std::generic_category().message(err);
  switch (err) {
    case ENOENT: return {Errc::kNotFound, std::move(msg)};
    case EEXIST: return {Errc::kExists, std::move(msg)};
    case ENOTDIR: return {Errc::kNotDir, std::move(msg)};
    case EISDIR: return {Errc::kIsDir, std::move(msg)};
    case ENOTEMPTY: return {Errc::kNotEmpty, std::move(msg)};
    case EACCES: return {Errc::kAccess, std::move(msg)};
    case EPERM: return {Errc::kPerm, std::move(msg)};
    case ENAMETOOLONG: return {Errc::kNameTooLong, std::move(msg)};
    case ENOSPC: return {Errc::kNoSpace, std::move(msg)};
    case EDQUOT: return {Errc::kQuota, std::move(msg)};
    case ESTALE: return {Errc::kStale, std::move(msg)};
    case EROFS: return {Errc::kReadOnly, std::move(msg)};
    case EFBIG: return {Errc::kFileTooBig, std::move(msg)};
    case EXDEV: return {Errc::kCrossDevice, std::move(msg)};
    case EMLINK: return {Errc::kTooManyLinks, std::move(msg)};
    case ELOOP: return {Errc::kLoop, std::move(msg)};
    case EINVAL: return {Errc::kInvalid, std::move(msg)};
    case EBUSY: return {Errc::kBusy, std::move(msg)};
    case EOPNOTSUPP: return {Errc::kNotSupported, std::move(msg)};
    default: return {Errc::kIo, std::move(msg)};
  }
}

}  // namespace elfs::vfs
