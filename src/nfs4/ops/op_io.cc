// Data operations (RFC 8881 sections 18.3, 18.22, 18.32; RFC 7862 section
// 15.1).
#include "nfs4/ops/op_util.h"
#include "nfs4/ops/ops.h"

namespace elfs::nfs4::ops {

namespace {

constexpr uint32_t kMaxIo = 1u << 20;  // SPEC: 1 MiB rsize/wsize
constexpr uint64_t kMaxOffset = 0x7fffffffffffffffull;

// READ and WRITE work on regular files only (RFC 8881 section 18.22.3).
// 4.1 names the wrong types (SYMLINK, WRONG_TYPE); 4.0 has only INVAL.
nfsstat4 RequireRegular(const CompoundState& cs, const vfs::Attr& a) {
  if (a.type == vfs::FileType::kRegular) return NFS4_OK;
  if (a.type == vfs::FileType::kDirectory) return NFS4ERR_ISDIR;
  if (cs.minorversion == 0) return NFS4ERR_INVAL;
  return a.type == vfs::FileType::kSymlink ? NFS4ERR_SYMLINK : NFS4ERR_WRONG_TYPE;
}

// Validates the stateid, and for the special (anonymous) stateids the
// permission bits: an open stateid was checked by OPEN, and like an open
// file descriptor keeps its access after a later chmod.
nfsstat4 CheckIo(CompoundState& cs, state::Stateid sid, const vfs::Attr& attr, bool write) {
  if (!cs.ResolveStateid(sid)) return NFS4ERR_BAD_STATEID;
  auto check = cs.server.state().CheckIoStateid(cs.minorversion, cs.session_clientid(), sid,
                                                StateFile(cs), write);
  if (!check) return check.error();
  // The caller's own permission is checked on every READ and WRITE, also
  // under an open's stateid, as Linux's server does (nfs4_check_file): a
  // stateid is no capability, and another user presenting one (pynfs
  // WRT19) is refused. The file's owner passes regardless of the mode, so
  // a file created read-only can still be written through its open.
  Status s = authz::CheckAccess(cs.who, attr, write ? authz::kWrite : authz::kRead,
                                authz::Relax{.owner_override = true, .read_if_exec = true});
  if (!s.ok()) return ToStat(s);
  return NFS4_OK;
}

}  // namespace

nfsstat4 Read(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  state::Stateid sid;
  DecodeStateid(args, sid);
  uint64_t offset = args.U64();
  uint32_t count = args.U32();
  if (!args.ok()) return NFS4ERR_BADXDR;
  auto attr = CurrentAttr(cs);
  if (!attr) return ToStat(attr.error());
  if (nfsstat4 s = RequireRegular(cs, *attr); s != NFS4_OK) return s;
  if (nfsstat4 s = CheckIo(cs, sid, *attr, false); s != NFS4_OK) return s;

  count = std::min(count, kMaxIo);
  if (offset >= attr->size) count = 0;
  const size_t eof_at = res.Reserve32();
  const size_t len_at = res.Reserve32();
  // Read straight into the reply buffer: no intermediate copy.
  auto raw = res.AppendRaw(count);
  vfs::ReadResult r;
  if (count > 0) {
    auto got = cs.fs().Read(cs.cfh, offset, raw);
    if (!got) return ToStat(got.error());
    r = *got;
  } else {
    r.eof = offset >= attr->size;
  }
  res.ShrinkRaw(raw, r.count);
  res.Patch32(eof_at, r.eof ? 1 : 0);
  res.Patch32(len_at, static_cast<uint32_t>(r.count));
  return NFS4_OK;
}

nfsstat4 Write(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  state::Stateid sid;
  DecodeStateid(args, sid);
  uint64_t offset = args.U64();
  uint32_t stable = args.U32();
  // The payload stays in the request buffer until the backend writes it.
  auto data = args.Opaque(kMaxIo);
  if (!args.ok() || stable > FILE_SYNC4) return NFS4ERR_BADXDR;
  auto attr = CurrentAttr(cs);
  if (!attr) return ToStat(attr.error());
  if (nfsstat4 s = RequireRegular(cs, *attr); s != NFS4_OK) return s;
  if (offset > kMaxOffset || data.size() > kMaxOffset - offset) return NFS4ERR_FBIG;
  if (nfsstat4 s = CheckIo(cs, sid, *attr, true); s != NFS4_OK) return s;

  auto w = cs.fs().Write(cs.cfh, offset, data, static_cast<vfs::Stability>(stable));
  if (!w) return ToStat(w.error());
  if (auto kill = authz::KillPrivAfterWrite(cs.who, *attr)) (void)cs.fs().SetAttr(cs.cfh, *kill);
  res.U32(static_cast<uint32_t>(w->count));
  res.U32(static_cast<uint32_t>(w->committed));
  res.FixedOpaque(cs.server.write_verifier());
  return NFS4_OK;
}

nfsstat4 Commit(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  uint64_t offset = args.U64();
  uint32_t count = args.U32();
  if (!args.ok()) return NFS4ERR_BADXDR;
  auto attr = CurrentAttr(cs);
  if (!attr) return ToStat(attr.error());
  if (nfsstat4 s = RequireRegular(cs, *attr); s != NFS4_OK) return s;
  if (offset > ~uint64_t{0} - count) return NFS4ERR_INVAL;
  if (Status s = cs.fs().Commit(cs.cfh, offset, count); !s.ok()) return ToStat(s);
  res.FixedOpaque(cs.server.write_verifier());
  return NFS4_OK;
}

// RFC 7862 section 15.1: reserve the range's blocks so later WRITEs there
// cannot fail for lack of space; the size grows if the range ends past it.
nfsstat4 Allocate(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder&) {
  state::Stateid sid;
  DecodeStateid(args, sid);
  uint64_t offset = args.U64();
  uint64_t length = args.U64();
  if (!args.ok()) return NFS4ERR_BADXDR;
  auto attr = CurrentAttr(cs);
  if (!attr) return ToStat(attr.error());
  if (nfsstat4 s = RequireRegular(cs, *attr); s != NFS4_OK) return s;
  if (length == 0) return NFS4ERR_INVAL;
  if (offset > kMaxOffset || length > kMaxOffset - offset) return NFS4ERR_FBIG;
  if (nfsstat4 s = CheckIo(cs, sid, *attr, true); s != NFS4_OK) return s;
  if (Status s = cs.fs().Allocate(cs.cfh, offset, length); !s.ok()) return ToStat(s);
  return NFS4_OK;
}

}  // namespace elfs::nfs4::ops
