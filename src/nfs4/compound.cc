#include "nfs4/compound.h"

#include <array>

#include <spdlog/spdlog.h>

#include "nfs4/attrs.h"
#include "nfs4/ops/ops.h"

namespace elfs::nfs4 {

namespace {

// Upper bound on operations in one COMPOUND without a session (4.0); 4.1
// sessions negotiate ca_maxoperations.
constexpr uint32_t kMaxOps40 = 256;

constexpr std::array<OpDescriptor, kMaxOpnum + 1> MakeTable() {
  std::array<OpDescriptor, kMaxOpnum + 1> t{};
  auto op = [&t](nfs_opnum4 n, const char* name, OpHandler h, uint32_t flags,
                 uint32_t min_minor = 0, uint32_t max_minor = 2) {
    t[n] = OpDescriptor{name, h, flags, min_minor, max_minor};
  };
  using namespace ops;
  op(OP_ACCESS, "ACCESS", Access, kNeedsFh);
  op(OP_CLOSE, "CLOSE", Close, kNeedsFh);
  op(OP_COMMIT, "COMMIT", Commit, kNeedsFh | kModifies | kAllowedReadOnly);
  op(OP_CREATE, "CREATE", Create, kNeedsFh | kModifies);
  op(OP_DELEGPURGE, "DELEGPURGE", NotSupported, 0);
  op(OP_DELEGRETURN, "DELEGRETURN", NotSupported, kNeedsFh);
  op(OP_GETATTR, "GETATTR", GetAttr, kNeedsFh);
  op(OP_GETFH, "GETFH", GetFh, kNeedsFh);
  op(OP_LINK, "LINK", Link, kNeedsFh | kModifies);
  op(OP_LOCK, "LOCK", Lock, kNeedsFh);
  op(OP_LOCKT, "LOCKT", LockT, kNeedsFh);
  op(OP_LOCKU, "LOCKU", LockU, kNeedsFh);
  op(OP_LOOKUP, "LOOKUP", Lookup, kNeedsFh);
  op(OP_LOOKUPP, "LOOKUPP", LookupP, kNeedsFh);
  op(OP_NVERIFY, "NVERIFY", NVerify, kNeedsFh);
  op(OP_OPEN, "OPEN", Open, kNeedsFh);
  op(OP_OPENATTR, "OPENATTR", NotSupported, kNeedsFh);
  op(OP_OPEN_CONFIRM, "OPEN_CONFIRM", OpenConfirm, kNeedsFh, 0, 0);
  op(OP_OPEN_DOWNGRADE, "OPEN_DOWNGRADE", OpenDowngrade, kNeedsFh);
  op(OP_PUTFH, "PUTFH", PutFh, 0);
  op(OP_PUTPUBFH, "PUTPUBFH", PutPubFh, 0);
  op(OP_PUTROOTFH, "PUTROOTFH", PutRootFh, 0);
  op(OP_READ, "READ", Read, kNeedsFh);
  op(OP_READDIR, "READDIR", ReadDir, kNeedsFh);
  op(OP_READLINK, "READLINK", ReadLink, kNeedsFh);
  op(OP_REMOVE, "REMOVE", Remove, kNeedsFh | kModifies);
  op(OP_RENAME, "RENAME", Rename, kNeedsFh | kModifies);
  op(OP_RENEW, "RENEW", Renew, 0, 0, 0);
  op(OP_RESTOREFH, "RESTOREFH", RestoreFh, 0);
  op(OP_SAVEFH, "SAVEFH", SaveFh, kNeedsFh);
  op(OP_SECINFO, "SECINFO", SecInfo, kNeedsFh);
  op(OP_SETATTR, "SETATTR", SetAttr, kNeedsFh | kModifies | kBitmapOnError);
  op(OP_SETCLIENTID, "SETCLIENTID", SetClientId, 0, 0, 0);
  op(OP_SETCLIENTID_CONFIRM, "SETCLIENTID_CONFIRM", SetClientIdConfirm, 0, 0, 0);
  op(OP_VERIFY, "VERIFY", Verify, kNeedsFh);
  op(OP_WRITE, "WRITE", Write, kNeedsFh | kModifies);
  op(OP_RELEASE_LOCKOWNER, "RELEASE_LOCKOWNER", ReleaseLockOwner, 0, 0, 0);
  // NFSv4.1 (RFC 8881 section 18).
  op(OP_BACKCHANNEL_CTL, "BACKCHANNEL_CTL", BackchannelCtl, 0, 1);
  op(OP_BIND_CONN_TO_SESSION, "BIND_CONN_TO_SESSION", BindConnToSession,
     kOnlyOp41 | kNoSession41, 1);
  op(OP_EXCHANGE_ID, "EXCHANGE_ID", ExchangeId, kOnlyOp41 | kNoSession41, 1);
  op(OP_CREATE_SESSION, "CREATE_SESSION", CreateSession, kOnlyOp41 | kNoSession41, 1);
  op(OP_DESTROY_SESSION, "DESTROY_SESSION", DestroySession, kOnlyOp41 | kNoSession41, 1);
  op(OP_FREE_STATEID, "FREE_STATEID", FreeStateid, 0, 1);
  op(OP_GET_DIR_DELEGATION, "GET_DIR_DELEGATION", NotSupported, kNeedsFh, 1);
  op(OP_GETDEVICEINFO, "GETDEVICEINFO", NotSupported, 0, 1);
  op(OP_GETDEVICELIST, "GETDEVICELIST", NotSupported, kNeedsFh, 1);
  op(OP_LAYOUTCOMMIT, "LAYOUTCOMMIT", NotSupported, kNeedsFh, 1);
  op(OP_LAYOUTGET, "LAYOUTGET", NotSupported, kNeedsFh, 1);
  op(OP_LAYOUTRETURN, "LAYOUTRETURN", NotSupported, kNeedsFh, 1);
  op(OP_SECINFO_NO_NAME, "SECINFO_NO_NAME", SecInfoNoName, kNeedsFh, 1);
  op(OP_SEQUENCE, "SEQUENCE", Sequence, 0, 1);
  op(OP_SET_SSV, "SET_SSV", NotSupported, 0, 1);
  op(OP_TEST_STATEID, "TEST_STATEID", TestStateid, 0, 1);
  op(OP_WANT_DELEGATION, "WANT_DELEGATION", NotSupported, kNeedsFh, 1);
  op(OP_DESTROY_CLIENTID, "DESTROY_CLIENTID", DestroyClientId, kOnlyOp41 | kNoSession41, 1);
  op(OP_RECLAIM_COMPLETE, "RECLAIM_COMPLETE", ReclaimComplete, 0, 1);
  // NFSv4.2 (RFC 7862 section 15, RFC 8276 section 8.4), served only when
  // minor version 2 is enabled: ALLOCATE, and NOTSUPP for the rest (RFC
  // 7862 section 13 lets a server leave them out).
  op(OP_ALLOCATE, "ALLOCATE", Allocate, kNeedsFh | kModifies, 2);
  op(OP_COPY, "COPY", NotSupported, kNeedsFh, 2);
  op(OP_COPY_NOTIFY, "COPY_NOTIFY", NotSupported, kNeedsFh, 2);
  op(OP_DEALLOCATE, "DEALLOCATE", NotSupported, kNeedsFh, 2);
  op(OP_IO_ADVISE, "IO_ADVISE", NotSupported, kNeedsFh, 2);
  op(OP_LAYOUTERROR, "LAYOUTERROR", NotSupported, kNeedsFh, 2);
  op(OP_LAYOUTSTATS, "LAYOUTSTATS", NotSupported, kNeedsFh, 2);
  op(OP_OFFLOAD_CANCEL, "OFFLOAD_CANCEL", NotSupported, kNeedsFh, 2);
  op(OP_OFFLOAD_STATUS, "OFFLOAD_STATUS", NotSupported, kNeedsFh, 2);
  op(OP_READ_PLUS, "READ_PLUS", NotSupported, kNeedsFh, 2);
  op(OP_SEEK, "SEEK", NotSupported, kNeedsFh, 2);
  op(OP_WRITE_SAME, "WRITE_SAME", NotSupported, kNeedsFh, 2);
  op(OP_CLONE, "CLONE", NotSupported, kNeedsFh, 2);
  op(OP_GETXATTR, "GETXATTR", NotSupported, kNeedsFh, 2);
  op(OP_SETXATTR, "SETXATTR", NotSupported, kNeedsFh, 2);
  op(OP_LISTXATTRS, "LISTXATTRS", NotSupported, kNeedsFh, 2);
  op(OP_REMOVEXATTR, "REMOVEXATTR", NotSupported, kNeedsFh, 2);
  return t;
}

constexpr std::array<OpDescriptor, kMaxOpnum + 1> kOps = MakeTable();

// The checks every operation gets before its handler (RFC 8881 sections
// 2.10.6.1, 16.2.3, 18.46.3).
nfsstat4 Admit(const CompoundState& cs, uint32_t index, uint32_t nops, uint32_t opnum,
               const OpDescriptor* d) {
  if (!d) return NFS4ERR_OP_ILLEGAL;
  if (cs.minorversion < d->min_minor) return NFS4ERR_OP_ILLEGAL;
  if (cs.minorversion > d->max_minor) return NFS4ERR_NOTSUPP;
  if (cs.minorversion >= 1) {
    if (index == 0) {
      if (opnum != OP_SEQUENCE && !(d->flags & kNoSession41)) return NFS4ERR_OP_NOT_IN_SESSION;
      if ((d->flags & kOnlyOp41) && nops != 1) return NFS4ERR_NOT_ONLY_OP;
    } else if (opnum == OP_SEQUENCE) {
      return NFS4ERR_SEQUENCE_POS;
    } else if (!cs.session && (d->flags & kNoSession41) == 0) {
      return NFS4ERR_OP_NOT_IN_SESSION;
    }
  }
  if ((d->flags & kNeedsFh) && !cs.has_cfh) return NFS4ERR_NOFILEHANDLE;
  // No ClientWrite: as a read-only export (knfsd answers EROFS). OPEN
  // decides for itself (only a create or write access modifies).
  if (cs.read_only && (d->flags & kModifies) && !(d->flags & kAllowedReadOnly))
    return NFS4ERR_ROFS;
  return NFS4_OK;
}

// RFC 8881 section 18.46.3: the reply so far must fit what the session
// negotiated, and what the client asked to cache must fit the cache.
nfsstat4 CheckReplySize(const CompoundState& cs, size_t reply_bytes) {
  // The closing words of the reply are already counted by the op status.
  if (reply_bytes > cs.session->fore.maxresponsesize) return NFS4ERR_REP_TOO_BIG;
  if (cs.cachethis && reply_bytes > cs.session->fore.maxresponsesize_cached)
    return NFS4ERR_REP_TOO_BIG_TO_CACHE;
  return NFS4_OK;
}

}  // namespace

const OpDescriptor* FindOp(uint32_t opnum) {
  if (opnum >= kOps.size() || kOps[opnum].handler == nullptr) return nullptr;
  return &kOps[opnum];
}

bool ProcessCompound(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  const size_t start = res.size();
  cs.request_size = args.remaining();
  std::string_view tag = args.String(NFS4_OPAQUE_LIMIT);
  uint32_t minorversion = args.U32();
  uint32_t nops = args.U32();
  if (!args.ok()) return false;

  const size_t status_at = res.Reserve32();
  res.String(tag);
  const size_t count_at = res.Reserve32();
  if (minorversion > cs.server.max_minor_version()) {
    // RFC 8881 section 16.2.3: an empty result array.
    res.Patch32(status_at, NFS4ERR_MINOR_VERS_MISMATCH);
    return true;
  }
  cs.minorversion = minorversion;
  cs.ops_total = nops;

  nfsstat4 status = NFS4_OK;
  uint32_t done = 0;
  if (minorversion == 0 && nops > kMaxOps40) {
    status = NFS4ERR_RESOURCE;
    nops = 0;
  }
  for (uint32_t i = 0; i < nops; ++i) {
    uint32_t opnum = args.U32();
    if (!args.ok()) {
      // RFC 8881 section 15.1.1.3: the op array ended early.
      res.U32(OP_ILLEGAL);
      res.U32(NFS4ERR_BADXDR);
      status = NFS4ERR_BADXDR;
      ++done;
      break;
    }
    const OpDescriptor* d = FindOp(opnum);
    cs.keep_error_body = false;
    cs.seqid_op = {};
    status = Admit(cs, i, nops, opnum, d);
    // An op this minor version does not define is answered as OP_ILLEGAL
    // (RFC 7530 section 15.2; RFC 8881 section 16.2.3).
    res.U32(status == NFS4ERR_OP_ILLEGAL ? OP_ILLEGAL : opnum);
    const size_t op_status_at = res.Reserve32();
    const size_t body_at = res.size();
    if (status == NFS4_OK) {
      if (d->flags & kModifies) cs.modified = true;
      status = d->handler(cs, args, res);
      if (status == NFS4_OK && !args.ok()) status = NFS4ERR_BADXDR;
    }
    if (cs.replay) {
      // RFC 8881 section 2.10.6.1.3: a retransmission gets the cached reply.
      res.Truncate(start);
      res.buffer().insert(res.buffer().end(), cs.replay->begin(), cs.replay->end());
      return true;
    }
    if (cs.seqid_op.replay) {
      // RFC 7530 section 9.1.8: a retransmission of the owner's last
      // request gets the reply it had, byte for byte.
      const state::OwnerReply& r = *cs.seqid_op.replay;
      res.Truncate(body_at);
      res.buffer().insert(res.buffer().end(), r.body.begin(), r.body.end());
      status = r.status;
      cs.keep_error_body = true;
      if (r.cfh) cs.SetCurrentFh(*r.cfh);
    }
    if (status == NFS4_OK && cs.session) status = CheckReplySize(cs, res.size() - start);
    ++done;
    res.Patch32(op_status_at, status);
    if (status != NFS4_OK && !cs.keep_error_body) res.Truncate(body_at);
    if (cs.seqid_op.save_for) {
      const auto& buf = res.buffer();
      std::optional<vfs::Handle> cfh;
      if (status == NFS4_OK && cs.has_cfh) cfh = cs.cfh;
      cs.server.state().SaveOwnerReply(*cs.seqid_op.save_for, opnum, status,
                                       {buf.data() + body_at, buf.size() - body_at}, cfh);
    }
    if (status != NFS4_OK) {
      // RFC 8881 section 18.30.2: SETATTR4res always carries attrsset.
      if (d && (d->flags & kBitmapOnError)) Bitmap().Encode(res);
      SPDLOG_DEBUG("nfs4 {} -> {}", d ? d->name : "ILLEGAL", static_cast<uint32_t>(status));
      break;
    }
  }
  res.Patch32(count_at, done);
  res.Patch32(status_at, status);
  if (cs.session) {
    // Release the slot SEQUENCE claimed, caching the reply if asked.
    const auto& buf = res.buffer();
    cs.server.state().EndSequence(*cs.session, cs.slotid, cs.cachethis,
                                  {buf.data() + start, buf.size() - start});
  }
  return true;
}

}  // namespace elfs::nfs4
