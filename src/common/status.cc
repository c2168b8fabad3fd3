#include "common/status.h"

namespace elfs {

std::string_view ErrcName(Errc code) {
  switch (code) {
    case Errc::kOk: return "OK";
    case Errc::kNotFound: return "NotFound";
    case Errc::kExists: return "Exists";
    case Errc::kNotDir: return "NotDir";
    case Errc::kIsDir: return "IsDir";
    case Errc::kNotEmpty: return "NotEmpty";
    case Errc::kAccess: return "Access";
    case Errc::kPerm: return "Perm";
    case Errc::kNameTooLong: return "NameTooLong";
    case Errc::kInvalid: return "Invalid";
    case Errc::kBadName: return "BadName";
    case Errc::kNoSpace: return "NoSpace";
    case Errc::kQuota: return "Quota";
    case Errc::kStale: return "Stale";
    case Errc::kBadHandle: return "BadHandle";
    case Errc::kIo: return "Io";
    case Errc::kReadOnly: return "ReadOnly";
    case Errc::kFileTooBig: return "FileTooBig";
    case Errc::kCrossDevice: return "CrossDevice";
    case Errc::kTooManyLinks: return "TooManyLinks";
    case Errc::kLoop: return "Loop";
    case Errc::kWrongType: return "WrongType";
    case Errc::kNotSupported: return "NotSupported";
    case Errc::kBusy: return "Busy";
    case Errc::kDenied: return "Denied";
    case Errc::kTooBig: return "TooBig";
    case Errc::kBadXdr: return "BadXdr";
    case Errc::kUnavailable: return "Unavailable";
    case Errc::kConflict: return "Conflict";
    case Errc::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  std::string s(ErrcName(code_));
  if (!message_.empty()) {
    s += ": ";
    s += message_;
  }
  return s;
}

}  // namespace elfs
