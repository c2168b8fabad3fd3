// File handle operations (RFC 8881 sections 18.13-18.14, 18.19-18.22,
// 18.27-18.28).
#include "nfs4/ops/op_util.h"
#include "nfs4/ops/ops.h"

namespace elfs::nfs4::ops {

namespace {
void ClearCurrentStateid(CompoundState& cs) { cs.has_cstateid = false; }
}  // namespace

nfsstat4 PutFh(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  vfs::Handle h;
  if (nfsstat4 s = DecodeFh(cs, args, h); s != NFS4_OK) return s;
  if (cs.mount_denied) return NFS4ERR_ACCESS;
  cs.SetCurrentFh(h);
  ClearCurrentStateid(cs);
  return NFS4_OK;
}

// Without ClientMount this is where a mount fails: the Linux client maps
// NFS4ERR_ACCESS on its root lookup to EPERM, "access denied by server".
nfsstat4 PutRootFh(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  if (cs.mount_denied) return NFS4ERR_ACCESS;
  cs.SetCurrentFh(cs.root);
  ClearCurrentStateid(cs);
  return NFS4_OK;
}

// RFC 8881 section 18.20: the public handle may be the root handle.
nfsstat4 PutPubFh(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  return PutRootFh(cs, args, res);
}

nfsstat4 GetFh(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  WireHandle w = cs.server.fh_codec().Encode(cs.current_fh());
  res.Opaque(w.span());
  return NFS4_OK;
}

nfsstat4 SaveFh(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  cs.sfh = cs.cfh;
  cs.has_sfh = true;
  cs.sstateid = cs.cstateid;
  cs.has_sstateid = cs.has_cstateid;
  return NFS4_OK;
}

nfsstat4 RestoreFh(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  if (!cs.has_sfh) return NFS4ERR_RESTOREFH;
  cs.SetCurrentFh(cs.sfh);
  cs.cstateid = cs.sstateid;
  cs.has_cstateid = cs.has_sstateid;
  return NFS4_OK;
}

nfsstat4 Lookup(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  std::string_view name = args.String(kMaxComponentWire);
  if (!args.ok()) return NFS4ERR_BADXDR;
  auto dir = CurrentAttr(cs);
  if (!dir) return ToStat(dir.error());
  if (nfsstat4 s = RequireDir(*dir); s != NFS4_OK) return s;
  if (nfsstat4 s = CheckComponent(name); s != NFS4_OK) return s;
  if (Status s = authz::MayLookup(cs.who, *dir); !s.ok()) return ToStat(s);
  auto e = cs.fs().Lookup(cs.cfh, name);
  if (!e) return ToStat(e.error());
  cs.SetCurrentFh(e->handle);
  ClearCurrentStateid(cs);
  return NFS4_OK;
}

nfsstat4 LookupP(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  auto dir = CurrentAttr(cs);
  if (!dir) return ToStat(dir.error());
  if (nfsstat4 s = RequireDir(*dir); s != NFS4_OK) return s;
  // RFC 8881 section 18.14.3: the root has no parent to go to. For an
  // access point that is its root directory: the jail's floor.
  if (cs.cfh == cs.root) return NFS4ERR_NOENT;
  if (Status s = authz::MayLookup(cs.who, *dir); !s.ok()) return ToStat(s);
  auto e = cs.fs().LookupParent(cs.cfh);
  if (!e) return ToStat(e.error());
  cs.SetCurrentFh(e->handle);
  ClearCurrentStateid(cs);
  return NFS4_OK;
}

}  // namespace elfs::nfs4::ops
