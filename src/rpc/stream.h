// The byte stream under one RPC connection. All socket reads and writes of
// the server go through here: plain TCP, or TLS over the same socket once
// StartTls() has wrapped it (TLS from the first byte, 0x16, or after an
// RFC 9289 STARTTLS). The RPC logic does not know which.
//
// Plain path: handlers go straight to Asio's socket operations, no copy and
// no per-operation allocation beyond Asio's recycled handler memory. TLS
// path: reads go through the SSL stream; a gathered write is first copied
// into one contiguous buffer, because Asio's SSL stream writes one buffer
// per TLS record and a 4-byte record mark must not become its own record.
//
// Thread safety: like an Asio socket: use from the connection's strand only,
// except ShutdownFromAnyThread().
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

namespace elfs::rpc {

class Stream {
 public:
  using tcp = boost::asio::ip::tcp;
  using TlsStream = boost::asio::ssl::stream<tcp::socket>;

  explicit Stream(tcp::socket socket) : socket_(std::move(socket)) {}

  using executor_type = tcp::socket::executor_type;
  executor_type get_executor() { return raw().get_executor(); }

  // Reads at least one byte (or fails): handler(error_code, size_t).
  template <class MutableBuffers, class Handler>
  void AsyncReadSome(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      socket_.async_read_some(buffers, std::forward<Handler>(handler));
    }
  }

  // Writes all of `buffers` (a gathered write) or fails:
  // handler(error_code, size_t). The caller starts the next write only after
  // this one completes, so records never interleave.
  template <class ConstBuffers, class Handler>
  void AsyncWrite(const ConstBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_out_.resize(boost::asio::buffer_size(buffers));
      boost::asio::buffer_copy(boost::asio::buffer(tls_out_), buffers);
      boost::asio::async_write(*tls_, boost::asio::buffer(tls_out_),
                               std::forward<Handler>(handler));
    } else {
      boost::asio::async_write(socket_, buffers, std::forward<Handler>(handler));
    }
  }

  // Waits for the first byte without consuming it: handler(error_code,
  // size_t) with the byte in peeked_byte(). Plain sockets only.
  template <class Handler>
  void AsyncPeekByte(Handler&& handler) {
    socket_.async_receive(boost::asio::buffer(&peek_, 1), tcp::socket::message_peek,
                          std::forward<Handler>(handler));
  }
  uint8_t peeked_byte() const { return peek_; }

  // Wraps the socket in TLS (server side) with `context`, which the stream
  // keeps alive. Nothing may be pending on the socket.
  void StartTls(std::shared_ptr<boost::asio::ssl::context> context) {
    std::lock_guard lock(fd_mu_);
    context_ = std::move(context);
    tls_ = std::make_unique<TlsStream>(std::move(socket_), *context_);
  }
  template <class Handler>
  void AsyncHandshake(Handler&& handler) {
    tls_->async_handshake(boost::asio::ssl::stream_base::server, std::forward<Handler>(handler));
  }
  bool is_tls() const { return tls_ != nullptr; }
  TlsStream* tls() { return tls_.get(); }

  // Closes the socket; pending operations complete with operation_aborted.
  // Errors are ignored (the peer may be gone already). No TLS close_notify:
  // the connection is being dropped, not ended politely.
  void Close() {
    std::lock_guard lock(fd_mu_);
    boost::system::error_code ignored;
    tcp::socket& s = raw();
    s.shutdown(tcp::socket::shutdown_both, ignored);
    s.close(ignored);
  }

  // Thread-safe: shuts the socket down at the OS level so that pending and
  // future operations fail or see EOF on the strand, which then calls
  // Close(). Never touches Asio's per-socket state (not thread-safe); the
  // lock keeps the fd from being closed and reused underneath us.
  void ShutdownFromAnyThread() {
    std::lock_guard lock(fd_mu_);
    tcp::socket& s = raw();
    if (s.is_open()) ::shutdown(s.native_handle(), SHUT_RDWR);
  }

  // For socket options at setup time (strand only).
  tcp::socket& socket() { return raw(); }

 private:
  tcp::socket& raw() { return tls_ ? tls_->next_layer() : socket_; }

  tcp::socket socket_;  // moved into tls_ by StartTls()
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::unique_ptr<TlsStream> tls_;
  std::vector<uint8_t> tls_out_;  // TLS only: the gathered write, contiguous
  uint8_t peek_ = 0;
  std::mutex fd_mu_;  // held while closing, shutting down from outside, wrapping
};

}  // namespace elfs::rpc
