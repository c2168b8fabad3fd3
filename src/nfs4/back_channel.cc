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

void BackChannel::Probe(const std::shared_ptr<rpc::Connection>& conn) {
  const uint32_t xid = conn->NextCallXid();
  const uint64_t gen = ++generation_;
  std::weak_ptr<BackChannel> weak = weak_from_this();
  bool sent = conn->SendCall(CbNullCall(xid), [weak, gen](std::span<const uint8_t> reply) {
    if (auto self = weak.lock()) self->OnReply(gen, reply);
  });
  spdlog::debug("nfs4: CB_NULL xid {:#x} on conn {} (program {:#x})", xid, conn->id(),
                cb_program_);
  ever_probed_ = true;
  probed_ = conn;
  probed_id_ = conn->id();
  probes_++;
  if (!sent) {
    path_ = Path::kDown;
    down_since_ = clock_.Monotonic();
    return;
  }
  path_ = Path::kProbing;
  probe_xid_ = xid;
  probe_sent_ = clock_.Monotonic();
}

void BackChannel::OnReply(uint64_t generation, std::span<const uint8_t> reply) {
  std::lock_guard lock(mu_);
  if (generation != generation_ || path_ != Path::kProbing) return;
  uint32_t xid = 0;
  rpc::AcceptStat stat{};
  size_t body = 0;
  if (!reply.empty() && rpc::DecodeAcceptedReply(reply, &xid, &stat, &body) &&
      stat == rpc::AcceptStat::kSuccess) {
    path_ = Path::kUp;
    spdlog::debug("nfs4: back channel up on conn {} (CB_NULL answered)", probed_id_);
    return;
  }
  spdlog::debug("nfs4: back channel down on conn {} ({})", probed_id_,
                reply.empty() ? "no reply" : "CB_NULL refused");
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
