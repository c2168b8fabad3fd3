#include "nfs4/ops/op_util.h"

#include <cstring>

namespace elfs::nfs4::ops {

nfsstat4 DecodeFh(CompoundState& cs, xdr::XdrDecoder& args, vfs::Handle& out) {
  auto wire = args.Opaque(NFS4_FHSIZE);
  if (!args.ok()) return NFS4ERR_BADXDR;
  auto fh = cs.server.fh_codec().Decode(wire);
  if (!fh) return NFS4ERR_BADHANDLE;
  // A handle of another file system is not served by this mount target.
  if (fh->fs_id != cs.exp.id) return NFS4ERR_STALE;
  // A connection jailed in an access point takes only handles given out
  // under the same root: anything else is outside its file system.
  if (cs.jail != 0 && fh->jail != cs.jail) return NFS4ERR_STALE;
  out = fh->handle;
  return NFS4_OK;
}

bool DecodeStateid(xdr::XdrDecoder& args, state::Stateid& out) {
  out.seqid = args.U32();
  auto other = args.FixedOpaque(NFS4_OTHER_SIZE);
  if (!args.ok()) return false;
  std::memcpy(out.other.data(), other.data(), NFS4_OTHER_SIZE);
  return true;
}

void EncodeStateid(xdr::XdrEncoder& res, const state::Stateid& sid) {
  res.U32(sid.seqid);
  res.FixedOpaque(sid.other);
}

nfsstat4 CheckComponent(std::string_view name) {
  if (name.empty()) return NFS4ERR_INVAL;
  Status s = vfs::ValidateName(name);
  return s.ok() ? NFS4_OK : ToNfsStat(s);
}

nfsstat4 RequireDir(const vfs::Attr& a) {
  if (a.type == vfs::FileType::kDirectory) return NFS4_OK;
  if (a.type == vfs::FileType::kSymlink) return NFS4ERR_SYMLINK;
  return NFS4ERR_NOTDIR;
}

AttrSource MakeAttrSource(CompoundState& cs, const vfs::Attr& attr, const WireHandle& wire) {
  AttrSource src;
  src.attr = &attr;
  src.wire_handle = wire.span();
  src.fsid_major = cs.exp.fsid_major;
  src.fsid_minor = cs.exp.fsid_minor;
  src.lease_seconds = cs.server.lease_seconds();
  src.minorversion = cs.minorversion;
  src.mounted_on_fileid = attr.fileid;
  vfs::FileSystem* fs = cs.exp.fs.get();
  src.stats = [fs] { return fs->StatFs(); };
  return src;
}

void EncodeAttrs(CompoundState& cs, xdr::XdrEncoder& res, const Bitmap& requested,
                 const vfs::Handle& h, const vfs::Attr& attr) {
  WireHandle wire;
  if (requested.Has(FATTR4_FILEHANDLE)) wire = cs.server.fh_codec().Encode({cs.exp.id, h, cs.jail});
  EncodeFattr(res, requested, MakeAttrSource(cs, attr, wire));
}

}  // namespace elfs::nfs4::ops
