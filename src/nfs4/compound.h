// COMPOUND processing (RFC 8881 section 16.2, RFC 7530 section 15.2).
//
// One CompoundState per request carries the current and saved file handles
// and stateids, the caller's identity and, for 4.1, the session slot. The
// dispatcher walks the operations through a table whose entries state each
// operation's rules (needs a file handle, minor versions, may only stand
// alone); the common checks run once here, so the handlers in ops/ only do
// their operation. Processing stops at the first failure.
//
// Thread safety: a CompoundState belongs to one request on one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "authz/posix.h"
#include "nfs4/nfs4_const.h"
#include "nfs4/server.h"
#include "nfs4/state/state_manager.h"
#include "rpc/connection.h"
#include "xdr/xdr.h"

namespace elfs::nfs4 {

struct CompoundState {
  CompoundState(Nfs4Server& s, const Export& e) : server(s), exp(e), root(e.root) {}

  Nfs4Server& server;
  const Export& exp;  // the file system this connection (mount target) serves
  uint32_t minorversion = 0;
  // The identity every operation runs as: already mapped (access point
  // PosixUser, root squash) before the first operation, see client_access.h.
  authz::Identity who;
  state::ClientPrincipal principal;

  // What the connection's client authorization allows (client_access.h);
  // the defaults are an unrestricted connection.
  // No ClientMount (or the access point is unusable): PUTROOTFH, PUTPUBFH
  // and PUTFH fail with NFS4ERR_ACCESS, so nothing can be reached.
  bool mount_denied = false;
  // No ClientWrite: modifying operations fail with NFS4ERR_ROFS.
  bool read_only = false;
  // The client's `/`: the export's root, or an access point's root.
  vfs::Handle root;
  // Nonzero when jailed in an access point: its root's fileid, put in every
  // handle given out and required of every handle taken in.
  uint64_t jail = 0;

  bool has_cfh = false, has_sfh = false;
  vfs::Handle cfh, sfh;
  // RFC 8881 section 16.2.3.1.2: current and saved stateids (4.1).
  bool has_cstateid = false, has_sstateid = false;
  state::Stateid cstateid, sstateid;

  // The RPC connection the request came on (null in tests without one):
  // CREATE_SESSION, BIND_CONN_TO_SESSION and SEQUENCE bind it to a session.
  std::shared_ptr<rpc::Connection> connection;

  // 4.1: set by SEQUENCE.
  std::shared_ptr<state::Session> session;
  uint32_t slotid = 0;
  bool cachethis = false;
  uint32_t ops_total = 0;
  size_t request_size = 0;  // bytes of COMPOUND4args
  // Set by SEQUENCE when the request is a retransmission: the whole
  // COMPOUND4res to send again instead of executing anything.
  std::optional<xdr::Buffer> replay;

  // A non-idempotent operation (kModifies) ran: a 4.0 reply worth keeping
  // in the duplicate request cache.
  bool modified = false;

  // A handler that writes a result body even on failure (e.g. LOCK4denied)
  // sets this so the dispatcher keeps it.
  bool keep_error_body = false;

  // NFSv4.0 seqid-mutating ops (OPEN, OPEN_CONFIRM, OPEN_DOWNGRADE, CLOSE,
  // LOCK, LOCKU) hand this to the state layer, which fills it when it
  // checks the owner's seqid. After the handler the dispatcher either
  // replaces the op's result with `replay` (a retransmission: the handler
  // did nothing) or saves the op's status and body for `save_for` (RFC 7530
  // sections 9.1.7-9.1.8). Reset before each op.
  state::SeqidAdmission seqid_op;

  vfs::FileSystem& fs() const { return *exp.fs; }
  FileHandle current_fh() const { return {exp.id, cfh, jail}; }
  // 4.1 client id from the session; 0 without one.
  uint64_t session_clientid() const { return session ? session->clientid : 0; }
  void SetCurrentFh(const vfs::Handle& h) {
    cfh = h;
    has_cfh = true;
  }
  void SetCurrentStateid(const state::Stateid& s) {
    cstateid = s;
    has_cstateid = true;
  }
  // Resolves the 4.1 "current stateid" special value (seqid 1, other 0).
  bool ResolveStateid(state::Stateid& s) const {
    if (minorversion >= 1 && s.IsCurrent()) {
      if (!has_cstateid) return false;
      s = cstateid;
    }
    return true;
  }
};

// An operation handler: decodes its arguments from `args`, does the work and
// encodes its result body (what follows the status in nfs_resop4) into
// `res`. Returns the status; on failure the dispatcher drops the body unless
// CompoundState::keep_error_body is set. NFS4ERR_BADXDR for malformed args.
using OpHandler = nfsstat4 (*)(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res);

enum OpFlags : uint32_t {
  kNeedsFh = 1u << 0,       // NFS4ERR_NOFILEHANDLE without a current file handle
  kOnlyOp41 = 1u << 1,      // 4.1: valid without SEQUENCE only as the sole op
  kNoSession41 = 1u << 2,   // 4.1: may be sent outside a session
  kModifies = 1u << 3,      // changes the file system (for read-only mounts)
  kBitmapOnError = 1u << 4, // the result has an (empty) bitmap even on failure (SETATTR4res)
  kAllowedReadOnly = 1u << 5, // kModifies, yet allowed without ClientWrite (COMMIT: flushes
                              // only what earlier WRITEs stored)
};

struct OpDescriptor {
  const char* name = nullptr;
  OpHandler handler = nullptr;
  uint32_t flags = 0;
  uint32_t min_minor = 0;  // first minor version with this op
  uint32_t max_minor = 2;  // last minor version with this op (4.0-only ops: 0)
};

// The operation table, indexed by opnum; entries without a handler are
// illegal or unsupported.
const OpDescriptor* FindOp(uint32_t opnum);

// Processes one COMPOUND4args from `args` and writes COMPOUND4res to
// `res`. Returns false only if the arguments' header could not be decoded
// (the caller answers GARBAGE_ARGS).
bool ProcessCompound(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res);

}  // namespace elfs::nfs4
