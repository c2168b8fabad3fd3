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
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

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
  // Queues one whole RPC message (without its record mark) for writing,
  // from any thread; false if the transport is already going away.
  virtual bool SendFromAnyThread(std::vector<uint8_t> message) = 0;

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

  // The back channel (RFC 8881 section 2.10.3.1): a CALL from the server to
  // the client on this connection. `message` is the whole RPC call message
  // (xid first, from NextCallXid()); `on_reply` is called exactly once:
  // with the REPLY message when one with that xid arrives, or with an empty
  // span when the connection closes first or Cancel() is called. It runs on
  // the connection's I/O strand or the closing thread: keep it short, and
  // do not call back into this Connection from it. Returns false (and never
  // calls `on_reply`) when the connection has no transport or is closed.
  using ReplyHandler = std::function<void(std::span<const uint8_t> reply)>;
  bool SendCall(std::vector<uint8_t> message, ReplyHandler on_reply);
  // An xid for SendCall, distinct among this connection's outgoing calls.
  uint32_t NextCallXid() { return next_xid_.fetch_add(1, std::memory_order_relaxed); }
  // Gives up on an outstanding call (e.g. after a timeout): its handler is
  // called with an empty span now, and a late REPLY is ignored.
  void Cancel(uint32_t xid);
  size_t outstanding_calls() const;

  // Used by the transport when a REPLY arrives: true if it answered an
  // outstanding call (whose handler has then run).
  bool DeliverReply(std::span<const uint8_t> message);

 private:
  friend class detail::ServerConnection;
  void MarkClosed() { closed_.store(true, std::memory_order_release); }

 public:
  // Used by the transport (and by tests with a fake one). The transport
  // must outlive its attachment: it detaches in its destructor.
  void AttachTransport(detail::Transport* t);
  void DetachTransport();
  // Answers every outstanding call with an empty span (connection gone).
  void FailOutstandingCalls();

 private:

  const uint64_t id_;
  const boost::asio::ip::tcp::endpoint remote_, local_;
  std::atomic<bool> closed_{false};
  mutable std::mutex mu_;
  std::shared_ptr<void> attachment_;      // guarded by mu_
  TransportSecurity security_;            // guarded by mu_
  detail::Transport* transport_ = nullptr;  // guarded by mu_
  std::unordered_map<uint32_t, ReplyHandler> outstanding_;  // guarded by mu_
  // Starts away from 0 and from typical client xids, for readable captures.
  std::atomic<uint32_t> next_xid_{0x5ef50000};
};

}  // namespace elfs::rpc
