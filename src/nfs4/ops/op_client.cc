// Client ids, sessions and stateid management: NFSv4.0 (RFC 7530 sections
// 16.29, 16.33, 16.34, 16.37) and NFSv4.1 (RFC 8881 sections 18.34-18.38,
// 18.46, 18.48, 18.50, 18.51). The protocol state itself lives in
// state::StateManager; these handlers translate the wire.
#include <cstring>
#include <optional>
#include <string>

#include "nfs4/ops/op_util.h"
#include "rpc/wire.h"
#include "nfs4/ops/ops.h"

namespace elfs::nfs4::ops {

namespace {

state::Verifier ToVerifier(std::span<const uint8_t> v) {
  state::Verifier out{};
  if (v.size() == out.size()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

bool DecodeSessionId(xdr::XdrDecoder& d, state::SessionId& out) {
  auto b = d.FixedOpaque(NFS4_SESSIONID_SIZE);
  if (!d.ok()) return false;
  std::memcpy(out.data(), b.data(), out.size());
  return true;
}

void DecodeChannelAttrs(xdr::XdrDecoder& d, state::ChannelAttrs& a) {
  a.headerpadsize = d.U32();
  a.maxrequestsize = d.U32();
  a.maxresponsesize = d.U32();
  a.maxresponsesize_cached = d.U32();
  a.maxoperations = d.U32();
  a.maxrequests = d.U32();
  uint32_t n = d.ArrayLength(1);
  a.has_rdma_ird = n == 1;
  if (n == 1) a.rdma_ird = d.U32();
}

void EncodeChannelAttrs(xdr::XdrEncoder& e, const state::ChannelAttrs& a) {
  e.U32(a.headerpadsize);
  e.U32(a.maxrequestsize);
  e.U32(a.maxresponsesize);
  e.U32(a.maxresponsesize_cached);
  e.U32(a.maxoperations);
  e.U32(a.maxrequests);
  e.U32(0);  // no RDMA
}

// The server owner and scope name this export: two mount targets of
// different file systems must not look like one server, or a client would
// trunk them onto one connection (RFC 8881 section 2.10.5).
std::string ServerMajorId(const CompoundState& cs) { return "elfs:" + std::to_string(cs.exp.id); }

}  // namespace

// ---- NFSv4.0 ----

nfsstat4 SetClientId(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  auto verifier = args.FixedOpaque(NFS4_VERIFIER_SIZE);
  auto id = args.Opaque(NFS4_OPAQUE_LIMIT);
  args.U32();                        // cb_program
  args.String(NFS4_OPAQUE_LIMIT);    // r_netid
  args.String(NFS4_OPAQUE_LIMIT);    // r_addr
  args.U32();                        // callback_ident
  if (!args.ok()) return NFS4ERR_BADXDR;
  // No delegations are granted, so the callback path is never used.
  auto r = cs.server.state().SetClientId(ToVerifier(verifier), id, cs.principal);
  if (!r) {
    if (r.error() == NFS4ERR_CLID_INUSE) {
      cs.keep_error_body = true;
      res.String("tcp");  // clientaddr4 of the holder: not disclosed
      res.String("0.0.0.0.0.0");
    }
    return r.error();
  }
  res.U64(r->clientid);
  res.FixedOpaque(r->confirm);
  return NFS4_OK;
}

nfsstat4 SetClientIdConfirm(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  uint64_t clientid = args.U64();
  auto confirm = args.FixedOpaque(NFS4_VERIFIER_SIZE);
  if (!args.ok()) return NFS4ERR_BADXDR;
  return cs.server.state().SetClientIdConfirm(clientid, ToVerifier(confirm), cs.principal);
}

nfsstat4 Renew(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  uint64_t clientid = args.U64();
  if (!args.ok()) return NFS4ERR_BADXDR;
  return cs.server.state().Renew(clientid);
}

nfsstat4 ReleaseLockOwner(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  uint64_t clientid = args.U64();
  auto owner = args.Opaque(NFS4_OPAQUE_LIMIT);
  if (!args.ok()) return NFS4ERR_BADXDR;
  return cs.server.state().ReleaseLockOwner(clientid, owner);
}

// ---- NFSv4.1 ----

nfsstat4 ExchangeId(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  auto verifier = args.FixedOpaque(NFS4_VERIFIER_SIZE);
  auto owner = args.Opaque(NFS4_OPAQUE_LIMIT);
  uint32_t flags = args.U32();
  uint32_t how = args.U32();
  if (how == SP4_MACH_CRED) {
    Bitmap must_enforce, must_allow;
    must_enforce.Decode(args);
    must_allow.Decode(args);
  } else if (how == SP4_SSV) {
    Bitmap must_enforce, must_allow;
    must_enforce.Decode(args);
    must_allow.Decode(args);
    uint32_t n = args.ArrayLength(16);
    for (uint32_t i = 0; i < n; ++i) args.Opaque(NFS4_OPAQUE_LIMIT);
    n = args.ArrayLength(16);
    for (uint32_t i = 0; i < n; ++i) args.Opaque(NFS4_OPAQUE_LIMIT);
    args.U32();
    args.U32();
  } else if (how != SP4_NONE) {
    args.Fail();
  }
  uint32_t nimpl = args.ArrayLength(1);
  if (nimpl == 1) {
    args.String(NFS4_OPAQUE_LIMIT);  // nii_domain
    args.String(NFS4_OPAQUE_LIMIT);  // nii_name
    args.I64();                      // nii_date
    args.U32();
  }
  if (!args.ok()) return NFS4ERR_BADXDR;
  // RFC 8881 section 18.35.3: a client may not set server-only flags.
  const uint32_t client_flags = EXCHGID4_FLAG_SUPP_MOVED_REFER | EXCHGID4_FLAG_SUPP_MOVED_MIGR |
                                EXCHGID4_FLAG_BIND_PRINC_STATEID | EXCHGID4_FLAG_MASK_PNFS |
                                EXCHGID4_FLAG_UPD_CONFIRMED_REC_A;
  if (flags & ~client_flags) return NFS4ERR_INVAL;
  // Only SP4_NONE: AUTH_SYS clients (Linux asks MACH_CRED only with krb5).
  if (how != SP4_NONE) return NFS4ERR_NOTSUPP;

  auto r = cs.server.state().ExchangeId(ToVerifier(verifier), owner, flags, cs.principal);
  if (!r) return r.error();
  res.U64(r->clientid);
  res.U32(r->sequenceid);
  res.U32(r->flags);
  res.U32(SP4_NONE);
  std::string major = ServerMajorId(cs);
  res.U64(0);  // so_minor_id
  res.String(major);
  res.String(major);  // server scope
  res.U32(1);         // one nfs_impl_id4
  res.String("elfs");
  res.String("elfs NFSv4 server");
  res.I64(0);
  res.U32(0);
  return NFS4_OK;
}

namespace {

// The credential callbacks carry: the first AUTH_NONE or AUTH_SYS entry of
// a callback_sec_parms4 array (RFC 8881 section 18.36.1); no flavor if
// there is none (RPCSEC_GSS is not served).
struct CallbackCredential {
  std::optional<uint32_t> flavor;
  std::vector<uint8_t> body;  // the AUTH_SYS body, encoded
};

CallbackCredential DecodeCallbackSecParms(xdr::XdrDecoder& args) {
  CallbackCredential cb;
  uint32_t nsec = args.ArrayLength(16);
  for (uint32_t i = 0; i < nsec && args.ok(); ++i) {
    uint32_t flavor = args.U32();
    if (flavor == kAuthSys) {
      rpc::AuthSys sys;
      sys.stamp = args.U32();
      sys.machine_name = std::string(args.String(255));
      sys.uid = args.U32();
      sys.gid = args.U32();
      uint32_t ngids = args.ArrayLength(16);
      for (uint32_t g = 0; g < ngids && args.ok(); ++g) sys.gids.push_back(args.U32());
      if (!cb.flavor && args.ok()) {
        cb.flavor = kAuthSys;
        xdr::Buffer b;
        xdr::XdrEncoder e(b);
        rpc::EncodeAuthSys(sys, e);
        cb.body.assign(b.begin(), b.end());
      }
    } else if (flavor == rpc::kAuthNone) {
      if (!cb.flavor) cb.flavor = rpc::kAuthNone;
    } else if (flavor == kRpcsecGss) {
      args.U32();
      args.Opaque(NFS4_OPAQUE_LIMIT);
      args.Opaque(NFS4_OPAQUE_LIMIT);
    } else {
      args.Fail();  // not a callback_sec_parms4 arm
    }
  }
  return cb;
}

}  // namespace

nfsstat4 CreateSession(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  state::StateManager::CreateSessionArgs a;
  a.clientid = args.U64();
  a.sequence = args.U32();
  a.flags = args.U32();
  DecodeChannelAttrs(args, a.fore);
  DecodeChannelAttrs(args, a.back);
  a.cb_program = args.U32();
  CallbackCredential cb = DecodeCallbackSecParms(args);
  if (!args.ok()) return NFS4ERR_BADXDR;
  auto r = cs.server.state().CreateSession(a, cs.principal);
  if (!r) return r.error();
  // RFC 8881 section 18.36.3: the connection is bound to the new session,
  // for the back channel too if the client asked.
  if (auto session = cs.server.state().FindSession(r->sessionid)) {
    session->back_channel->Bind(cs.connection, true,
                                (r->flags & CREATE_SESSION4_FLAG_CONN_BACK_CHAN) != 0);
    if (cb.flavor) session->back_channel->SetSession(r->sessionid, *cb.flavor, std::move(cb.body));
  }
  res.FixedOpaque(r->sessionid);
  res.U32(r->sequence);
  res.U32(r->flags);
  EncodeChannelAttrs(res, r->fore);
  EncodeChannelAttrs(res, r->back);
  return NFS4_OK;
}

nfsstat4 DestroySession(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  state::SessionId id;
  if (!DecodeSessionId(args, id)) return NFS4ERR_BADXDR;
  return cs.server.state().DestroySession(id);
}

nfsstat4 DestroyClientId(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  uint64_t clientid = args.U64();
  if (!args.ok()) return NFS4ERR_BADXDR;
  return cs.server.state().DestroyClientId(clientid);
}

nfsstat4 Sequence(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  state::SessionId id;
  DecodeSessionId(args, id);
  uint32_t sequenceid = args.U32();
  uint32_t slotid = args.U32();
  uint32_t highest = args.U32();
  bool cachethis = args.Bool();
  if (!args.ok()) return NFS4ERR_BADXDR;
  auto r = cs.server.state().BeginSequence(id, sequenceid, slotid, highest);
  if (!r) return r.error();
  if (r->replay) {
    cs.replay = std::move(r->cached);
    return NFS4_OK;
  }
  nfsstat4 limit = NFS4_OK;
  if (cs.ops_total > r->session->fore.maxoperations) limit = NFS4ERR_TOO_MANY_OPS;
  if (cs.request_size > r->session->fore.maxrequestsize) limit = NFS4ERR_REQ_TOO_BIG;
  if (limit != NFS4_OK) {
    // Release the slot at once: nothing will run.
    cs.server.state().EndSequence(*r->session, slotid, false, {});
    return limit;
  }
  cs.session = r->session;
  cs.slotid = slotid;
  cs.cachethis = cachethis;
  // RFC 8881 section 2.10.3.1: without state protection (SP4_NONE) a
  // SEQUENCE on an unbound connection binds it to the fore channel.
  BackChannel& bc = *r->session->back_channel;
  bc.Bind(cs.connection, true, false);
  uint32_t flags = r->status_flags | bc.StatusFlags();
  if (flags & SEQ4_STATUS_CB_PATH_DOWN_SESSION) {
    // SEQ4_STATUS_CB_PATH_DOWN: no session of the client has a back channel
    // that works or is being probed.
    bool any = false;
    for (const auto& other : cs.server.state().SessionsOf(r->session->clientid))
      if (other != r->session && other->back_channel->path() != BackChannel::Path::kDown)
        any = true;
    if (!any) flags |= SEQ4_STATUS_CB_PATH_DOWN;
  }
  res.FixedOpaque(id);
  res.U32(sequenceid);
  res.U32(slotid);
  res.U32(r->highest_slotid);
  res.U32(r->target_highest_slotid);
  res.U32(flags);
  return NFS4_OK;
}

nfsstat4 ReclaimComplete(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  bool one_fs = args.Bool();
  if (!args.ok()) return NFS4ERR_BADXDR;
  // rca_one_fs: per file system reclaim; nothing to track per fs here.
  if (one_fs) return NFS4_OK;
  return cs.server.state().ReclaimComplete(cs.session_clientid());
}

nfsstat4 BindConnToSession(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  state::SessionId id;
  DecodeSessionId(args, id);
  uint32_t dir = args.U32();
  bool rdma = args.Bool();
  if (!args.ok()) return NFS4ERR_BADXDR;
  auto session = cs.server.state().FindSession(id);
  if (!session) return NFS4ERR_BADSESSION;
  if (rdma) return NFS4ERR_INVAL;
  uint32_t out_dir;
  switch (dir) {
    case CDFC4_FORE: out_dir = CDFS4_FORE; break;
    case CDFC4_BACK: out_dir = CDFS4_BACK; break;
    case CDFC4_FORE_OR_BOTH:
    case CDFC4_BACK_OR_BOTH: out_dir = CDFS4_BOTH; break;
    default: return NFS4ERR_INVAL;
  }
  // RFC 8881 section 18.34.3: the connection now carries the session's
  // channels in these directions (several connections may be bound; a
  // newly bound back connection is probed with CB_NULL by the next SEQUENCE).
  session->back_channel->Bind(cs.connection, out_dir != CDFS4_BACK, out_dir != CDFS4_FORE);
  res.FixedOpaque(id);
  res.U32(out_dir);
  res.Bool(false);
  return NFS4_OK;
}

nfsstat4 TestStateid(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  uint32_t n = args.ArrayLength(1024, 16);
  std::vector<state::Stateid> ids(n);
  for (auto& sid : ids) DecodeStateid(args, sid);
  if (!args.ok()) return NFS4ERR_BADXDR;
  res.U32(n);
  for (const auto& sid : ids) res.U32(cs.server.state().TestStateid(cs.session_clientid(), sid));
  return NFS4_OK;
}

nfsstat4 FreeStateid(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  state::Stateid sid;
  if (!DecodeStateid(args, sid)) return NFS4ERR_BADXDR;
  if (!cs.ResolveStateid(sid)) return NFS4ERR_BAD_STATEID;
  return cs.server.state().FreeStateid(cs.session_clientid(), sid);
}

nfsstat4 NotSupported(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  return NFS4ERR_NOTSUPP;
}

// RFC 8881 section 18.33: a new program number and credential for the
// session's callbacks; the back channel is probed again with them.
nfsstat4 BackchannelCtl(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder&) {
  uint32_t program = args.U32();
  CallbackCredential cb = DecodeCallbackSecParms(args);
  if (!args.ok()) return NFS4ERR_BADXDR;
  // As knfsd: only flavors the server can send callbacks with.
  if (!cb.flavor) return NFS4ERR_ENCR_ALG_UNSUPP;
  cs.session->back_channel->Reconfigure(program, *cb.flavor, std::move(cb.body));
  return NFS4_OK;
}

}  // namespace elfs::nfs4::ops
