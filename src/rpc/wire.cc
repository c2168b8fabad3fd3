#include "rpc/wire.h"

namespace elfs::rpc {

bool DecodeAuthSys(std::span<const uint8_t> body, AuthSys& out) {
  xdr::XdrDecoder d(body);
  out.stamp = d.U32();
  std::string_view name = d.String(kMaxMachineNameBytes);
  out.uid = d.U32();
  out.gid = d.U32();
  uint32_t n = d.ArrayLength(kMaxAuthSysGids);
  if (!d.ok()) return false;
  out.machine_name.assign(name.data(), name.size());
  out.gids.resize(n);
  for (uint32_t i = 0; i < n; ++i) out.gids[i] = d.U32();
  // The body is exactly one authsys_parms; extra bytes mean the sender and
  // we disagree on its layout, so do not trust any of it.
  return d.ok() && d.remaining() == 0;
}

void EncodeAuthSys(const AuthSys& cred, xdr::XdrEncoder& out) {
  out.U32(cred.stamp);
  out.String(cred.machine_name);
  out.U32(cred.uid);
  out.U32(cred.gid);
  out.U32(static_cast<uint32_t>(cred.gids.size()));
  for (uint32_t g : cred.gids) out.U32(g);
}

void EncodeCallHeader(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
                      uint32_t cred_flavor, std::span<const uint8_t> cred_body,
                      xdr::XdrEncoder& out) {
  out.U32(xid);
  out.U32(static_cast<uint32_t>(MsgType::kCall));
  out.U32(kRpcVersion);
  out.U32(prog);
  out.U32(vers);
  out.U32(proc);
  out.U32(cred_flavor);
  out.Opaque(cred_body);
  out.U32(kAuthNone);  // verifier
  out.U32(0);
}

void EncodeAcceptedPrefix(uint32_t xid, xdr::XdrEncoder& out) {
  out.U32(xid);
  out.U32(static_cast<uint32_t>(MsgType::kReply));
  out.U32(static_cast<uint32_t>(ReplyStat::kMsgAccepted));
  out.U32(kAuthNone);  // verifier flavor
  out.U32(0);          // verifier length
}

void EncodeAcceptedReply(uint32_t xid, AcceptStat stat, xdr::XdrEncoder& out) {
  EncodeAcceptedPrefix(xid, out);
  out.U32(static_cast<uint32_t>(stat));
}

void EncodeProgMismatchReply(uint32_t xid, uint32_t low, uint32_t high, xdr::XdrEncoder& out) {
  EncodeAcceptedReply(xid, AcceptStat::kProgMismatch, out);
  out.U32(low);
  out.U32(high);
}

namespace {
void EncodeDeniedPrefix(uint32_t xid, RejectStat stat, xdr::XdrEncoder& out) {
  out.U32(xid);
  out.U32(static_cast<uint32_t>(MsgType::kReply));
  out.U32(static_cast<uint32_t>(ReplyStat::kMsgDenied));
  out.U32(static_cast<uint32_t>(stat));
}
}  // namespace

void EncodeRpcMismatchReply(uint32_t xid, xdr::XdrEncoder& out) {
  EncodeDeniedPrefix(xid, RejectStat::kRpcMismatch, out);
  out.U32(kRpcVersion);  // low
  out.U32(kRpcVersion);  // high
}

void EncodeAuthErrorReply(uint32_t xid, AuthStat stat, xdr::XdrEncoder& out) {
  EncodeDeniedPrefix(xid, RejectStat::kAuthError, out);
  out.U32(static_cast<uint32_t>(stat));
}

}  // namespace elfs::rpc

namespace elfs::rpc {

void EncodeStartTlsReply(uint32_t xid, xdr::XdrEncoder& out) {
  out.U32(xid);
  out.U32(static_cast<uint32_t>(MsgType::kReply));
  out.U32(static_cast<uint32_t>(ReplyStat::kMsgAccepted));
  out.U32(kAuthNone);  // verifier flavor, with the 8-byte body "STARTTLS"
  out.Opaque({reinterpret_cast<const uint8_t*>(kStartTlsVerifier), sizeof kStartTlsVerifier - 1});
  out.U32(static_cast<uint32_t>(AcceptStat::kSuccess));
}

bool DecodeAcceptedReply(std::span<const uint8_t> message, uint32_t* xid, AcceptStat* stat,
                         size_t* body_offset) {
  xdr::XdrDecoder d(message);
  *xid = d.U32();
  if (d.U32() != static_cast<uint32_t>(MsgType::kReply)) return false;
  if (d.U32() != static_cast<uint32_t>(ReplyStat::kMsgAccepted)) return false;
  d.U32();                 // verifier flavor
  d.Opaque(kMaxAuthBytes);  // verifier body
  *stat = static_cast<AcceptStat>(d.U32());
  if (!d.ok()) return false;
  *body_offset = d.position();
  return true;
}

}  // namespace elfs::rpc
