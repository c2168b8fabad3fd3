// The byte stream under one RPC connection. All socket reads and writes of
// the server go through here, so that TLS (RFC 9289, or a ClientHello as the
// first byte, 0x16) can later be slotted in front of the plain socket
// without touching the RPC logic: the TLS variant will wrap the same socket
// and branch in these few methods.
//
// Asynchronous operations complete on the socket's executor (the
// connection's strand). Handlers are passed straight to Asio, so no
// per-operation allocation beyond Asio's recycled handler memory.
//
// Thread safety: like an Asio socket: use from the connection's strand only,
// except ShutdownFromAnyThread().
#pragma once

#include <mutex>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

namespace elfs::rpc {

class Stream {
 public:
  explicit Stream(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

  using executor_type = boost::asio::ip::tcp::socket::executor_type;
  executor_type get_executor() { return socket_.get_executor(); }

  // Reads at least one byte (or fails): handler(error_code, size_t).
  template <class MutableBuffers, class Handler>
  void AsyncReadSome(const MutableBuffers& buffers, Handler&& handler) {
    socket_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  // Writes all of `buffers` (a gathered write) or fails:
  // handler(error_code, size_t). The caller starts the next write only after
  // this one completes, so records never interleave.
  template <class ConstBuffers, class Handler>
  void AsyncWrite(const ConstBuffers& buffers, Handler&& handler) {
    boost::asio::async_write(socket_, buffers, std::forward<Handler>(handler));
  }

  // Closes the socket; pending operations complete with operation_aborted.
  // Errors are ignored (the peer may be gone already).
  void Close() {
    std::lock_guard lock(fd_mu_);
    boost::system::error_code ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  // Thread-safe: shuts the socket down at the OS level so that pending and
  // future operations fail or see EOF on the strand, which then calls
  // Close(). Never touches Asio's per-socket state (not thread-safe); the
  // lock keeps the fd from being closed and reused underneath us.
  void ShutdownFromAnyThread() {
    std::lock_guard lock(fd_mu_);
    if (socket_.is_open()) ::shutdown(socket_.native_handle(), SHUT_RDWR);
  }

  // For socket options at setup time (strand only).
  boost::asio::ip::tcp::socket& socket() { return socket_; }

 private:
  boost::asio::ip::tcp::socket socket_;
  std::mutex fd_mu_;  // held while closing and while shutting down from outside
};

}  // namespace elfs::rpc
