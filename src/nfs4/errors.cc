#include "nfs4/errors.h"

namespace elfs::nfs4 {

nfsstat4 ToNfsStat(Errc code) {
  switch (code) {
    case Errc::kOk: return NFS4_OK;
    case Errc::kNotFound: return NFS4ERR_NOENT;
    case Errc::kExists: return NFS4ERR_EXIST;
    case Errc::kNotDir: return NFS4ERR_NOTDIR;
    case Errc::kIsDir: return NFS4ERR_ISDIR;
    case Errc::kNotEmpty: return NFS4ERR_NOTEMPTY;
    case Errc::kAccess: return NFS4ERR_ACCESS;
    case Errc::kPerm: return NFS4ERR_PERM;
    case Errc::kNameTooLong: return NFS4ERR_NAMETOOLONG;
    case Errc::kInvalid: return NFS4ERR_INVAL;
    case Errc::kBadName: return NFS4ERR_BADNAME;
    case Errc::kNoSpace: return NFS4ERR_NOSPC;
    case Errc::kQuota: return NFS4ERR_DQUOT;
    case Errc::kStale: return NFS4ERR_STALE;
    case Errc::kBadHandle: return NFS4ERR_BADHANDLE;
    case Errc::kIo: return NFS4ERR_IO;
    case Errc::kReadOnly: return NFS4ERR_ROFS;
    case Errc::kFileTooBig: return NFS4ERR_FBIG;
    case Errc::kCrossDevice: return NFS4ERR_XDEV;
    case Errc::kTooManyLinks: return NFS4ERR_MLINK;
    case Errc::kLoop: return NFS4ERR_SYMLINK;
    case Errc::kWrongType: return NFS4ERR_INVAL;
    case Errc::kNotSupported: return NFS4ERR_NOTSUPP;
    case Errc::kBusy: return NFS4ERR_DELAY;
    case Errc::kDenied: return NFS4ERR_DENIED;
    case Errc::kTooBig: return NFS4ERR_RESOURCE;
    case Errc::kBadXdr: return NFS4ERR_BADXDR;
    case Errc::kUnavailable: return NFS4ERR_DELAY;
    case Errc::kConflict: return NFS4ERR_DELAY;
    case Errc::kInternal: return NFS4ERR_SERVERFAULT;
  }
  return NFS4ERR_SERVERFAULT;
}

}  // namespace elfs::nfs4
