#include "nfs4/program.h"

#include "nfs4/compound.h"
#include "rpc/wire.h"

namespace elfs::nfs4 {

namespace {
// The identity of an AUTH_NONE caller: nobody (65534), like root squash.
constexpr uint32_t kNobody = 65534;
constexpr uint32_t kProcCompound = 1;
}  // namespace

rpc::AcceptStat Nfs4Program::Call(rpc::CallContext& ctx, xdr::XdrDecoder& args,
                                  xdr::XdrEncoder& reply) {
  if (ctx.proc != kProcCompound) return rpc::AcceptStat::kProcUnavail;
  CompoundState cs(server_, exp_);
  if (ctx.flavor == rpc::kAuthSys) {
    cs.who.uid = ctx.sys.uid;
    cs.who.gid = ctx.sys.gid;
    cs.who.groups = ctx.sys.gids;
    cs.principal = {rpc::kAuthSys, ctx.sys.uid, ctx.sys.machine_name};
  } else {
    cs.who.uid = kNobody;
    cs.who.gid = kNobody;
    cs.principal = {ctx.flavor, kNobody, {}};
  }
  if (!ProcessCompound(cs, args, reply)) return rpc::AcceptStat::kGarbageArgs;
  return rpc::AcceptStat::kSuccess;
}

}  // namespace elfs::nfs4
