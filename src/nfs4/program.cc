#include "nfs4/program.h"

#include <algorithm>
#include <optional>

#include "nfs4/client_access.h"
#include "nfs4/compound.h"
#include "rpc/wire.h"

namespace elfs::nfs4 {

namespace {
// The identity of an AUTH_NONE caller: nobody (65534), like root squash.
constexpr uint32_t kNobody = 65534;
constexpr uint32_t kProcCompound = 1;
}  // namespace

authz::ConnectionFacts Nfs4Program::FactsOf(const rpc::CallContext& ctx) const {
  authz::ConnectionFacts f;
  f.file_system_id = exp_.name;
  if (!ctx.connection) return f;  // no transport: anonymous, plain
  boost::asio::ip::address a = ctx.connection->remote().address();
  // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; policies
  // name them as IPv4.
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  f.source_ip = a.to_string();
  rpc::TransportSecurity sec = ctx.connection->security();
  f.tls = sec.tls;
  f.access_key_id = std::move(sec.access_key_id);
  f.session_token = std::move(sec.session_token);
  f.access_point_id = std::move(sec.access_point_id);
  f.certificate_file_system_id = std::move(sec.file_system_id);
  return f;
}

rpc::AcceptStat Nfs4Program::Call(rpc::CallContext& ctx, xdr::XdrDecoder& args,
                                  xdr::XdrEncoder& reply) {
  if (ctx.proc != kProcCompound) return rpc::AcceptStat::kProcUnavail;
  CompoundState cs(server_, exp_);
  cs.connection = ctx.connection;
  authz::Identity caller;
  if (ctx.flavor == rpc::kAuthSys) {
    caller.uid = ctx.sys.uid;
    caller.gid = ctx.sys.gid;
    caller.groups = ctx.sys.gids;
    cs.principal = {rpc::kAuthSys, ctx.sys.uid, ctx.sys.machine_name};
  } else {
    caller.uid = kNobody;
    caller.gid = kNobody;
    cs.principal = {ctx.flavor, kNobody, {}};
  }
  cs.who = caller;
  // The connection context (SPEC section 5): the connection's client
  // authorization, looked up (computed once, then cached) and applied
  // before the first operation.
  if (authz::ClientAuthorizer* authorizer = server_.authorizer()) {
    ApplyClientDecision(cs, *authorizer->ForConnection(FactsOf(ctx)), caller);
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
