// The one error model of elfs: a cheap Status value (an Errc plus a message)
// and Result<T> = tl::expected<T, Status>. No exception crosses a module
// boundary. Backends translate errno into Errc in exactly one place each;
// the NFS layer maps Errc to nfsstat4 in one switch (nfs4/errors.cc), the API
// layer maps it to its own error table.
//
// Thread safety: values; safe to copy between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace elfs {

// What went wrong, independent of any protocol. Keep in sync with
// ErrcName() in status.cc and the nfsstat4 mapping in nfs4/errors.cc.
enum class Errc : uint8_t {
  kOk = 0,
  kNotFound,       // no such file, object or id
  kExists,         // name or object already exists
  kNotDir,         // a directory was required
  kIsDir,          // a non-directory was required
  kNotEmpty,       // directory not empty
  kAccess,         // permission bits (or policy) deny
  kPerm,           // operation reserved to the owner or root
  kNameTooLong,    // a name component is too long
  kInvalid,        // argument out of range or inconsistent
  kBadName,        // name contains '/' or NUL, or is "." / ".."
  kNoSpace,        // no space left
  kQuota,          // quota exceeded
  kStale,          // handle no longer refers to an object
  kBadHandle,      // handle malformed or forged
  kIo,             // I/O error in the backend
  kReadOnly,       // write to something read-only
  kFileTooBig,     // offset or size beyond what the backend stores
  kCrossDevice,    // link or rename across file systems
  kTooManyLinks,   // link count limit
  kLoop,           // symlink loop
  kWrongType,      // e.g. READLINK on a non-symlink
  kNotSupported,   // valid request the backend does not implement
  kBusy,           // object in use
  kDenied,         // byte-range or share conflict
  kTooBig,         // request or reply too large
  kBadXdr,         // malformed wire data
  kUnavailable,    // temporarily unavailable; retry later
  kConflict,       // a concurrent change won (compare-and-swap lost)
  kInternal,       // a bug: invariant broken
};

std::string_view ErrcName(Errc code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Errc code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status NotFound(std::string m = {}) { return {Errc::kNotFound, std::move(m)}; }
  static Status Exists(std::string m = {}) { return {Errc::kExists, std::move(m)}; }
  static Status Access(std::string m = {}) { return {Errc::kAccess, std::move(m)}; }
  static Status Perm(std::string m = {}) { return {Errc::kPerm, std::move(m)}; }
  static Status Invalid(std::string m = {}) { return {Errc::kInvalid, std::move(m)}; }
  static Status Io(std::string m = {}) { return {Errc::kIo, std::move(m)}; }
  static Status Stale(std::string m = {}) { return {Errc::kStale, std::move(m)}; }
  static Status NotSupported(std::string m = {}) { return {Errc::kNotSupported, std::move(m)}; }
  static Status Internal(std::string m = {}) { return {Errc::kInternal, std::move(m)}; }

  bool ok() const { return code_ == Errc::kOk; }
  Errc code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NotFound: message" (or "OK").
  std::string ToString() const;

  bool operator==(Errc c) const { return code_ == c; }

 private:
  Errc code_ = Errc::kOk;
  std::string message_;
};

template <class T>
using Result = tl::expected<T, Status>;

// Shorthand for returning an error from a function that returns Result<T>.
inline tl::unexpected<Status> Err(Errc code, std::string message = {}) {
  return tl::unexpected<Status>(Status(code, std::move(message)));
}
inline tl::unexpected<Status> Err(Status s) { return tl::unexpected<Status>(std::move(s)); }

}  // namespace elfs

// Propagate a failed Status / Result out of the enclosing function.
#define ELFS_RETURN_IF_ERROR(expr)              \
  do {                                          \
    ::elfs::Status elfs_status_ = (expr);       \
    if (!elfs_status_.ok()) return elfs_status_; \
  } while (0)

// The same, out of a function that returns Result<T>.
#define ELFS_RETURN_IF_ERROR_R(expr)                               \
  do {                                                             \
    ::elfs::Status elfs_status_ = (expr);                          \
    if (!elfs_status_.ok()) return ::elfs::Err(std::move(elfs_status_)); \
  } while (0)
