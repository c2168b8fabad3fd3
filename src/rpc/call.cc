#include "rpc/call.h"

#include <exception>

#include <spdlog/spdlog.h>

namespace elfs::rpc {

namespace {

// Reads an opaque_auth (RFC 5531 §8.2) up to its body. Returns false if the
// record ends first; `too_long` is set if the length exceeds 400 bytes (the
// body is then not read).
bool ReadOpaqueAuth(xdr::XdrDecoder& d, uint32_t& flavor, std::span<const uint8_t>& body,
                    bool& too_long) {
  flavor = d.U32();
  uint32_t len = d.U32();
  if (!d.ok()) return false;
  too_long = len > kMaxAuthBytes;
  if (too_long) return true;
  body = d.FixedOpaque(len);
  return d.ok();
}

}  // namespace

HeaderResult DecodeCallHeader(std::span<const uint8_t> record, CallContext& ctx) {
  // ctx is reused across calls: no identity of an earlier call may linger.
  ctx.xid = ctx.prog = ctx.vers = ctx.proc = 0;
  ctx.flavor = kAuthNone;
  ctx.sys.stamp = ctx.sys.uid = ctx.sys.gid = 0;
  ctx.sys.machine_name.clear();  // keeps capacity
  ctx.sys.gids.clear();
  HeaderResult r;
  xdr::XdrDecoder d(record);
  r.xid = d.U32();
  if (!d.ok()) return r;  // kNoXid
  ctx.xid = r.xid;
  r.status = HeaderStatus::kGarbage;

  uint32_t msg_type = d.U32();
  if (!d.ok()) return r;
  if (msg_type == static_cast<uint32_t>(MsgType::kReply)) {
    r.status = HeaderStatus::kReply;
    return r;
  }
  if (msg_type != static_cast<uint32_t>(MsgType::kCall)) return r;

  // Check rpcvers before reading further: another version's call_body need
  // not look like ours (RFC 5531 §9, RPC_MISMATCH).
  uint32_t rpcvers = d.U32();
  if (!d.ok()) return r;
  if (rpcvers != kRpcVersion) {
    r.status = HeaderStatus::kRpcMismatch;
    return r;
  }
  ctx.prog = d.U32();
  ctx.vers = d.U32();
  ctx.proc = d.U32();

  uint32_t cred_flavor = 0, verf_flavor = 0;
  std::span<const uint8_t> cred, verf;
  bool cred_too_long = false, verf_too_long = false;
  if (!d.ok() || !ReadOpaqueAuth(d, cred_flavor, cred, cred_too_long)) return r;
  if (cred_too_long) {
    r.status = HeaderStatus::kAuthError;
    r.auth = AuthStat::kBadCred;
    return r;
  }
  if (!ReadOpaqueAuth(d, verf_flavor, verf, verf_too_long)) return r;
  if (verf_too_long) {
    r.status = HeaderStatus::kAuthError;
    r.auth = AuthStat::kBadVerf;
    return r;
  }

  r.status = HeaderStatus::kAuthError;
  ctx.flavor = cred_flavor;
  switch (cred_flavor) {
    case kAuthNone:
      // RFC 5531 §10.1: AUTH_NONE has no body; a non-empty one is a
      // malformed credential (as Linux's server treats it).
      if (!cred.empty()) {
        r.auth = AuthStat::kBadCred;
        return r;
      }
      break;
    case kAuthSys:
      if (!DecodeAuthSys(cred, ctx.sys)) {
        r.auth = AuthStat::kBadCred;
        return r;
      }
      break;
    default:
      // RPCSEC_GSS, AUTH_DH, ...: the client may retry with a flavor we
      // accept. AUTH_TLS is flagged: ProcessRecord may answer it.
      r.auth_tls = cred_flavor == kAuthTls;
      r.auth = AuthStat::kTooWeak;
      return r;
  }
  r.status = HeaderStatus::kCall;
  r.args_offset = d.position();
  return r;
}

Disposition ProcessRecord(std::span<const uint8_t> record, const ProgramTable& programs,
                          CallContext& ctx, xdr::Buffer& reply, bool starttls_allowed) {
  reply.clear();
  xdr::XdrEncoder out(reply);
  HeaderResult h = DecodeCallHeader(record, ctx);
  switch (h.status) {
    case HeaderStatus::kNoXid:
      return {Action::kClose};
    case HeaderStatus::kReply:
      return {Action::kIgnore};
    case HeaderStatus::kGarbage:
      EncodeAcceptedReply(h.xid, AcceptStat::kGarbageArgs, out);
      return {Action::kSend};
    case HeaderStatus::kRpcMismatch:
      EncodeRpcMismatchReply(h.xid, out);
      return {Action::kSend};
    case HeaderStatus::kAuthError:
      if (h.auth_tls && starttls_allowed && ctx.proc == 0) {
        // RFC 9289 §4.1: the probe is a NULL call of a program we serve.
        const Program* p = programs.Find(ctx.prog);
        if (p != nullptr && ctx.vers >= p->min_version() && ctx.vers <= p->max_version()) {
          EncodeStartTlsReply(h.xid, out);
          return {Action::kStartTls};
        }
      }
      EncodeAuthErrorReply(h.xid, h.auth, out);
      return {Action::kSend};
    case HeaderStatus::kCall:
      break;
  }
  Program* p = programs.Find(ctx.prog);
  if (p == nullptr) {
    EncodeAcceptedReply(h.xid, AcceptStat::kProgUnavail, out);
    return {Action::kSend};
  }
  uint32_t low = p->min_version(), high = p->max_version();
  if (ctx.vers < low || ctx.vers > high) {
    EncodeProgMismatchReply(h.xid, low, high, out);
    return {Action::kSend};
  }
  if (ctx.proc == 0) {
    // NULL takes no arguments and returns none; any argument bytes are
    // ignored.
    EncodeAcceptedReply(h.xid, AcceptStat::kSuccess, out);
    return {Action::kSend};
  }
  return {Action::kDispatch, p, h.args_offset};
}

void RunCall(Program& program, CallContext& ctx, std::span<const uint8_t> args,
             xdr::Buffer& reply) {
  reply.clear();
  xdr::XdrEncoder out(reply);
  EncodeAcceptedPrefix(ctx.xid, out);
  const size_t stat_at = out.size();
  out.U32(static_cast<uint32_t>(AcceptStat::kSuccess));
  xdr::XdrDecoder in(args);

  AcceptStat stat;
  try {
    stat = program.Call(ctx, in, out);
  } catch (const std::exception& e) {
    spdlog::error("rpc: prog {} vers {} proc {} xid {:#x} threw: {}", ctx.prog, ctx.vers,
                  ctx.proc, ctx.xid, e.what());
    stat = AcceptStat::kSystemErr;
  } catch (...) {
    spdlog::error("rpc: prog {} vers {} proc {} xid {:#x} threw", ctx.prog, ctx.vers,
                  ctx.proc, ctx.xid);
    stat = AcceptStat::kSystemErr;
  }
  if (stat == AcceptStat::kSuccess) {
    // The program may have grown or shrunk the buffer; our prefix must
    // still be there.
    if (out.size() >= stat_at + 4) return;
    stat = AcceptStat::kSystemErr;
  }
  if (static_cast<uint32_t>(stat) > static_cast<uint32_t>(AcceptStat::kSystemErr)) {
    stat = AcceptStat::kSystemErr;
  }
  spdlog::debug("rpc: prog {} vers {} proc {} xid {:#x}: accept_stat {}", ctx.prog, ctx.vers,
                ctx.proc, ctx.xid, static_cast<uint32_t>(stat));
  // Rewrite from scratch: the program may have truncated the buffer below
  // the header.
  reply.clear();
  if (stat == AcceptStat::kProgMismatch) {
    EncodeProgMismatchReply(ctx.xid, program.min_version(), program.max_version(), out);
  } else {
    EncodeAcceptedReply(ctx.xid, stat, out);
  }
}

}  // namespace elfs::rpc
