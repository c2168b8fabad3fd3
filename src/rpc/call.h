// The protocol logic of the server for one record, free of I/O: decoding a
// call header (RFC 5531 §9, struct rpc_msg / call_body), deciding what to
// do with it (answer at once, dispatch to a program, ignore, close), and
// running a program with the reply header around its result. The socket
// code in server.cc only moves bytes; everything a peer can influence is
// decided here, which is what the fuzzer and most unit tests exercise.
//
// Thread safety: stateless functions; the caller owns ctx and buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "rpc/program.h"
#include "rpc/wire.h"
#include "xdr/xdr.h"

namespace elfs::rpc {

enum class HeaderStatus {
  kCall,         // well-formed call; ctx filled in, args at args_offset
  kReply,        // msg_type REPLY: meant for a back channel we do not run yet
  kNoXid,        // not even an xid: nothing can be answered
  kGarbage,      // xid readable, the rest malformed: GARBAGE_ARGS
  kRpcMismatch,  // rpcvers != 2
  kAuthError,    // credential or verifier refused; `auth` says why
};

struct HeaderResult {
  HeaderStatus status = HeaderStatus::kNoXid;
  uint32_t xid = 0;
  AuthStat auth = AuthStat::kOk;
  size_t args_offset = 0;  // kCall only: where the procedure's arguments start
  bool auth_tls = false;   // kAuthError from an AUTH_TLS credential (RFC 9289 probe)
};

// Decodes the header of one record. Resets ctx.xid, prog, vers, proc,
// flavor and sys, then fills them in as far as it gets (reusing ctx.sys's
// capacity); ctx.connection is left alone. Credentials (RFC 5531 §8.2, §10): AUTH_NONE with an empty
// body and AUTH_SYS are accepted; a body over 400 bytes or a malformed
// AUTH_SYS body is AUTH_BADCRED; any other flavor (RPCSEC_GSS, AUTH_TLS, ...)
// is AUTH_TOOWEAK. The verifier may be of any flavor (it is ignored for
// these two) but at most 400 bytes, else AUTH_BADVERF.
HeaderResult DecodeCallHeader(std::span<const uint8_t> record, CallContext& ctx);

enum class Action {
  kSend,      // `reply` holds a complete reply (without record mark)
  kDispatch,  // run RunCall(*program, ...) on a worker
  kIgnore,    // nothing to send (a REPLY message)
  kClose,     // unanswerable: close the connection
  kStartTls,  // `reply` holds the STARTTLS answer; once it is written, the
              // TLS handshake begins (RFC 9289 §4.1)
};

struct Disposition {
  Action action = Action::kClose;
  Program* program = nullptr;  // kDispatch only
  size_t args_offset = 0;      // kDispatch only
};

// Decides what to do with one complete record. Order as in RFC 5531 §9:
// rpcvers, then authentication, then program, version, procedure. NULL
// (procedure 0, RFC 5531 §12.1) of any registered program and version is
// answered here with an empty SUCCESS and never reaches the program.
// `reply` is cleared first. With `starttls_allowed` (a plain connection on a
// listener that serves TLS), a NULL call with AUTH_TLS credentials to a
// registered program and version is answered with the STARTTLS verifier
// (kStartTls); otherwise AUTH_TLS is AUTH_TOOWEAK like any other flavor.
Disposition ProcessRecord(std::span<const uint8_t> record, const ProgramTable& programs,
                          CallContext& ctx, xdr::Buffer& reply, bool starttls_allowed = false);

// Runs one call: writes the accepted-reply prefix and SUCCESS, calls the
// program, and replaces what it wrote by the error reply it asked for (or
// SYSTEM_ERR if it threw or returned an undefined status). `reply` is
// cleared first.
void RunCall(Program& program, CallContext& ctx, std::span<const uint8_t> args,
             xdr::Buffer& reply);

}  // namespace elfs::rpc
