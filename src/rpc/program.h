// The interface between the RPC server and the programs it serves (NFSv4,
// later the efs-utils binding program): per-call context, the Program
// interface and the table of programs served on one listener.
//
// Thread safety: Program implementations must be thread-safe (calls run
// concurrently on worker threads). ProgramTable is filled before it is
// handed to RpcServer::Listen() and only read afterwards; concurrent reads
// are safe, Add() concurrent with anything is not.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "rpc/connection.h"
#include "rpc/wire.h"
#include "xdr/xdr.h"

namespace elfs::rpc {

struct CallContext {
  uint32_t xid = 0, prog = 0, vers = 0, proc = 0;
  // kAuthNone or kAuthSys; other flavors are refused with AUTH_ERROR before
  // dispatch (RFC 5531 §9, auth_stat).
  uint32_t flavor = kAuthNone;
  AuthSys sys;  // valid when flavor == kAuthSys (zero/empty otherwise)
  std::shared_ptr<Connection> connection;
};

class Program {
 public:
  virtual ~Program() = default;
  virtual uint32_t program() const = 0;
  virtual uint32_t min_version() const = 0;
  virtual uint32_t max_version() const = 0;
  // Decodes the call's arguments from `args` and encodes the result body
  // into `reply`. The server has already written the reply header up to and
  // including accept_stat SUCCESS; any other return value makes the server
  // discard what was written and send the matching error reply instead
  // (PROG_MISMATCH carries this program's min/max version). Exceptions are
  // caught and answered with SYSTEM_ERR.
  //
  // Procedure 0 (NULL) is answered by the server itself (empty SUCCESS,
  // after the program and version checks) and never reaches Call().
  //
  // Called on a worker thread; may block (file I/O). `ctx` and both codecs
  // are valid only for the duration of the call.
  virtual AcceptStat Call(CallContext& ctx, xdr::XdrDecoder& args, xdr::XdrEncoder& reply) = 0;
};

// The programs served on one listener (one listener = one NFS mount target).
class ProgramTable {
 public:
  // Registers `p` under p->program(); a later program with the same number
  // replaces the earlier one. A null `p` is ignored.
  void Add(std::shared_ptr<Program> p);
  // The program registered under `prog`, or nullptr. The pointer stays
  // valid as long as the table does.
  Program* Find(uint32_t prog) const;
  size_t size() const { return programs_.size(); }

 private:
  struct Entry {
    uint32_t number;
    std::shared_ptr<Program> program;
  };
  // A handful of programs at most: a flat vector beats a map.
  std::vector<Entry> programs_;
};

}  // namespace elfs::rpc
