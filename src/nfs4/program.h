// Nfs4Program: the NFS program (100003, version 4) of one listener, i.e. one
// mount target serving one export. Decodes nothing itself: procedure 1
// (COMPOUND) goes to ProcessCompound with a fresh CompoundState, after the
// connection's client authorization (the server's ClientAuthorizer, if any)
// has mapped the caller's identity and set what the connection may do.
//
// Thread safety: Call() runs concurrently on worker threads.
#pragma once

#include "authz/client_authorizer.h"
#include "nfs4/server.h"
#include "rpc/program.h"

namespace elfs::nfs4 {

class Nfs4Program final : public rpc::Program {
 public:
  // REQUIRES: exp belongs to server and outlives this program.
  Nfs4Program(Nfs4Server& server, const Export& exp) : server_(server), exp_(exp) {}

  uint32_t program() const override { return kNfsProgram; }
  uint32_t min_version() const override { return kNfsVersion; }
  uint32_t max_version() const override { return kNfsVersion; }
  rpc::AcceptStat Call(rpc::CallContext& ctx, xdr::XdrDecoder& args,
                       xdr::XdrEncoder& reply) override;

 private:
  // What the connection tells of the client (address, TLS identity).
  authz::ConnectionFacts FactsOf(const rpc::CallContext& ctx) const;

  Nfs4Server& server_;
  const Export& exp_;
};

}  // namespace elfs::nfs4
