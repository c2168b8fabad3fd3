// ONC RPC v2 server over TCP (RFC 5531): listeners, connections, record
// marking (§11), call dispatch to Programs on a worker pool, replies.
//
// Threads: `io_threads` run Asio (accept, read, parse, write; each connection
// on its own strand); program calls run on an elastic worker pool because
// they block on file I/O. Calls on one connection run concurrently and their
// replies go out in completion order, each written whole. Reading from a
// connection pauses while it has max_inflight_per_connection calls
// unfinished or unsent, or more than max_queued_reply_bytes of replies not
// yet written (a peer that never reads cannot make us buffer without
// bound).
//
// Thread safety: all methods are thread-safe, except that Stop() and the
// destructor must not be called from a Program::Call or an accept filter
// (they wait for those to finish). Stop() waits for calls already running;
// a call that never returns makes Stop() hang.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "common/status.h"
#include "rpc/connection.h"
#include "rpc/program.h"
#include "rpc/tls.h"

namespace elfs::rpc {

struct ServerOptions {
  // SPEC §2: 1 MiB + 4 KiB; a larger record closes the connection.
  size_t max_record_size = (1u << 20) + 4096;
  // Threads the worker pool keeps; 0 = max(8, 2 x cores).
  size_t worker_threads = 0;
  // Backpressure: stop reading while this many calls run or await sending.
  size_t max_inflight_per_connection = 64;

  // Additions beyond the original brief:
  // The pool grows up to this when all workers are busy (blocked calls on
  // one connection must not starve others); 0 = max(256, worker_threads).
  size_t max_worker_threads = 0;
  // Asio threads; 0 = 1, or 2 on machines with 8 cores or more.
  size_t io_threads = 0;
  // Per connection: stop reading while more reply bytes than this wait to
  // be written.
  size_t max_queued_reply_bytes = 8u << 20;
};

namespace detail {
class ServerCore;
}

class RpcServer {
 public:
  explicit RpcServer(ServerOptions options);
  ~RpcServer();  // Stop()
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // Binds and listens; port 0 picks a free port; returns the bound endpoint.
  // accept_filter (may be empty) runs on an I/O thread at accept time with
  // the connection's real remote/local endpoints, before any byte is read;
  // returning false (or throwing) closes the connection. Usable before or
  // after Start(); fails after Stop(). `tls` (may be null: plain RPC only)
  // makes the listener serve TLS too, from the first byte and/or after an
  // RFC 9289 STARTTLS (rpc/tls.h). Errors: kBusy (address in use), kPerm
  // (privileged port), kIo (other socket errors), kUnavailable (stopped),
  // kInvalid (no program table, or tls without a context).
  Result<boost::asio::ip::tcp::endpoint> Listen(
      const boost::asio::ip::tcp::endpoint& at, std::shared_ptr<ProgramTable> programs,
      std::function<bool(const Connection&)> accept_filter = {},
      std::shared_ptr<const TlsOptions> tls = nullptr);

  // Closes the listener bound at `bound` (as Listen returned it) and every
  // connection accepted on it; a mount target being deleted. kNotFound when
  // no such listener.
  Status Unlisten(const boost::asio::ip::tcp::endpoint& bound);

  // Starts the I/O and worker threads and returns. Idempotent; no effect
  // after Stop().
  void Start();
  // Closes listeners and connections, waits for running calls, joins all
  // threads. Idempotent. The server cannot be restarted.
  void Stop();

  // Visits every live connection (e.g. to close the ones a rule change no
  // longer allows). `fn` runs on the calling thread, without server locks
  // held, so it may call Connection::Close().
  void ForEachConnection(const std::function<void(Connection&)>& fn);
  // Number of live connections (for tests and metrics).
  size_t connection_count() const;

 private:
  std::unique_ptr<detail::ServerCore> core_;
};

}  // namespace elfs::rpc
