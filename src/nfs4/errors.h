// The one mapping from elfs::Errc to nfsstat4 (RFC 8881 section 15).
#pragma once

#include "common/status.h"
#include "nfs4/nfs4_const.h"

namespace elfs::nfs4 {

nfsstat4 ToNfsStat(Errc code);
inline nfsstat4 ToNfsStat(const Status& s) { return ToNfsStat(s.code()); }

}  // namespace elfs::nfs4
