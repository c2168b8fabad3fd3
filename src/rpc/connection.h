// What the RPC server knows of one TCP connection: its id, endpoints, an
// attachment slot for the layers above (e.g. the NFSv4.1 session a
// connection is bound to) and a way to close it.
//
// A Connection is small and outlives its socket safely: layers above may
// keep shared_ptr<Connection> as long as they like; once the server has let
// go of the socket, Close() only marks it closed.
//
// Thread safety: all methods are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ip/tcp.hpp>

namespace elfs::rpc {

namespace detail {
class ServerConnection;
// How Connection::Close() reaches the socket. Implemented by the server.
class Transport {
 public:
  // Shuts the socket down from any thread; the transport then finishes the
  // close on its own executor.
  virtual void ShutdownFromAnyThread() = 0;

 protected:
  ~Transport() = default;
};
}  // namespace detail

// What the transport established about the peer (SPEC §1.2), set once
// before the first RPC is dispatched and read by the layers above.
struct TransportSecurity {
  bool tls = false;  // TLS from the first byte or after RFC 9289 STARTTLS
  // From an amazon-efs-utils client certificate whose SigV4 Connect
  // signature verified (OIDs 1.3.6.1.4.1.4843.7.1-3); all empty otherwise,
  // and the peer is anonymous.
  std::string access_key_id;
  std::string session_token;
  std::string access_point_id;
  std::string file_system_id;
};

class Connection {
 public:
  // Public so that tests of the layers above can make one; such a
  // Connection has no socket, and Close() just marks it closed.
  Connection(uint64_t id, boost::asio::ip::tcp::endpoint remote,
             boost::asio::ip::tcp::endpoint local)
      : id_(id), remote_(std::move(remote)), local_(std::move(local)) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Unique among the connections of one RpcServer (never reused).
  uint64_t id() const { return id_; }
  const boost::asio::ip::tcp::endpoint& remote() const { return remote_; }
  const boost::asio::ip::tcp::endpoint& local() const { return local_; }

  // Closes the connection (thread-safe, idempotent); pending replies are
  // dropped, calls already running finish but their replies are discarded.
  void Close();
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  // Set by the transport before dispatching the first call.
  void SetSecurity(TransportSecurity s);
  TransportSecurity security() const;

  // A slot for the layer above, set/read under the connection's own lock.
  void SetAttachment(std::shared_ptr<void> a);
  std::shared_ptr<void> attachment() const;

 private:
  friend class detail::ServerConnection;
  // Used by the transport only.
  void AttachTransport(detail::Transport* t);
  void DetachTransport();
  void MarkClosed() { closed_.store(true, std::memory_order_release); }

  const uint64_t id_;
  const boost::asio::ip::tcp::endpoint remote_, local_;
  std::atomic<bool> closed_{false};
  mutable std::mutex mu_;
  std::shared_ptr<void> attachment_;      // guarded by mu_
  TransportSecurity security_;            // guarded by mu_
  detail::Transport* transport_ = nullptr;  // guarded by mu_
};

}  // namespace elfs::rpc
