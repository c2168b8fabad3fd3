// See server.h. One io_context thread owns every socket, timer and
// connection object; handlers run on a thread pool and hand their response
// back to the io thread, so no connection state is ever shared between
// threads.
#include "http/server.h"

#include <strings.h>

#include <atomic>
#include <optional>
#include <thread>
#include <unordered_map>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include "http/parser.h"

namespace elfs::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void Abort() = 0;
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::unique_ptr<asio::ssl::context> tls;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::unique_ptr<asio::thread_pool> workers;
  std::thread io_thread;
  // Owned by the io thread.
  std::unordered_map<ConnectionBase*, std::weak_ptr<ConnectionBase>> connections;
  std::atomic<size_t> connection_count{0};
  bool started = false;
  bool stopped = false;

  void Accept(tcp::acceptor& acceptor);
  void OnAccepted(tcp::socket socket);
  void Remove(ConnectionBase* c) {
    if (connections.erase(c) > 0) connection_count.fetch_sub(1);
  }
};

namespace {

Peer PeerOf(const tcp::socket& socket, bool tls) {
  Peer peer;
  peer.tls = tls;
  boost::system::error_code ec;
  tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) return peer;
  asio::ip::address a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  peer.address = a.to_string();
  peer.port = ep.port();
  return peer;
}

std::string_view StatusText(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    default: return "Error";
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <class... Args>
  Connection(Server::Impl& server, Peer peer, Args&&... args)
      : server_(server), stream_(std::forward<Args>(args)...), peer_(std::move(peer)) {}

  void Start() {
    Lowest().expires_after(server_.options.read_timeout);
    if constexpr (kTls) {
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->BeginRequest(self->server_.options.read_timeout);
                              });
    } else {
      BeginRequest(server_.options.read_timeout);
    }
  }

  void Abort() override {
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  // wait_first_byte: how long to wait for the request's first byte (the
  // read timeout for a new connection, the idle timeout between requests).
  void BeginRequest(std::chrono::milliseconds wait_first_byte) {
    parser_.emplace(server_.options.max_header_bytes, server_.options.max_body_bytes);
    deadline_ = Clock::now() + wait_first_byte;
    request_started_ = false;
    continue_sent_ = false;
    Process();
  }

  void Process() {
    while (true) {
      size_t consumed = 0;
      auto state = parser_->Feed(buffer_, &consumed);
      buffer_.erase(0, consumed);
      if (!request_started_ && parser_->Started()) StartRequestClock();
      switch (state) {
        case RequestParser::State::kComplete:
          return Dispatch();
        case RequestParser::State::kError:
          return WriteError(parser_->ErrorStatus());
        case RequestParser::State::kHeaderDone:
          if (parser_->ExpectsContinue() && buffer_.empty() && !continue_sent_) {
            return WriteContinue();
          }
          continue;  // body bytes may already be buffered
        case RequestParser::State::kNeedMore:
          return Read();
      }
    }
  }

  void StartRequestClock() {
    request_started_ = true;
    deadline_ = Clock::now() + server_.options.read_timeout;
  }

  void Read() {
    // Before the first byte the waiting deadline stands; after it, the
    // request's deadline (fixed: trickling bytes does not extend it).
    Lowest().expires_at(deadline_);
    stream_.async_read_some(asio::buffer(chunk_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();
                              if (!self->request_started_) self->StartRequestClock();
                              self->buffer_.append(self->chunk_.data(), n);
                              self->Process();
                            });
  }

  void WriteContinue() {
    continue_sent_ = true;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    Lowest().expires_after(server_.options.read_timeout);
    asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->Read();
                      });
  }

  void Dispatch() {
    auto request = std::make_shared<Request>(parser_->Take());
    bool keep_alive = parser_->KeepAlive();
    Lowest().expires_never();
    asio::post(*server_.workers, [self = this->shared_from_this(), request, keep_alive] {
      Response response;
      try {
        response = self->server_.handler(*request, self->peer_);
      } catch (const std::exception& e) {
        spdlog::error("http: handler threw for {} {}: {}", request->method, request->target,
                      e.what());
        response = Response{500, {}, "internal error\n"};
      } catch (...) {
        spdlog::error("http: handler threw for {} {}", request->method, request->target);
        response = Response{500, {}, "internal error\n"};
      }
      bool head = request->method == "HEAD";
      asio::post(self->server_.io, [self, response = std::move(response), keep_alive,
                                    head]() mutable {
        self->WriteResponse(std::move(response), keep_alive, head);
      });
    });
  }

  void WriteResponse(Response r, bool keep_alive, bool head) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    for (auto& [k, v] : r.headers) {
      if (EqualsIgnoreCase(k, "Content-Length")) continue;
      if (EqualsIgnoreCase(k, "Connection") && EqualsIgnoreCase(v, "close")) keep_alive = false;
      res->insert(k, v);
    }
    res->content_length(r.body.size());
    if (!head) res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    Send(res, !keep_alive);
  }

  void WriteError(int status) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(status));
    res->set(bhttp::field::content_type, "text/plain");
    res->body() = std::string(StatusText(status)) + "\n";
    res->content_length(res->body().size());
    res->keep_alive(false);
    Send(res, true);
  }

  void Send(std::shared_ptr<bhttp::response<bhttp::string_body>> res, bool close_after) {
    Lowest().expires_after(server_.options.read_timeout);
    bhttp::async_write(stream_, *res,
                       [self = this->shared_from_this(), res, close_after](beast::error_code ec,
                                                                           size_t) {
                         if (ec) return self->Close();
                         if (close_after) return self->Shutdown();
                         self->BeginRequest(self->server_.options.idle_timeout);
                       });
  }

  void Shutdown() {
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        self->Close();
      });
    } else {
      beast::error_code ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      Close();
    }
  }

  void Close() {
    Lowest().close();
    server_.Remove(this);
  }

  Server::Impl& server_;
  Stream stream_;
  Peer peer_;
  std::string buffer_;  // received, not yet parsed
  std::array<char, 8192> chunk_{};
  std::optional<RequestParser> parser_;
  Clock::time_point deadline_;
  bool request_started_ = false;
  bool continue_sent_ = false;
};

}  // namespace

void Server::Impl::Accept(tcp::acceptor& acceptor) {
  acceptor.async_accept(io, [this, &acceptor](beast::error_code ec,
                                                                 tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors and the like: back off briefly instead of spinning.
      spdlog::warn("http: accept failed: {}", ec.message());
      auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
      timer->async_wait([this, &acceptor, timer](beast::error_code) {
        if (acceptor.is_open()) Accept(acceptor);
      });
      return;
    }
    OnAccepted(std::move(socket));
    Accept(acceptor);
  });
}

void Server::Impl::OnAccepted(tcp::socket socket) {
  if (connection_count.load() >= options.max_connections) {
    beast::error_code ec;
    socket.close(ec);
    return;
  }
  socket.set_option(tcp::no_delay(true));
  std::shared_ptr<ConnectionBase> base;
  if (tls) {
    Peer peer = PeerOf(socket, true);
    auto c = std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
        *this, std::move(peer), std::move(socket), *tls);
    c->Start();
    base = c;
  } else {
    Peer peer = PeerOf(socket, false);
    auto c = std::make_shared<Connection<beast::tcp_stream>>(*this, std::move(peer),
                                                             std::move(socket));
    c->Start();
    base = c;
  }
  connections.emplace(base.get(), base);
  connection_count.fetch_add(1);
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

Result<std::unique_ptr<Server>> Server::Create(ServerOptions options, Handler handler) {
  if (!handler) return Err(Errc::kInvalid, "http server needs a handler");
  if (options.worker_threads == 0 || options.max_connections == 0 ||
      options.max_header_bytes < 64) {
    return Err(Errc::kInvalid, "http server: worker_threads, max_connections and "
                               "max_header_bytes must be positive");
  }
  if (options.tls_certificate_chain_pem.empty() != options.tls_private_key_pem.empty()) {
    return Err(Errc::kInvalid, "http server: TLS needs both a certificate and a private key");
  }
  auto impl = std::make_unique<Impl>();
  if (!options.tls_certificate_chain_pem.empty()) {
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    boost::system::error_code ec;
    ctx->use_certificate_chain(asio::buffer(options.tls_certificate_chain_pem), ec);
    if (ec) return Err(Errc::kInvalid, "http server: bad TLS certificate: " + ec.message());
    ctx->use_private_key(asio::buffer(options.tls_private_key_pem), asio::ssl::context::pem, ec);
    if (ec) return Err(Errc::kInvalid, "http server: bad TLS private key: " + ec.message());
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      return Err(Errc::kInvalid, "http server: TLS private key does not match the certificate");
    }
    impl->tls = std::move(ctx);
  }
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Result<uint16_t> Server::Listen(std::string_view address, uint16_t port) {
  if (impl_->started) return Err(Errc::kInvalid, "http server: Listen after Start");
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(std::string(address), ec);
  if (ec) return Err(Errc::kInvalid, "http server: bad listen address '" + std::string(address) + "'");
  auto acceptor = std::make_unique<tcp::acceptor>(impl_->io);
  tcp::endpoint ep(addr, port);
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Err(Errc::kUnavailable, "http server: cannot listen on " + std::string(address) + ":" +
                                       std::to_string(port) + ": " + ec.message());
  }
  uint16_t bound = acceptor->local_endpoint().port();
  impl_->acceptors.push_back(std::move(acceptor));
  return bound;
}

Status Server::Start() {
  if (impl_->started) return Status::Invalid("http server: already started");
  if (impl_->acceptors.empty()) return Status::Invalid("http server: nothing to listen on");
  impl_->started = true;
  impl_->workers = std::make_unique<asio::thread_pool>(impl_->options.worker_threads);
  impl_->work.emplace(impl_->io.get_executor());
  for (auto& a : impl_->acceptors) impl_->Accept(*a);
  impl_->io_thread = std::thread([this] { impl_->io.run(); });
  return Status::Ok();
}

void Server::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (!impl_->started) return;
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl] {
    for (auto& a : impl->acceptors) {
      boost::system::error_code ec;
      a->close(ec);
    }
    auto connections = impl->connections;  // Abort may remove entries
    for (auto& [ptr, weak] : connections) {
      if (auto c = weak.lock()) c->Abort();
    }
  });
  // Running handlers finish; what they post back fails on closed sockets.
  impl->workers->join();
  impl->work.reset();
  impl->io_thread.join();
  impl->connections.clear();
}

size_t Server::ConnectionCount() const { return impl_->connection_count.load(); }

}  // namespace elfs::http
