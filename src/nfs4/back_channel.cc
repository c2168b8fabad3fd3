#include "nfs4/back_channel.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "nfs4/nfs4_const.h"
#include "rpc/wire.h"
#include "xdr/xdr.h"

namespace elfs::nfs4 {

BackChannel::BackChannel(const Clock& clock, uint32_t cb_program,
                         std::chrono::nanoseconds probe_timeout,
                         std::chrono::nanoseconds retry_interval)
    : clock_(clock),
      cb_program_(cb_program),
      probe_timeout_(probe_timeout),
      retry_interval_(retry_interval) {}

void BackChannel::Prune() {
  std::erase_if(bindings_, [](const Binding& b) {
    auto c = b.conn.lock();
    return !c || c->closed();
  });
}

void BackChannel::Bind(const std::shared_ptr<rpc::Connection>& conn, bool fore, bool back) {
  if (!conn) return;
  std::lock_guard lock(mu_);
  for (Binding& b : bindings_) {
    if (b.id == conn->id()) {
      b.fore |= fore;
      b.back |= back;
      return;
    }
  }
  if (bindings_.size() >= kMaxConnections) Prune();
  if (bindings_.size() >= kMaxConnections) {
    // Make room: the oldest fore-only binding, else the oldest of all.
    auto victim = std::find_if(bindings_.begin(), bindings_.end(),
                               [](const Binding& b) { return !b.back; });
    if (victim == bindings_.end()) victim = bindings_.begin();
    bindings_.erase(victim);
  }
  bindings_.push_back({conn, conn->id(), fore, back});
}

std::shared_ptr<rpc::Connection> BackChannel::PickBackConnection() {
  // The newest live back connection: a client that binds a new one (e.g.
  // after CB_PATH_DOWN) wants it used.
  for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it) {
    if (!it->back) continue;
    auto c = it->conn.lock();
    if (c && !c->closed()) return c;
  }
  return nullptr;
}

std::vector<uint8_t> BackChannel::CbNullCall(uint32_t xid) const {
  xdr::Buffer buf;
  xdr::XdrEncoder enc(buf);
  // CB_NULL (procedure 0) with AUTH_NONE: it carries no arguments and
  // touches no state, so no credential of the client's is needed.
  rpc::EncodeCallHeader(xid, cb_program_, kCallbackVersion, 0, rpc::kAuthNone, {}, enc);
  return {buf.begin(), buf.end()};
}

bool BackChannel::SendProbe(const std::shared_ptr<rpc::Connection>& conn, uint32_t xid,
                            std::vector<uint8_t> message) {
  const uint64_t gen = ++generation_;
  std::weak_ptr<BackChannel> weak = weak_from_this();
  bool sent = conn->SendCall(std::move(message), [weak, gen](std::span<const uint8_t> reply) {
    if (auto self = weak.lock()) self->OnReply(gen, reply);
  });
  if (!sent) {
    path_ = Path::kDown;
    down_since_ = clock_.Monotonic();
    return false;
  }
  path_ = Path::kProbing;
  probe_xid_ = xid;
  probe_sent_ = clock_.Monotonic();
  return true;
}

void BackChannel::Probe(const std::shared_ptr<rpc::Connection>& conn) {
  const uint32_t xid = conn->NextCallXid();
  spdlog::debug("nfs4: CB_NULL xid {:#x} on conn {} (program {:#x})", xid, conn->id(),
                cb_program_);
  ever_probed_ = true;
  probed_ = conn;
  probed_id_ = conn->id();
  probes_++;
  sequence_sent_ = false;
  SendProbe(conn, xid, CbNullCall(xid));
}

void BackChannel::SetSession(const std::array<uint8_t, 16>& id, uint32_t cred_flavor,
                             std::vector<uint8_t> cred_body) {
  std::lock_guard lock(mu_);
  has_session_ = true;
  session_id_ = id;
  cred_flavor_ = cred_flavor;
  cred_body_ = std::move(cred_body);
}

void BackChannel::Reconfigure(uint32_t cb_program, uint32_t cred_flavor,
                              std::vector<uint8_t> cred_body) {
  std::shared_ptr<rpc::Connection> cancel_on;
  uint32_t cancel_xid = 0;
  {
    std::lock_guard lock(mu_);
    cb_program_ = cb_program;
    cred_flavor_ = cred_flavor;
    cred_body_ = std::move(cred_body);
    if (path_ == Path::kProbing) {
      cancel_on = probed_.lock();
      cancel_xid = probe_xid_;
    }
    ++generation_;  // a reply to a probe under the old settings is ignored
    path_ = Path::kDown;
    ever_probed_ = false;
  }
  if (cancel_on) cancel_on->Cancel(cancel_xid);
}

uint32_t BackChannel::cb_sequenceid() {
  std::lock_guard lock(mu_);
  return cb_seqid_;
}

std::vector<uint8_t> BackChannel::CbSequenceCall(uint32_t xid, uint32_t seqid) const {
  constexpr uint32_t kCbCompound = 1, kOpCbSequence = 11;
  xdr::Buffer buf;
  xdr::XdrEncoder enc(buf);
  rpc::EncodeCallHeader(xid, cb_program_, kCallbackVersion, kCbCompound, cred_flavor_,
                        cred_body_, enc);
  enc.String("");   // tag
  enc.U32(1);       // minorversion
  enc.U32(0);       // callback_ident (4.0 only)
  enc.U32(1);       // one operation
  enc.U32(kOpCbSequence);
  enc.FixedOpaque(session_id_);
  enc.U32(seqid);   // csa_sequenceid
  enc.U32(0);       // csa_slotid
  enc.U32(0);       // csa_highest_slotid
  enc.Bool(false);  // csa_cachethis
  enc.U32(0);       // no referring calls
  return {buf.begin(), buf.end()};
}

void BackChannel::OnReply(uint64_t generation, std::span<const uint8_t> reply) {
  std::lock_guard lock(mu_);
  if (generation != generation_ || path_ != Path::kProbing) return;
  uint32_t xid = 0;
  rpc::AcceptStat stat{};
  size_t body = 0;
  bool ok = !reply.empty() && rpc::DecodeAcceptedReply(reply, &xid, &stat, &body) &&
            stat == rpc::AcceptStat::kSuccess;
  if (ok && sequence_sent_) {
    // CB_COMPOUND4res: status, tag, then CB_SEQUENCE's opcode and status.
    xdr::XdrDecoder d(reply.subspan(body));
    uint32_t status = d.U32();
    d.Opaque(1024);
    uint32_t n = d.U32(), op = d.U32(), op_status = d.U32();
    ok = d.ok() && n >= 1 && op == 11 &&
         (op_status == NFS4_OK || op_status == NFS4ERR_DELAY);
    // NFS4_OK uses the slot's sequence id. NFS4ERR_DELAY (Linux answers so
    // while it still sets the session up, right after the mount) leaves the
    // slot as it was but shows that the client knows the session on this
    // path: the path is up, and the next CB_SEQUENCE reuses the id.
    if (ok && op_status == NFS4_OK) cb_seqid_++;
    if (!ok)
      spdlog::debug("nfs4: CB_SEQUENCE on conn {} failed (status {}, op status {})", probed_id_,
                    status, op_status);
  } else if (ok && has_session_ && (cred_flavor_ == rpc::kAuthNone ||
                                    cred_flavor_ == rpc::kAuthSys)) {
    // The connection answers: now ask whether the client knows the session.
    auto conn = probed_.lock();
    if (conn) {
      const uint32_t next = conn->NextCallXid();
      sequence_sent_ = true;
      if (SendProbe(conn, next, CbSequenceCall(next, cb_seqid_ + 1))) return;
    }
    ok = false;
  }
  if (ok) {
    path_ = Path::kUp;
    spdlog::debug("nfs4: back channel up on conn {} ({} answered)", probed_id_,
                  sequence_sent_ ? "CB_SEQUENCE" : "CB_NULL");
    return;
  }
  spdlog::debug("nfs4: back channel down on conn {} ({})", probed_id_,
                reply.empty() ? "no reply" : "callback refused");
  path_ = Path::kDown;
  down_since_ = clock_.Monotonic();
}

uint32_t BackChannel::StatusFlags() {
  std::shared_ptr<rpc::Connection> cancel_on;
  uint32_t cancel_xid = 0;
  uint32_t flags = 0;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.Monotonic();
    if (path_ == Path::kUp) {
      auto c = probed_.lock();
      bool still_back = false;
      for (const Binding& b : bindings_)
        if (b.id == probed_id_ && b.back) still_back = true;
      if (c && !c->closed() && still_back) return 0;
      path_ = Path::kDown;  // the path's connection went away: find another
      down_since_ = now - retry_interval_;
    } else if (path_ == Path::kProbing) {
      if (now - probe_sent_ < probe_timeout_) return 0;
      // No answer in time: give up on it (a late REPLY is ignored).
      cancel_on = probed_.lock();
      cancel_xid = probe_xid_;
      ++generation_;
      path_ = Path::kDown;
      down_since_ = now;
    }
    Prune();
    std::shared_ptr<rpc::Connection> c = PickBackConnection();
    if (c && (!ever_probed_ || c->id() != probed_id_ || now - down_since_ >= retry_interval_)) {
      Probe(c);
    }
    if (path_ == Path::kDown) flags = SEQ4_STATUS_CB_PATH_DOWN_SESSION;
  }
  if (cancel_on) cancel_on->Cancel(cancel_xid);
  return flags;
}

BackChannel::Path BackChannel::path() {
  std::lock_guard lock(mu_);
  return path_;
}

size_t BackChannel::bound_connections(bool back_only) {
  std::lock_guard lock(mu_);
  Prune();
  if (!back_only) return bindings_.size();
  return static_cast<size_t>(
      std::count_if(bindings_.begin(), bindings_.end(), [](const Binding& b) { return b.back; }));
}

uint64_t BackChannel::probes_sent() {
  std::lock_guard lock(mu_);
  return probes_;
}

}  // namespace elfs::nfs4
