#include "nfs4/program.h"

#include <algorithm>
#include <optional>

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
  // NFSv4.0 retransmissions of non-idempotent calls get their first reply
  // (see drc.h).
  std::optional<DuplicateRequestCache::Key> key;
  if (ctx.connection) {
    const auto& peer = ctx.connection->remote();
    key = DuplicateRequestCache::MakeKey(
        peer.address().to_string() + "/" + std::to_string(peer.port()), exp_.id, ctx.xid,
        ctx.prog, ctx.vers, ctx.proc, args.rest());
    if (auto hit = server_.drc().Find(*key)) {
      std::span<uint8_t> out = reply.AppendRaw(hit->size());
      std::copy(hit->begin(), hit->end(), out.begin());
      return rpc::AcceptStat::kSuccess;
    }
  }
  const size_t start = reply.size();
  if (!ProcessCompound(cs, args, reply)) return rpc::AcceptStat::kGarbageArgs;
  if (key && cs.minorversion == 0 && cs.modified) {
    const auto& buf = reply.buffer();
    server_.drc().Insert(*key, {buf.data() + start, buf.size() - start});
  }
  return rpc::AcceptStat::kSuccess;
}

}  // namespace elfs::nfs4
