// ONC RPC v2 wire format (RFC 5531 §8, §9, Appendix A): message constants,
// AUTH_SYS credentials and the reply-header encoders the server uses. Pure
// functions over xdr::XdrDecoder / xdr::XdrEncoder; no I/O.
//
// Thread safety: stateless; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "xdr/xdr.h"

namespace elfs::rpc {

// RFC 5531 §9: accept_stat of an accepted reply.
enum class AcceptStat : uint32_t {
  kSuccess = 0,
  kProgUnavail = 1,
  kProgMismatch = 2,
  kProcUnavail = 3,
  kGarbageArgs = 4,
  kSystemErr = 5,
};

// RFC 5531 §8.2 and the IANA registry: authentication flavors.
inline constexpr uint32_t kAuthNone = 0, kAuthSys = 1;
inline constexpr uint32_t kAuthShort = 2, kAuthDh = 3, kRpcsecGss = 6;
// RFC 9289 §4.1: the AUTH_TLS probe (STARTTLS): a NULL call with this
// credential flavor, answered with an AUTH_NONE verifier whose body is the
// 8 ASCII bytes "STARTTLS", on listeners that serve TLS; AUTH_TOOWEAK
// elsewhere.
inline constexpr uint32_t kAuthTls = 7;
inline constexpr char kStartTlsVerifier[] = "STARTTLS";

// RFC 5531 §9.
inline constexpr uint32_t kRpcVersion = 2;
enum class MsgType : uint32_t { kCall = 0, kReply = 1 };
enum class ReplyStat : uint32_t { kMsgAccepted = 0, kMsgDenied = 1 };
enum class RejectStat : uint32_t { kRpcMismatch = 0, kAuthError = 1 };
enum class AuthStat : uint32_t {
  kOk = 0,
  kBadCred = 1,
  kRejectedCred = 2,
  kBadVerf = 3,
  kRejectedVerf = 4,
  kTooWeak = 5,
  kInvalidResp = 6,
  kFailed = 7,
};

// RFC 5531 §8.2: opaque_auth bodies are at most 400 bytes.
inline constexpr size_t kMaxAuthBytes = 400;
// RFC 5531 Appendix A: authsys_parms limits.
inline constexpr size_t kMaxMachineNameBytes = 255;
inline constexpr size_t kMaxAuthSysGids = 16;

// RFC 5531 Appendix A: struct authsys_parms.
struct AuthSys {
  uint32_t stamp = 0;
  std::string machine_name;
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> gids;  // <= kMaxAuthSysGids
};

// Decodes an authsys_parms body (the bytes of the credential's opaque).
// Returns false if it is malformed: short, a name over 255 bytes, more than
// 16 gids, or trailing bytes. `out` reuses its string/vector capacity, so a
// steady stream of calls allocates nothing.
bool DecodeAuthSys(std::span<const uint8_t> body, AuthSys& out);
void EncodeAuthSys(const AuthSys& cred, xdr::XdrEncoder& out);

// Call header (for clients and tests): xid, CALL, rpcvers 2, prog, vers,
// proc, the credential, and an AUTH_NONE verifier.
void EncodeCallHeader(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
                      uint32_t cred_flavor, std::span<const uint8_t> cred_body,
                      xdr::XdrEncoder& out);

// Decodes the header of a REPLY message (for clients and the back
// channel): true if it is an accepted reply, with its accept_stat and the
// offset of the result body; false if it is malformed or MSG_DENIED.
bool DecodeAcceptedReply(std::span<const uint8_t> message, uint32_t* xid, AcceptStat* stat,
                         size_t* body_offset);

// Reply encoders (RFC 5531 §9, struct reply_body). The reply verifier is
// always AUTH_NONE (we serve AUTH_NONE and AUTH_SYS only).
//
// xid, REPLY, MSG_ACCEPTED, verifier: everything up to accept_stat.
void EncodeAcceptedPrefix(uint32_t xid, xdr::XdrEncoder& out);
// A whole accepted reply with no result body (any stat but PROG_MISMATCH).
void EncodeAcceptedReply(uint32_t xid, AcceptStat stat, xdr::XdrEncoder& out);
void EncodeProgMismatchReply(uint32_t xid, uint32_t low, uint32_t high, xdr::XdrEncoder& out);
// MSG_DENIED RPC_MISMATCH with low = high = 2.
void EncodeRpcMismatchReply(uint32_t xid, xdr::XdrEncoder& out);
void EncodeAuthErrorReply(uint32_t xid, AuthStat stat, xdr::XdrEncoder& out);
// RFC 9289 §4.1: the accepted SUCCESS reply to the AUTH_TLS probe, with the
// "STARTTLS" verifier.
void EncodeStartTlsReply(uint32_t xid, xdr::XdrEncoder& out);

}  // namespace elfs::rpc
