#include "rpc/connection.h"

namespace elfs::rpc {

void Connection::Close() {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return;
  // Holding mu_ keeps the transport alive: its destructor detaches under the
  // same lock before any of its members go away.
  std::lock_guard lock(mu_);
  if (transport_ != nullptr) transport_->ShutdownFromAnyThread();
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
  std::lock_guard lock(mu_);
  transport_ = nullptr;
}

}  // namespace elfs::rpc
