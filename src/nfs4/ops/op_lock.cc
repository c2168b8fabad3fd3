// Byte-range locks: LOCK, LOCKT, LOCKU (RFC 8881 sections 18.10-18.12). The
// lock state itself lives in state::StateManager.
#include "nfs4/ops/op_util.h"
#include "nfs4/ops/ops.h"

namespace elfs::nfs4::ops {

namespace {

nfsstat4 RequireLockable(CompoundState& cs) {
  auto attr = CurrentAttr(cs);
  if (!attr) return ToStat(attr.error());
  if (attr->type == vfs::FileType::kDirectory) return NFS4ERR_ISDIR;
  if (attr->type != vfs::FileType::kRegular) return NFS4ERR_INVAL;
  return NFS4_OK;
}

void EncodeDenied(CompoundState& cs, xdr::XdrEncoder& res, const state::LockDenied& d) {
  cs.keep_error_body = true;
  res.U64(d.offset);
  res.U64(d.length);
  res.U32(d.locktype);
  res.U64(d.clientid);
  res.String(d.owner);
}

bool ValidLockType(uint32_t t) { return t >= READ_LT && t <= WRITEW_LT; }
bool IsWrite(uint32_t t) { return t == WRITE_LT || t == WRITEW_LT; }

}  // namespace

nfsstat4 Lock(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  state::LockArgs a;
  a.minorversion = cs.minorversion;
  uint32_t locktype = args.U32();
  bool reclaim = args.Bool();
  a.offset = args.U64();
  a.length = args.U64();
  a.new_lock_owner = args.Bool();
  if (a.new_lock_owner) {
    a.open_seqid = args.U32();
    DecodeStateid(args, a.open_stateid);
    a.lock_seqid = args.U32();
    a.owner_clientid = args.U64();
    a.owner = args.Opaque(NFS4_OPAQUE_LIMIT);
  } else {
    DecodeStateid(args, a.lock_stateid);
    a.lock_seqid = args.U32();
  }
  if (!args.ok()) return NFS4ERR_BADXDR;
  if (!ValidLockType(locktype)) return NFS4ERR_INVAL;
  a.write = IsWrite(locktype);
  a.reclaim = reclaim;
  if (nfsstat4 s = RequireLockable(cs); s != NFS4_OK) return s;
  if (cs.minorversion >= 1) {
    if (!cs.ResolveStateid(a.new_lock_owner ? a.open_stateid : a.lock_stateid))
      return NFS4ERR_BAD_STATEID;
    a.owner_clientid = cs.session_clientid();
  }
  state::LockDenied denied;
  auto r = cs.server.state().Lock(a, StateFile(cs), &denied, &cs.seqid_op);
  if (cs.seqid_op.replay) return NFS4_OK;  // the dispatcher answers from the cache
  if (!r) {
    if (r.error() == NFS4ERR_DENIED) EncodeDenied(cs, res, denied);
    return r.error();
  }
  cs.SetCurrentStateid(*r);
  EncodeStateid(res, *r);
  return NFS4_OK;
}

nfsstat4 LockT(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  uint32_t locktype = args.U32();
  uint64_t offset = args.U64();
  uint64_t length = args.U64();
  uint64_t clientid = args.U64();
  auto owner = args.Opaque(NFS4_OPAQUE_LIMIT);
  if (!args.ok()) return NFS4ERR_BADXDR;
  if (!ValidLockType(locktype)) return NFS4ERR_INVAL;
  if (nfsstat4 s = RequireLockable(cs); s != NFS4_OK) return s;
  if (cs.minorversion >= 1) clientid = cs.session_clientid();
  // RFC 7530 section 16.11.5: LOCKT too waits for the grace period, whose
  // reclaims may yet create conflicting locks.
  if (cs.server.state().InGrace()) return NFS4ERR_GRACE;
  state::LockDenied denied;
  nfsstat4 s = cs.server.state().LockTest(clientid, owner, StateFile(cs), IsWrite(locktype),
                                          offset, length, &denied);
  if (s == NFS4ERR_DENIED) EncodeDenied(cs, res, denied);
  return s;
}

nfsstat4 LockU(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  uint32_t locktype = args.U32();
  uint32_t seqid = args.U32();
  state::Stateid sid;
  DecodeStateid(args, sid);
  uint64_t offset = args.U64();
  uint64_t length = args.U64();
  if (!args.ok()) return NFS4ERR_BADXDR;
  if (!ValidLockType(locktype)) return NFS4ERR_INVAL;
  if (nfsstat4 s = RequireLockable(cs); s != NFS4_OK) return s;
  if (!cs.ResolveStateid(sid)) return NFS4ERR_BAD_STATEID;
  state::Stateid out;
  nfsstat4 s = cs.server.state().Unlock(cs.minorversion, cs.session_clientid(), sid, seqid,
                                        StateFile(cs), offset, length, &cs.seqid_op, &out);
  if (s != NFS4_OK || cs.seqid_op.replay) return s;
  cs.SetCurrentStateid(out);
  EncodeStateid(res, out);
  return NFS4_OK;
}

}  // namespace elfs::nfs4::ops
