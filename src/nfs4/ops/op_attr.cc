// Attribute operations (RFC 8881 sections 18.1, 18.7, 18.15, 18.30, 18.31).
#include <cstring>

#include "nfs4/ops/op_util.h"
#include "nfs4/ops/ops.h"

namespace elfs::nfs4::ops {

nfsstat4 GetAttr(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  Bitmap requested;
  requested.Decode(args);
  if (!args.ok()) return NFS4ERR_BADXDR;
  if (requested.Has(FATTR4_TIME_ACCESS_SET) || requested.Has(FATTR4_TIME_MODIFY_SET))
    return NFS4ERR_INVAL;  // write-only attributes (RFC 8881 section 5.5)
  auto attr = CurrentAttr(cs);
  if (!attr) return ToStat(attr.error());
  EncodeAttrs(cs, res, requested, cs.cfh, *attr);
  return NFS4_OK;
}

nfsstat4 SetAttr(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  // On failure the dispatcher answers with an empty attrsset (kBitmapOnError).
  state::Stateid sid;
  DecodeStateid(args, sid);
  SetAttrRequest req;
  nfsstat4 st = DecodeSettable(args, cs.minorversion, req);
  if (!args.ok()) return NFS4ERR_BADXDR;
  if (st != NFS4_OK) return st;

  auto attr = CurrentAttr(cs);
  if (!attr) return ToStat(attr.error());
  if (req.set.size) {
    if (!cs.ResolveStateid(sid)) return NFS4ERR_BAD_STATEID;
    auto check = cs.server.state().CheckIoStateid(cs.minorversion, cs.session_clientid(), sid,
                                                  StateFile(cs), true);
    if (!check) return check.error();
  }
  auto apply = authz::CheckSetAttr(cs.who, *attr, req.set);
  if (!apply) return ToStat(apply.error());
  if (!apply->empty()) {
    auto after = cs.fs().SetAttr(cs.cfh, *apply);
    if (!after) return ToStat(after.error());
  }
  req.bits.Encode(res);
  return NFS4_OK;
}

namespace {

// VERIFY and NVERIFY: compare the client's attribute values with ours,
// byte for byte in their XDR form (RFC 8881 section 18.31.3).
nfsstat4 CompareAttrs(CompoundState& cs, xdr::XdrDecoder& args, bool& same) {
  Bitmap bits;
  bits.Decode(args);
  auto theirs = args.Opaque(1u << 20);
  if (!args.ok()) return NFS4ERR_BADXDR;
  if (bits.has_unknown_bits() || !bits.SubsetOf(SupportedAttrs(cs.minorversion)))
    return NFS4ERR_ATTRNOTSUPP;
  if (bits.Has(FATTR4_RDATTR_ERROR) || bits.Has(FATTR4_TIME_ACCESS_SET) ||
      bits.Has(FATTR4_TIME_MODIFY_SET))
    return NFS4ERR_INVAL;
  auto attr = CurrentAttr(cs);
  if (!attr) return ToStat(attr.error());
  xdr::Buffer mine;
  xdr::XdrEncoder e(mine);
  WireHandle wire;
  if (bits.Has(FATTR4_FILEHANDLE)) wire = cs.server.fh_codec().Encode(cs.current_fh());
  EncodeAttrValues(e, bits, MakeAttrSource(cs, *attr, wire));
  same = mine.size() == theirs.size() &&
         (mine.empty() || std::memcmp(mine.data(), theirs.data(), mine.size()) == 0);
  return NFS4_OK;
}

}  // namespace

nfsstat4 Verify(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  bool same = false;
  if (nfsstat4 s = CompareAttrs(cs, args, same); s != NFS4_OK) return s;
  return same ? NFS4_OK : NFS4ERR_NOT_SAME;
}

nfsstat4 NVerify(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  bool same = false;
  if (nfsstat4 s = CompareAttrs(cs, args, same); s != NFS4_OK) return s;
  return same ? NFS4ERR_SAME : NFS4_OK;
}

nfsstat4 Access(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  uint32_t requested = args.U32();
  if (!args.ok()) return NFS4ERR_BADXDR;
  auto attr = CurrentAttr(cs);
  if (!attr) return ToStat(attr.error());
  res.U32(authz::Nfs4AccessSupported(attr->type, requested));
  uint32_t granted = authz::Nfs4Access(cs.who, *attr, requested);
  // Without ClientWrite nothing may be changed, whatever the mode bits say.
  if (cs.read_only)
    granted &= ~(authz::kAccess4Modify | authz::kAccess4Extend | authz::kAccess4Delete);
  res.U32(granted);
  return NFS4_OK;
}

}  // namespace elfs::nfs4::ops
