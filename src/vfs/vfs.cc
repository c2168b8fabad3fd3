#include "vfs/vfs.h"

namespace elfs::vfs {

Status ValidateName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return {Errc::kBadName, "invalid name"};
  if (name.size() > 255) return {Errc::kNameTooLong, "name longer than 255 bytes"};
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos)
    return {Errc::kBadName, "name contains '/' or NUL"};
  return {};
}

}  // namespace elfs::vfs
