#include "rpc/connection.h"

namespace elfs::rpc {

void Connection::Close() {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return;
  // Holding mu_ keeps the transport alive: its destructor detaches under the
  // same lock before any of its members go away.
  {
    std::lock_guard lock(mu_);
    if (transport_ != nullptr) transport_->ShutdownFromAnyThread();
  }
  FailOutstandingCalls();
}

void Connection::SetSecurity(TransportSecurity s) {
  std::lock_guard lock(mu_);
  security_ = std::move(s);
}

TransportSecurity Connection::security() const {
  std::lock_guard lock(mu_);
  return security_;
}

void Connection::SetAttachment(std::shared_ptr<void> a) {
  std::shared_ptr<void> old;
  {
    std::lock_guard lock(mu_);
    old = std::exchange(attachment_, std::move(a));
  }
  // `old` is released outside the lock: its destructor may call back in.
}

std::shared_ptr<void> Connection::attachment() const {
  std::lock_guard lock(mu_);
  return attachment_;
}

void Connection::AttachTransport(detail::Transport* t) {
  std::lock_guard lock(mu_);
  transport_ = t;
}

void Connection::DetachTransport() {
  {
    std::lock_guard lock(mu_);
    transport_ = nullptr;
  }
  FailOutstandingCalls();
}

bool Connection::SendCall(std::vector<uint8_t> message, ReplyHandler on_reply) {
  if (message.size() < 4 || closed()) return false;
  uint32_t xid = (uint32_t{message[0]} << 24) | (uint32_t{message[1]} << 16) |
                 (uint32_t{message[2]} << 8) | message[3];
  std::lock_guard lock(mu_);
  if (transport_ == nullptr || outstanding_.count(xid)) return false;
  outstanding_.emplace(xid, std::move(on_reply));
  if (!transport_->SendFromAnyThread(std::move(message))) {
    outstanding_.erase(xid);
    return false;
  }
  return true;
}

bool Connection::DeliverReply(std::span<const uint8_t> message) {
  if (message.size() < 4) return false;
  uint32_t xid = (uint32_t{message[0]} << 24) | (uint32_t{message[1]} << 16) |
                 (uint32_t{message[2]} << 8) | message[3];
  ReplyHandler h;
  {
    std::lock_guard lock(mu_);
    auto it = outstanding_.find(xid);
    if (it == outstanding_.end()) return false;
    h = std::move(it->second);
    outstanding_.erase(it);
  }
  if (h) h(message);
  return true;
}

void Connection::Cancel(uint32_t xid) {
  ReplyHandler h;
  {
    std::lock_guard lock(mu_);
    auto it = outstanding_.find(xid);
    if (it == outstanding_.end()) return;
    h = std::move(it->second);
    outstanding_.erase(it);
  }
  if (h) h({});
}

size_t Connection::outstanding_calls() const {
  std::lock_guard lock(mu_);
  return outstanding_.size();
}

void Connection::FailOutstandingCalls() {
  std::unordered_map<uint32_t, ReplyHandler> failed;
  {
    std::lock_guard lock(mu_);
    failed.swap(outstanding_);
  }
  for (auto& [xid, h] : failed)
    if (h) h({});
}

}  // namespace elfs::rpc
