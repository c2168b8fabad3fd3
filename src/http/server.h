// An HTTP/1.1 server (Boost.Beast) for the management API: one I/O thread
// accepts and reads, a small worker pool runs the handler (which may block,
// e.g. on fsync), keep-alive and pipelining, size limits, timeouts, a bound
// on concurrent connections, optional TLS (OpenSSL 3).
//
// Lifecycle: Create -> Listen (one or more) -> Start -> Stop. Stop closes the
// listeners and every connection, waits for running handlers and joins all
// threads; the destructor calls Stop.
//
// What the network sends never crashes the server: malformed requests get
// 400, oversized headers 431, oversized bodies 413 (then the connection is
// closed), slow clients are cut off by the timeouts.
//
// Thread safety: Listen, Start and Stop are called from one controlling
// thread. The handler runs on worker threads, concurrently for different
// connections (one request at a time per connection).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/message.h"

namespace elfs::http {

using Handler = std::function<Response(const Request&, const Peer&)>;

struct ServerOptions {
  size_t max_header_bytes = 16 * 1024;  // request line + headers; more -> 431
  size_t max_body_bytes = 1024 * 1024;  // more -> 413
  // From a request's first byte until it is complete (also bounds a TLS
  // handshake and writing a response).
  std::chrono::milliseconds read_timeout{10'000};
  // Waiting for the next request on a kept-alive connection.
  std::chrono::milliseconds idle_timeout{60'000};
  size_t max_connections = 512;  // more are accepted and closed at once
  size_t worker_threads = 4;
  // TLS: both PEM texts set = every listener speaks TLS; both empty = plain.
  std::string tls_certificate_chain_pem;
  std::string tls_private_key_pem;
};

class Server {
 public:
  // Fails (kInvalid) on inconsistent options or a certificate/key that
  // OpenSSL refuses.
  static Result<std::unique_ptr<Server>> Create(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on address:port ("127.0.0.1", "::1", "0.0.0.0"); port 0
  // picks a free one. Returns the bound port. Before Start only.
  Result<uint16_t> Listen(std::string_view address, uint16_t port);
  // Starts the I/O thread and the workers. Once.
  Status Start();
  // Idempotent.
  void Stop();

  // Connections open right now (for tests and metrics).
  size_t ConnectionCount() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace elfs::http
