#include "rpc/server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include "rpc/call.h"
#include "rpc/record.h"
#include "rpc/stream.h"
#include "rpc/worker_pool.h"

namespace elfs::rpc {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

std::string ToString(const tcp::endpoint& ep) {
  error_code ec;
  std::string addr = ep.address().to_string(ec);
  if (ep.address().is_v6()) addr = "[" + addr + "]";
  return addr + ":" + std::to_string(ep.port());
}

// Socket reads land here unless a large fragment body is being read
// directly into its record buffer.
constexpr size_t kReadBufferSize = 16 * 1024;
// Body bytes outstanding above which we read straight into the record.
constexpr size_t kDirectReadMin = 8 * 1024;
constexpr size_t kDirectReadMax = 256 * 1024;
// Buffers above this capacity are large: idle slots of a connection keep
// them up to a byte budget of twice max_queued_reply_bytes (16 MiB by
// default; at that limit a connection has its queued replies plus the
// buffers of the calls it runs), and beyond it their memory is returned, so
// a burst of 1 MiB calls does not pin 64 MiB per connection forever. Within
// the budget a stream of 1 MiB READs or WRITEs reuses its buffers: a fresh
// 1 MiB buffer costs 256 page faults and the zeroing of each page, which
// was a third of elfsd's CPU time on 1 MiB READs.
constexpr size_t kLargeBuffer = 64 * 1024;

}  // namespace

namespace detail {

class ServerConnection;

class ServerCore {
 public:
  explicit ServerCore(ServerOptions options);
  ~ServerCore();

  Result<tcp::endpoint> Listen(const tcp::endpoint& at, std::shared_ptr<ProgramTable> programs,
                               std::function<bool(const Connection&)> filter,
                               std::shared_ptr<const TlsOptions> tls);
  Status Unlisten(const tcp::endpoint& bound);
  void Start();
  void Stop();
  void ForEachConnection(const std::function<void(Connection&)>& fn);
  size_t connection_count() const;

  // For connections.
  const ServerOptions& options() const { return options_; }
  WorkerPool& pool() { return pool_; }
  void Unregister(uint64_t id);

 private:
  struct Listener {
    explicit Listener(asio::io_context& io)
        : acceptor(asio::make_strand(io)), retry(acceptor.get_executor()) {}
    tcp::acceptor acceptor;
    asio::steady_timer retry;  // after accept errors such as EMFILE
    std::shared_ptr<ProgramTable> programs;
    std::function<bool(const Connection&)> filter;
    std::shared_ptr<const TlsOptions> tls;  // null: plain RPC only
    std::string name;
  };

  void Accept(const std::shared_ptr<Listener>& l);
  template <class Socket>
  void OnAccept(const std::shared_ptr<Listener>& l, error_code ec, Socket peer);
  void RunIo();

  const ServerOptions options_;
  WorkerPool pool_;
  std::unique_ptr<asio::io_context> io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
  std::atomic<uint64_t> next_id_{1};

  std::mutex stop_mu_;  // serialises Stop()
  mutable std::mutex mu_;
  bool started_ = false;  // guarded by mu_
  bool stopped_ = false;  // guarded by mu_
  std::vector<std::shared_ptr<Listener>> listeners_;                           // guarded by mu_
  std::unordered_map<uint64_t, std::weak_ptr<ServerConnection>> connections_;  // guarded by mu_
};

// The server side of one TCP connection. Everything but RunOnWorker() and
// ShutdownFromAnyThread() runs on the connection's strand. Kept alive by
// the handlers of its pending operations and by calls on the worker pool;
// the ServerCore only holds weak references.
class ServerConnection final : public Transport,
                               public std::enable_shared_from_this<ServerConnection> {
 public:
  ServerConnection(ServerCore& core, tcp::socket socket, std::shared_ptr<ProgramTable> programs,
                   std::shared_ptr<Connection> conn, std::shared_ptr<const TlsOptions> tls);
  ~ServerConnection();

  // Begins reading (posts to the strand).
  void Start();
  const std::shared_ptr<Connection>& connection() const { return conn_; }
  void ShutdownFromAnyThread() override { stream_.ShutdownFromAnyThread(); }
  bool SendFromAnyThread(std::vector<uint8_t> message) override;

 private:
  // One call from record to written reply; pooled per connection.
  struct CallSlot final : WorkItem {
    void Run() override { owner->RunOnWorker(this); }

    ServerConnection* owner = nullptr;
    std::shared_ptr<ServerConnection> self;  // keeps owner alive while on the pool
    xdr::Buffer request, reply;
    std::array<uint8_t, 4> mark{};
    CallContext ctx;
    Program* program = nullptr;
    size_t args_offset = 0;
    size_t kept_bytes = 0;  // large-buffer bytes counted in kept_large_bytes_ while free
  };

  // Strand only.
  bool CheckOpen();
  void Pump();
  void StartRead();
  void OnRead(error_code ec, size_t n, bool direct);
  void HandleRecord();
  void QueueReply(CallSlot* slot);
  void QueueCall(std::vector<uint8_t>& message);
  void StartWrite();
  void OnWrite(error_code ec);
  void OnCallDone(CallSlot* slot);
  void CloseNow(const char* why);
  // TLS (strand only): peek the first byte, wait for the STARTTLS reply to
  // go out, handshake with a deadline, then authenticate the peer.
  void Peek();
  void OnPeek(error_code ec, size_t n);
  void MaybeStartTls();
  void StartHandshake(bool starttls);
  void OnHandshake(error_code ec);
  bool Paused() const {
    return inflight_ >= max_inflight_ || queued_bytes_ > max_queued_bytes_;
  }
  CallSlot* AcquireSlot();
  void ReleaseSlot(CallSlot* slot);
  // Worker thread.
  void RunOnWorker(CallSlot* slot);

  ServerCore& core_;
  Stream stream_;
  const Stream::executor_type executor_;
  const std::shared_ptr<ProgramTable> programs_;
  const std::shared_ptr<Connection> conn_;
  const std::shared_ptr<const TlsOptions> tls_;  // null: plain only
  const std::string peer_;  // for logs
  const size_t max_inflight_, max_queued_bytes_;

  RecordParser parser_;
  std::vector<uint8_t> rbuf_;
  size_t rbeg_ = 0, rend_ = 0;  // unparsed bytes in rbuf_
  bool reading_ = false, writing_ = false, eof_ = false, closed_ = false;
  size_t inflight_ = 0;      // slots in use: running or awaiting the write
  size_t queued_bytes_ = 0;  // reply bytes queued or being written
  std::vector<std::unique_ptr<CallSlot>> slots_;
  std::vector<CallSlot*> free_;
  size_t kept_large_bytes_ = 0;  // large buffers held by free_ slots
  std::vector<CallSlot*> write_queue_, write_batch_;
  std::vector<asio::const_buffer> write_bufs_;

  // While not kNone, no record is read or handled.
  enum class TlsState : uint8_t { kNone, kPeeking, kAwaitFlush, kHandshaking };
  TlsState tls_state_ = TlsState::kNone;
  bool starttls_ = false;  // the handshake follows an RFC 9289 probe
  std::optional<asio::steady_timer> handshake_timer_;
};

// ---------------------------------------------------------------------------
// ServerConnection

ServerConnection::ServerConnection(ServerCore& core, tcp::socket socket,
                                   std::shared_ptr<ProgramTable> programs,
                                   std::shared_ptr<Connection> conn,
                                   std::shared_ptr<const TlsOptions> tls)
    : core_(core),
      stream_(std::move(socket)),
      executor_(stream_.get_executor()),
      programs_(std::move(programs)),
      conn_(std::move(conn)),
      tls_(std::move(tls)),
      peer_(ToString(conn_->remote())),
      max_inflight_(std::max<size_t>(1, core.options().max_inflight_per_connection)),
      max_queued_bytes_(core.options().max_queued_reply_bytes),
      parser_(core.options().max_record_size),
      rbuf_(kReadBufferSize) {
  conn_->AttachTransport(this);
  slots_.reserve(max_inflight_);
  free_.reserve(max_inflight_);
  write_queue_.reserve(max_inflight_);
  write_batch_.reserve(max_inflight_);
  write_bufs_.reserve(2 * max_inflight_);
}

ServerConnection::~ServerConnection() {
  // After this no Connection::Close() can reach us (it holds the same lock).
  conn_->DetachTransport();
  conn_->MarkClosed();
  core_.Unregister(conn_->id());
}

void ServerConnection::Start() {
  asio::post(executor_, [self = shared_from_this()] {
    if (self->tls_ && self->tls_->first_byte) {
      self->Peek();
    } else {
      self->Pump();
    }
  });
}

void ServerConnection::Peek() {
  if (!CheckOpen()) return;
  tls_state_ = TlsState::kPeeking;
  stream_.AsyncPeekByte(
      [self = shared_from_this()](error_code ec, size_t n) { self->OnPeek(ec, n); });
}

void ServerConnection::OnPeek(error_code ec, size_t n) {
  tls_state_ = TlsState::kNone;
  if (!CheckOpen()) return;
  if (ec || n == 0) {
    CloseNow(ec && ec != asio::error::eof ? "read error" : "peer closed");
    return;
  }
  // 0x16: a TLS handshake record (ClientHello); anything else is a record
  // mark, and the byte is still in the socket for the plain path.
  if (stream_.peeked_byte() == kTlsHandshakeByte) {
    StartHandshake(/*starttls=*/false);
    return;
  }
  Pump();
}

void ServerConnection::MaybeStartTls() {
  // The STARTTLS reply, and any earlier reply, still go out in the clear.
  if (inflight_ != 0 || writing_) return;
  // RFC 9289 §4.1: the client starts the handshake only after the reply;
  // RPC bytes sent in between would be read as TLS, or lost.
  if (rbeg_ != rend_ || parser_.mid_record() || parser_.record_ready() || reading_ || eof_) {
    spdlog::warn("rpc: conn {} from {}: data after STARTTLS before the handshake; closing",
                 conn_->id(), peer_);
    CloseNow("data after STARTTLS");
    return;
  }
  StartHandshake(/*starttls=*/true);
}

void ServerConnection::StartHandshake(bool starttls) {
  tls_state_ = TlsState::kHandshaking;
  starttls_ = starttls;
  stream_.StartTls(tls_->context);
  handshake_timer_.emplace(executor_);
  handshake_timer_->expires_after(tls_->handshake_timeout);
  handshake_timer_->async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->closed_ || self->tls_state_ != TlsState::kHandshaking) return;
    spdlog::info("rpc: conn {} from {}: TLS handshake not finished in {} ms; closing",
                 self->conn_->id(), self->peer_, self->tls_->handshake_timeout.count());
    self->CloseNow("TLS handshake timeout");
  });
  stream_.AsyncHandshake([self = shared_from_this()](error_code ec) { self->OnHandshake(ec); });
}

void ServerConnection::OnHandshake(error_code ec) {
  if (handshake_timer_) handshake_timer_->cancel();
  if (!CheckOpen()) return;
  if (ec) {
    spdlog::info("rpc: conn {} from {}: TLS handshake failed: {}", conn_->id(), peer_,
                 ec.message());
    CloseNow("TLS handshake failed");
    return;
  }
  SSL* ssl = stream_.tls()->native_handle();
  std::vector<uint8_t> der;
  if (X509* cert = SSL_get0_peer_certificate(ssl)) {
    int len = i2d_X509(cert, nullptr);
    if (len > 0) {
      der.resize(static_cast<size_t>(len));
      uint8_t* p = der.data();
      i2d_X509(cert, &p);
    }
  }
  TlsPeer peer;
  peer.certificate_der = der;
  peer.protocol = SSL_get_version(ssl);
  peer.cipher = SSL_get_cipher_name(ssl);
  peer.starttls = starttls_;
  TransportSecurity security;
  if (tls_->authenticate) {
    Result<TransportSecurity> r = Err(Errc::kInternal, "authenticate threw");
    try {
      r = tls_->authenticate(*conn_, peer);
    } catch (const std::exception& e) {
      spdlog::error("rpc: conn {}: TLS authenticate threw: {}", conn_->id(), e.what());
    } catch (...) {
      spdlog::error("rpc: conn {}: TLS authenticate threw", conn_->id());
    }
    if (!r) {
      spdlog::info("rpc: conn {} from {}: TLS peer refused: {}", conn_->id(), peer_,
                   r.error().message());
      CloseNow("TLS peer refused");
      return;
    }
    security = std::move(*r);
  }
  security.tls = true;
  spdlog::debug("rpc: conn {} from {}: {} {}{}", conn_->id(), peer_, peer.protocol, peer.cipher,
                starttls_ ? " (STARTTLS)" : "");
  conn_->SetSecurity(std::move(security));
  tls_state_ = TlsState::kNone;
  Pump();
}

bool ServerConnection::CheckOpen() {
  if (closed_) return false;
  if (conn_->closed()) {
    CloseNow("closed by the server");
    return false;
  }
  return true;
}

void ServerConnection::Pump() {
  while (tls_state_ == TlsState::kNone && CheckOpen()) {
    if (parser_.record_ready()) {
      if (Paused()) break;
      HandleRecord();
      continue;
    }
    if (rbeg_ < rend_) {
      auto used = parser_.Consume({rbuf_.data() + rbeg_, rend_ - rbeg_});
      if (!used) {
        spdlog::warn("rpc: conn {} from {}: {}; closing", conn_->id(), peer_,
                     used.error().message());
        CloseNow("oversized record");
        return;
      }
      rbeg_ += *used;
      continue;
    }
    break;
  }
  if (closed_) return;
  if (tls_state_ == TlsState::kAwaitFlush) {
    MaybeStartTls();
    return;
  }
  if (tls_state_ != TlsState::kNone) return;
  if (eof_) {
    // Half-closed by the peer: answer what was received, then close.
    if (inflight_ == 0 && !parser_.record_ready() && rbeg_ == rend_) {
      CloseNow(parser_.mid_record() ? "peer closed mid-record" : "peer closed");
    }
    return;
  }
  if (!reading_ && !Paused()) StartRead();
}

void ServerConnection::StartRead() {
  // Pump reads only once every buffered byte went to the parser; anything
  // else would be a bug here, and skipping bytes would desynchronise the
  // stream.
  if (rbeg_ != rend_) {
    spdlog::error("rpc: conn {}: read started with {} unparsed bytes", conn_->id(),
                  rend_ - rbeg_);
    CloseNow("internal error");
    return;
  }
  reading_ = true;
  if (parser_.body_remaining() >= kDirectReadMin) {
    // Large fragment body (a WRITE's payload): read it in place.
    std::span<uint8_t> w = parser_.DirectWindow(kDirectReadMax);
    stream_.AsyncReadSome(asio::buffer(w.data(), w.size()),
                          [self = shared_from_this()](error_code ec, size_t n) {
                            self->OnRead(ec, n, /*direct=*/true);
                          });
    return;
  }
  rbeg_ = rend_ = 0;
  stream_.AsyncReadSome(asio::buffer(rbuf_), [self = shared_from_this()](error_code ec, size_t n) {
    self->OnRead(ec, n, /*direct=*/false);
  });
}

void ServerConnection::OnRead(error_code ec, size_t n, bool direct) {
  reading_ = false;
  if (direct) {
    parser_.CommitDirect(n);
  } else {
    rend_ += n;
  }
  if (!CheckOpen()) return;
  if (ec) {
    if (ec != asio::error::eof) {
      spdlog::debug("rpc: conn {} from {}: read: {}", conn_->id(), peer_, ec.message());
      CloseNow("read error");
      return;
    }
    eof_ = true;
  }
  Pump();
}

void ServerConnection::HandleRecord() {
  CallSlot* slot = AcquireSlot();
  parser_.TakeRecord(slot->request);
  std::span<const uint8_t> record(slot->request.data(), slot->request.size());
  const bool starttls_allowed = tls_ != nullptr && tls_->starttls && !stream_.is_tls();
  Disposition d = ProcessRecord(record, *programs_, slot->ctx, slot->reply, starttls_allowed);
  switch (d.action) {
    case Action::kStartTls:
      spdlog::debug("rpc: conn {} xid {:#x}: STARTTLS", conn_->id(), slot->ctx.xid);
      QueueReply(slot);
      tls_state_ = TlsState::kAwaitFlush;
      return;
    case Action::kSend:
      spdlog::debug("rpc: conn {} xid {:#x}: answered by the server", conn_->id(),
                    slot->ctx.xid);
      QueueReply(slot);
      return;
    case Action::kIgnore:
      // A REPLY: the answer to a back-channel call (RFC 8881 §2.10.3.1)
      // sent with Connection::SendCall, or else ignored.
      if (!conn_->DeliverReply(record))
        spdlog::debug("rpc: conn {} xid {:#x}: ignoring an unexpected REPLY", conn_->id(),
                      slot->ctx.xid);
      ReleaseSlot(slot);
      return;
    case Action::kClose:
      spdlog::warn("rpc: conn {} from {}: record of {} bytes has no xid; closing", conn_->id(),
                   peer_, record.size());
      ReleaseSlot(slot);
      CloseNow("undecodable record");
      return;
    case Action::kDispatch:
      break;
  }
  spdlog::debug("rpc: conn {} xid {:#x}: prog {} vers {} proc {}", conn_->id(), slot->ctx.xid,
                slot->ctx.prog, slot->ctx.vers, slot->ctx.proc);
  slot->program = d.program;
  slot->args_offset = d.args_offset;
  slot->self = shared_from_this();
  if (!core_.pool().Submit(slot)) {  // the server is stopping
    slot->self.reset();
    ReleaseSlot(slot);
  }
}

void ServerConnection::RunOnWorker(CallSlot* slot) {
  // Calls queued before a close are dropped unrun.
  if (!conn_->closed()) {
    std::span<const uint8_t> args(slot->request.data() + slot->args_offset,
                                  slot->request.size() - slot->args_offset);
    RunCall(*slot->program, slot->ctx, args, slot->reply);
  }
  asio::post(executor_, [self = std::move(slot->self), slot] { self->OnCallDone(slot); });
}

void ServerConnection::OnCallDone(CallSlot* slot) {
  if (!CheckOpen()) {
    ReleaseSlot(slot);
    return;
  }
  QueueReply(slot);
  Pump();  // a slot may free up only later, but a reply may have been the
           // last thing a half-closed connection waited for
}

void ServerConnection::QueueReply(CallSlot* slot) {
  size_t len = slot->reply.size();
  if (len > kMaxFragmentLength) {  // cannot be framed (RFC 5531 §11)
    spdlog::error("rpc: conn {} xid {:#x}: reply of {} bytes; closing", conn_->id(),
                  slot->ctx.xid, len);
    ReleaseSlot(slot);
    CloseNow("reply too large");
    return;
  }
  slot->mark = RecordMark(static_cast<uint32_t>(len));
  queued_bytes_ += len + 4;
  write_queue_.push_back(slot);
  if (!writing_) StartWrite();
}

bool ServerConnection::SendFromAnyThread(std::vector<uint8_t> message) {
  // Called under the Connection's lock, possibly while this object is being
  // destroyed (then weak_from_this() is empty).
  std::shared_ptr<ServerConnection> self = weak_from_this().lock();
  if (!self) return false;
  asio::post(executor_, [self = std::move(self), m = std::move(message)]() mutable {
    self->QueueCall(m);
  });
  return true;
}

void ServerConnection::QueueCall(std::vector<uint8_t>& message) {
  if (closed_) return;  // Close already failed the outstanding call
  // The call goes out through a slot like a reply, in order with them. A
  // slot beyond max_inflight_ may be created for it: back-channel calls are
  // rare (probes) and bounded by the layer above.
  CallSlot* slot = AcquireSlot();
  slot->reply.assign(message.begin(), message.end());
  slot->ctx.xid = 0;
  QueueReply(slot);
}

void ServerConnection::StartWrite() {
  writing_ = true;
  write_batch_.swap(write_queue_);
  write_bufs_.clear();
  for (CallSlot* s : write_batch_) {
    // Record mark and reply in one gathered write; the batch goes out as
    // consecutive whole records.
    write_bufs_.push_back(asio::buffer(s->mark));
    write_bufs_.push_back(asio::buffer(s->reply.data(), s->reply.size()));
  }
  // A span, not the vector: Asio copies the buffer sequence into its
  // operation, and a span copies without allocating.
  std::span<const asio::const_buffer> bufs(write_bufs_.data(), write_bufs_.size());
  stream_.AsyncWrite(bufs, [self = shared_from_this()](error_code ec, size_t) {
    self->OnWrite(ec);
  });
}

void ServerConnection::OnWrite(error_code ec) {
  writing_ = false;
  for (CallSlot* s : write_batch_) {
    queued_bytes_ -= s->reply.size() + 4;
    ReleaseSlot(s);
  }
  write_batch_.clear();
  if (!CheckOpen()) return;
  if (ec) {
    spdlog::debug("rpc: conn {} from {}: write: {}", conn_->id(), peer_, ec.message());
    CloseNow("write error");
    return;
  }
  if (!write_queue_.empty()) StartWrite();
  Pump();
}

void ServerConnection::CloseNow(const char* why) {
  if (closed_) return;
  closed_ = true;
  conn_->MarkClosed();
  conn_->FailOutstandingCalls();
  if (handshake_timer_) handshake_timer_->cancel();
  stream_.Close();
  for (CallSlot* s : write_queue_) {
    queued_bytes_ -= s->reply.size() + 4;
    ReleaseSlot(s);
  }
  write_queue_.clear();
  // write_batch_ is released by OnWrite when the aborted write completes;
  // slots on the worker pool come back through OnCallDone.
  spdlog::debug("rpc: conn {} from {} closed: {}", conn_->id(), peer_, why);
}

ServerConnection::CallSlot* ServerConnection::AcquireSlot() {
  ++inflight_;
  if (!free_.empty()) {
    CallSlot* s = free_.back();
    free_.pop_back();
    kept_large_bytes_ -= std::exchange(s->kept_bytes, 0);
    return s;
  }
  // Paused() keeps inflight_ <= max_inflight_, so at most that many slots.
  auto s = std::make_unique<CallSlot>();
  s->owner = this;
  s->ctx.connection = conn_;
  slots_.push_back(std::move(s));
  return slots_.back().get();
}

void ServerConnection::ReleaseSlot(CallSlot* slot) {
  --inflight_;
  const size_t budget = 2 * max_queued_bytes_;
  for (xdr::Buffer* b : {&slot->request, &slot->reply}) {
    if (b->capacity() <= kLargeBuffer) continue;
    if (kept_large_bytes_ + b->capacity() <= budget) {
      kept_large_bytes_ += b->capacity();
      slot->kept_bytes += b->capacity();
    } else {
      xdr::Buffer().swap(*b);
    }
  }
  free_.push_back(slot);
}

// ---------------------------------------------------------------------------
// ServerCore

ServerCore::ServerCore(ServerOptions options)
    : options_([&] {
        size_t cores = std::max(1u, std::thread::hardware_concurrency());
        if (options.worker_threads == 0) options.worker_threads = std::max<size_t>(8, 2 * cores);
        if (options.max_worker_threads == 0) {
          options.max_worker_threads = std::max<size_t>(256, options.worker_threads);
        }
        if (options.io_threads == 0) options.io_threads = cores >= 8 ? 2 : 1;
        options.max_inflight_per_connection =
            std::max<size_t>(1, options.max_inflight_per_connection);
        return options;
      }()),
      pool_(options_.worker_threads, options_.max_worker_threads),
      io_(std::make_unique<asio::io_context>(static_cast<int>(options_.io_threads))) {}

ServerCore::~ServerCore() {
  Stop();
  // Asio objects must die before their io_context; nothing else is pending
  // after Stop().
  {
    std::lock_guard lock(mu_);
    listeners_.clear();
  }
  io_.reset();
}

Result<tcp::endpoint> ServerCore::Listen(const tcp::endpoint& at,
                                         std::shared_ptr<ProgramTable> programs,
                                         std::function<bool(const Connection&)> filter,
                                         std::shared_ptr<const TlsOptions> tls) {
  if (programs == nullptr) return Err(Errc::kInvalid, "Listen: no program table");
  if (tls != nullptr && tls->context == nullptr) {
    return Err(Errc::kInvalid, "Listen: TLS options without a context");
  }
  {
    std::lock_guard lock(mu_);
    if (stopped_) return Err(Errc::kUnavailable, "Listen: server stopped");
  }
  auto l = std::make_shared<Listener>(*io_);
  l->programs = std::move(programs);
  l->filter = std::move(filter);
  l->tls = std::move(tls);
  error_code ec;
  auto fail = [&](const char* what) {
    Errc code = ec == asio::error::address_in_use   ? Errc::kBusy
                : ec == asio::error::access_denied ? Errc::kPerm
                                                   : Errc::kIo;
    return Err(code, "listen on " + ToString(at) + ": " + what + ": " + ec.message());
  };
  l->acceptor.open(at.protocol(), ec);
  if (ec) return fail("open");
  l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("SO_REUSEADDR");
  l->acceptor.bind(at, ec);
  if (ec) return fail("bind");
  l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  tcp::endpoint bound = l->acceptor.local_endpoint(ec);
  if (ec) return fail("local_endpoint");
  l->name = ToString(bound);
  {
    std::lock_guard lock(mu_);
    if (stopped_) return Err(Errc::kUnavailable, "Listen: server stopped");
    listeners_.push_back(l);
  }
  asio::post(l->acceptor.get_executor(), [this, l] { Accept(l); });
  spdlog::info("rpc: listening on {}", l->name);
  return bound;
}

void ServerCore::Accept(const std::shared_ptr<Listener>& l) {
  if (!l->acceptor.is_open()) return;
  // Each connection gets its own strand, so with several I/O threads its
  // handlers still never run concurrently.
  l->acceptor.async_accept(asio::make_strand(*io_), [this, l](error_code ec, auto peer) {
    OnAccept(l, ec, std::move(peer));
  });
}

template <class Socket>
void ServerCore::OnAccept(const std::shared_ptr<Listener>& l, error_code ec, Socket peer) {
  if (ec == asio::error::operation_aborted || !l->acceptor.is_open()) return;
  if (ec) {
    // EMFILE and friends: back off instead of spinning on the error.
    spdlog::warn("rpc: accept on {}: {}", l->name, ec.message());
    l->retry.expires_after(std::chrono::milliseconds(100));
    l->retry.async_wait([this, l](error_code wec) {
      if (!wec) Accept(l);
    });
    return;
  }
  tcp::socket socket(std::move(peer));
  error_code e1, e2;
  tcp::endpoint remote = socket.remote_endpoint(e1);
  tcp::endpoint local = socket.local_endpoint(e2);
  if (e1 || e2) {  // the peer is already gone
    socket.close(e1);
    Accept(l);
    return;
  }
  auto conn = std::make_shared<Connection>(next_id_++, remote, local);
  bool allowed = true;
  if (l->filter) {
    try {
      allowed = l->filter(*conn);
    } catch (const std::exception& e) {
      spdlog::error("rpc: accept filter threw: {}", e.what());
      allowed = false;
    } catch (...) {
      spdlog::error("rpc: accept filter threw");
      allowed = false;
    }
  }
  if (!allowed) {
    spdlog::info("rpc: connection {} from {} to {} refused by the accept filter", conn->id(),
                 ToString(remote), ToString(local));
    socket.close(e1);
    conn->Close();
    Accept(l);
    return;
  }
  // Replies are whole records written at once: Nagle only adds latency.
  socket.set_option(tcp::no_delay(true), e1);
  socket.set_option(asio::socket_base::keep_alive(true), e1);
  auto transport = std::make_shared<ServerConnection>(*this, std::move(socket), l->programs, conn,
                                                      l->tls);
  bool registered = false;
  {
    std::lock_guard lock(mu_);
    if (!stopped_) {
      connections_.emplace(conn->id(), transport);
      registered = true;
    }
  }
  if (registered) {
    spdlog::debug("rpc: conn {} from {} accepted on {}", conn->id(), ToString(remote), l->name);
    transport->Start();
  } else {
    conn->Close();  // lost a race with Stop(); the transport closes on its strand
    transport->Start();
  }
  Accept(l);
}

void ServerCore::Unregister(uint64_t id) {
  std::lock_guard lock(mu_);
  connections_.erase(id);
}

void ServerCore::RunIo() {
  for (;;) {
    try {
      io_->run();
      return;
    } catch (const std::exception& e) {
      // Handlers do not throw by design; keep serving if one does.
      spdlog::error("rpc: I/O thread: {}", e.what());
    }
  }
}

void ServerCore::Start() {
  std::lock_guard lock(mu_);
  if (started_ || stopped_) return;
  started_ = true;
  pool_.Start();
  work_.emplace(io_->get_executor());
  for (size_t i = 0; i < options_.io_threads; ++i) {
    io_threads_.emplace_back([this] { RunIo(); });
  }
}

void ServerCore::Stop() {
  std::lock_guard stop_lock(stop_mu_);
  std::vector<std::shared_ptr<Listener>> listeners;
  bool started;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    started = started_;
    listeners = listeners_;
  }
  for (auto& l : listeners) {
    asio::post(l->acceptor.get_executor(), [l] {
      error_code ignored;
      l->acceptor.close(ignored);
      l->retry.cancel();
    });
  }
  // Shuts every socket down; each connection's strand notices and closes.
  ForEachConnection([](Connection& c) { c.Close(); });
  // Running calls finish; their completions find their connection closed.
  pool_.Stop();
  // With everything closed the I/O threads run out of work and return.
  work_.reset();
  if (started) {
    for (auto& t : io_threads_) t.join();
    io_threads_.clear();
  } else {
    RunIo();
  }
  spdlog::debug("rpc: server stopped");
}

Status ServerCore::Unlisten(const tcp::endpoint& bound) {
  std::shared_ptr<Listener> found;
  {
    std::lock_guard lock(mu_);
    for (auto it = listeners_.begin(); it != listeners_.end(); ++it) {
      if ((*it)->name == ToString(bound)) {
        found = *it;
        listeners_.erase(it);
        break;
      }
    }
  }
  if (!found) return {Errc::kNotFound, "no listener on " + ToString(bound)};
  asio::post(found->acceptor.get_executor(), [found] {
    error_code ignored;
    found->acceptor.close(ignored);
    found->retry.cancel();
  });
  ForEachConnection([&](Connection& c) {
    if (c.local() == bound) c.Close();
  });
  spdlog::info("rpc: stopped listening on {}", found->name);
  return {};
}

void ServerCore::ForEachConnection(const std::function<void(Connection&)>& fn) {
  std::vector<std::shared_ptr<ServerConnection>> live;
  {
    std::lock_guard lock(mu_);
    live.reserve(connections_.size());
    for (auto& [id, weak] : connections_) {
      if (auto t = weak.lock()) live.push_back(std::move(t));
    }
  }
  // Only the Connections are kept: a transport's last reference must not be
  // dropped under mu_ (its destructor takes mu_), nor kept across fn.
  std::vector<std::shared_ptr<Connection>> conns;
  conns.reserve(live.size());
  for (auto& t : live) conns.push_back(t->connection());
  live.clear();
  for (auto& c : conns) fn(*c);
}

size_t ServerCore::connection_count() const {
  std::lock_guard lock(mu_);
  return connections_.size();
}

}  // namespace detail

// ---------------------------------------------------------------------------
// RpcServer

RpcServer::RpcServer(ServerOptions options)
    : core_(std::make_unique<detail::ServerCore>(options)) {}

RpcServer::~RpcServer() = default;

Result<tcp::endpoint> RpcServer::Listen(const tcp::endpoint& at,
                                        std::shared_ptr<ProgramTable> programs,
                                        std::function<bool(const Connection&)> accept_filter,
                                        std::shared_ptr<const TlsOptions> tls) {
  return core_->Listen(at, std::move(programs), std::move(accept_filter), std::move(tls));
}

Status RpcServer::Unlisten(const tcp::endpoint& bound) { return core_->Unlisten(bound); }
void RpcServer::Start() { core_->Start(); }
void RpcServer::Stop() { core_->Stop(); }
void RpcServer::ForEachConnection(const std::function<void(Connection&)>& fn) {
  core_->ForEachConnection(fn);
}
size_t RpcServer::connection_count() const { return core_->connection_count(); }

}  // namespace elfs::rpc
