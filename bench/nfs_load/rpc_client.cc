#include "rpc_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "rpc/wire.h"

namespace elfs::bench {

namespace {
constexpr size_t kReadChunk = 256 * 1024;
constexpr uint32_t kLastFragment = 0x80000000u;
constexpr size_t kMaxRecord = 64 * 1024 * 1024;
}  // namespace

Loop::Loop() : ep_(epoll_create1(EPOLL_CLOEXEC)) {}
Loop::~Loop() {
  if (ep_ >= 0) close(ep_);
}

void Loop::Add(Connection* c) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.ptr = c;
  epoll_ctl(ep_, EPOLL_CTL_ADD, c->fd(), &ev);
}

void Loop::Remove(Connection* c) {
  epoll_ctl(ep_, EPOLL_CTL_DEL, c->fd(), nullptr);
  std::erase(dirty_, c);
}

void Loop::WantWrite(Connection* c, bool on) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (on ? uint32_t{EPOLLOUT} : 0u);
  ev.data.ptr = c;
  epoll_ctl(ep_, EPOLL_CTL_MOD, c->fd(), &ev);
}

void Loop::MarkDirty(Connection* c) {
  for (Connection* d : dirty_)
    if (d == c) return;
  dirty_.push_back(c);
}

void Loop::RunOnce(int timeout_ms) {
  // Calls queued outside a callback (the first ones) go out first.
  while (!dirty_.empty()) {
    std::vector<Connection*> d;
    d.swap(dirty_);
    for (Connection* c : d) c->Flush();
  }
  epoll_event evs[64];
  int n = epoll_wait(ep_, evs, 64, timeout_ms);
  for (int i = 0; i < n; ++i) {
    auto* c = static_cast<Connection*>(evs[i].data.ptr);
    if (evs[i].events & EPOLLOUT) c->OnWritable();
    if (c->connected() && (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
      c->OnReadable();
  }
  while (!dirty_.empty()) {
    std::vector<Connection*> d;
    d.swap(dirty_);
    for (Connection* c : d) c->Flush();
  }
}

bool Loop::RunUntil(const std::function<bool()>& done, double timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    RunOnce(10);
  }
  return true;
}

Connection::Connection(Loop& loop) : loop_(loop) {
  std::random_device rd;
  next_xid_ = rd();
  in_.resize(256 * 1024);
  rpc::AuthSys cred;
  cred.machine_name = "elfs-nfs-load";
  xdr::XdrEncoder e(cred_);
  rpc::EncodeAuthSys(cred, e);
}

Connection::~Connection() { Close(); }

std::string Connection::Connect(const std::string& host, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) return "bad IPv4 address " + host;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + strerror(errno);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    std::string err = std::string("connect ") + host + ":" + std::to_string(port) + ": " +
                      strerror(errno);
    close(fd);
    return err;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  fd_ = fd;
  loop_.Add(this);
  return {};
}

void Connection::Close() {
  if (fd_ < 0) return;
  loop_.Remove(this);
  close(fd_);
  fd_ = -1;
  out_.clear();
  FailAll("connection closed");
}

void Connection::FailAll(const std::string& why) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [xid, fn] : pending) {
    RpcReply r;
    r.error = why;
    fn(r);
  }
}

void Connection::OnError(const std::string& why) {
  if (fd_ >= 0) {
    loop_.Remove(this);
    close(fd_);
    fd_ = -1;
  }
  out_.clear();
  FailAll(why);
}

void Connection::Call(uint32_t prog, uint32_t vers, uint32_t proc, const ArgsFn& args,
                      ReplyFn done, std::span<const uint8_t> payload) {
  if (fd_ < 0) {
    RpcReply r;
    r.error = "not connected";
    done(r);
    return;
  }
  Out o;
  if (!spare_.empty()) {
    o.head = std::move(spare_.back());
    spare_.pop_back();
  }
  o.head.clear();
  xdr::XdrEncoder e(o.head);
  e.U32(0);  // record mark, patched below
  uint32_t xid = next_xid_++;
  rpc::EncodeCallHeader(xid, prog, vers, proc, rpc::kAuthSys, cred_, e);
  if (args) args(e);
  o.payload = payload;
  o.pad = xdr::Pad4(payload.size()) - payload.size();
  size_t len = o.total() - 4;
  e.Patch32(0, kLastFragment | static_cast<uint32_t>(len));
  pending_.emplace(xid, std::move(done));
  out_.push_back(std::move(o));
  ++calls_;
  loop_.MarkDirty(this);
}

void Connection::Flush() {
  static const uint8_t kZeros[4] = {0, 0, 0, 0};
  while (fd_ >= 0 && !out_.empty()) {
    iovec iov[64];
    int n = 0;
    for (auto it = out_.begin(); it != out_.end() && n + 3 <= 64; ++it) {
      size_t skip = it->sent;
      auto add = [&](const uint8_t* p, size_t len) {
        if (skip >= len) {
          skip -= len;
          return;
        }
        iov[n].iov_base = const_cast<uint8_t*>(p + skip);
        iov[n].iov_len = len - skip;
        skip = 0;
        ++n;
      };
      add(it->head.data(), it->head.size());
      if (!it->payload.empty()) add(it->payload.data(), it->payload.size());
      if (it->pad) add(kZeros, it->pad);
    }
    ssize_t w = writev(fd_, iov, n);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!want_write_) {
          want_write_ = true;
          loop_.WantWrite(this, true);
        }
        return;
      }
      if (errno == EINTR) continue;
      OnError(std::string("write: ") + strerror(errno));
      return;
    }
    size_t left = static_cast<size_t>(w);
    while (left > 0 && !out_.empty()) {
      Out& o = out_.front();
      size_t rest = o.total() - o.sent;
      if (left >= rest) {
        left -= rest;
        spare_.push_back(std::move(o.head));
        out_.pop_front();
      } else {
        o.sent += left;
        left = 0;
      }
    }
  }
  if (want_write_ && fd_ >= 0) {
    want_write_ = false;
    loop_.WantWrite(this, false);
  }
}

void Connection::OnWritable() { Flush(); }

void Connection::OnReadable() {
  for (;;) {
    if (in_end_ == in_.size()) {
      // Make room: move the partial record to the front, grow if one record
      // needs more than the buffer holds.
      if (in_start_ > 0) {
        std::memmove(in_.data(), in_.data() + in_start_, in_end_ - in_start_);
        in_end_ -= in_start_;
        in_start_ = 0;
      } else {
        in_.resize(in_.size() * 2);
      }
    }
    ssize_t r = read(fd_, in_.data() + in_end_, std::min(kReadChunk * 8, in_.size() - in_end_));
    if (r == 0) {
      OnError("server closed the connection");
      return;
    }
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      OnError(std::string("read: ") + strerror(errno));
      return;
    }
    in_end_ += static_cast<size_t>(r);
    // Every complete fragment in the buffer.
    while (in_end_ - in_start_ >= 4) {
      const uint8_t* p = in_.data() + in_start_;
      uint32_t mark = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
      size_t len = mark & ~kLastFragment;
      if (len > kMaxRecord) {
        OnError("reply fragment too large");
        return;
      }
      if (in_end_ - in_start_ < 4 + len) {
        if (4 + len > in_.size()) {  // grow so the fragment fits
          std::memmove(in_.data(), in_.data() + in_start_, in_end_ - in_start_);
          in_end_ -= in_start_;
          in_start_ = 0;
          in_.resize(std::max(in_.size() * 2, 4 + len));
        }
        break;
      }
      std::span<const uint8_t> frag(p + 4, len);
      in_start_ += 4 + len;
      if ((mark & kLastFragment) && assembly_.empty()) {
        HandleRecord(frag);
      } else {
        assembly_.insert(assembly_.end(), frag.begin(), frag.end());
        if (mark & kLastFragment) {
          xdr::Buffer rec;
          rec.swap(assembly_);
          HandleRecord(rec);
        }
      }
      if (fd_ < 0) return;
    }
    if (in_start_ == in_end_) in_start_ = in_end_ = 0;
    if (static_cast<size_t>(r) < kReadChunk) return;  // drained, most likely
  }
}

void Connection::HandleRecord(std::span<const uint8_t> record) {
  xdr::XdrDecoder d(record);
  uint32_t xid = d.U32();
  uint32_t mtype = d.U32();
  if (!d.ok() || mtype != static_cast<uint32_t>(rpc::MsgType::kReply)) return;  // e.g. a CB call
  auto it = pending_.find(xid);
  if (it == pending_.end()) {
    OnError("reply with unknown xid " + std::to_string(xid));
    return;
  }
  ReplyFn fn = std::move(it->second);
  pending_.erase(it);
  RpcReply r;
  uint32_t rstat = d.U32();
  if (rstat != static_cast<uint32_t>(rpc::ReplyStat::kMsgAccepted)) {
    r.error = "RPC call denied (reject_stat " + std::to_string(d.U32()) + ")";
  } else {
    d.U32();                              // verifier flavor
    d.Opaque(rpc::kMaxAuthBytes);         // verifier body
    uint32_t astat = d.U32();
    if (!d.ok()) {
      r.error = "short RPC reply";
    } else if (astat != 0) {
      r.error = "RPC accept_stat " + std::to_string(astat);
    } else {
      r.ok = true;
      r.body = xdr::XdrDecoder(d.rest());
    }
  }
  fn(r);
}

}  // namespace elfs::bench
