// SECINFO and SECINFO_NO_NAME (RFC 8881 sections 18.29, 18.45). elfs serves
// AUTH_SYS (identity for IAM comes from TLS, not from RPC security).
#include "nfs4/ops/op_util.h"
#include "nfs4/ops/ops.h"

namespace elfs::nfs4::ops {

namespace {
nfsstat4 EncodeFlavors(CompoundState& cs, xdr::XdrEncoder& res) {
  res.U32(1);
  res.U32(kAuthSys);
  // RFC 8881 section 2.6.3.1.1.8: SECINFO consumes the current file handle.
  cs.has_cfh = false;
  return NFS4_OK;
}
}  // namespace

nfsstat4 SecInfo(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  std::string_view name = args.String(kMaxComponentWire);
  if (!args.ok()) return NFS4ERR_BADXDR;
  auto dir = CurrentAttr(cs);
  if (!dir) return ToStat(dir.error());
  if (nfsstat4 s = RequireDir(*dir); s != NFS4_OK) return s == NFS4ERR_SYMLINK ? NFS4ERR_NOTDIR : s;
  if (nfsstat4 s = CheckComponent(name); s != NFS4_OK) return s;
  if (Status s = authz::MayLookup(cs.who, *dir); !s.ok()) return ToStat(s);
  auto e = cs.fs().Lookup(cs.cfh, name);
  if (!e) return ToStat(e.error());
  return EncodeFlavors(cs, res);
}

nfsstat4 SecInfoNoName(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  uint32_t style = args.U32();
  if (!args.ok()) return NFS4ERR_BADXDR;
  if (style == SECINFO_STYLE4_PARENT) {
    auto attr = CurrentAttr(cs);
    if (!attr) return ToStat(attr.error());
    if (attr->type != vfs::FileType::kDirectory) return NFS4ERR_NOTDIR;
    if (cs.cfh == cs.root) return NFS4ERR_NOENT;
  } else if (style != SECINFO_STYLE4_CURRENT_FH) {
    return NFS4ERR_INVAL;
  }
  return EncodeFlavors(cs, res);
}

}  // namespace elfs::nfs4::ops
