// The server over real sockets: plain and TLS, keep-alive, pipelining,
// limits, timeouts (slowloris, idle), 100-continue, connection bound,
// concurrency, handler failures, Stop.
#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "test_client.h"

namespace elfs::http {
namespace {

using testing::RawRequest;
using testing::TestClient;
using namespace std::chrono_literals;

// Echoes what it saw: "METHOD target|body|peer" and a header count.
Response Echo(const Request& req, const Peer& peer) {
  Response r;
  r.status = req.target == "/missing" ? 404 : 200;
  r.SetHeader("X-Peer-Tls", peer.tls ? "1" : "0");
  r.SetHeader("X-Peer", peer.address + ":" + std::to_string(peer.port));
  const std::string* h = req.Header("x-test");
  r.SetHeader("X-Test-Seen", h ? *h : "-");
  r.body = req.method + " " + req.target + "|" + req.body;
  return r;
}

struct Running {
  std::unique_ptr<Server> server;
  uint16_t port = 0;
};

Running StartServer(ServerOptions options = {}, Handler handler = Echo) {
  Running r;
  auto s = Server::Create(std::move(options), std::move(handler));
  EXPECT_TRUE(s) << s.error().ToString();
  if (!s) return r;
  r.server = std::move(*s);
  auto port = r.server->Listen("127.0.0.1", 0);
  EXPECT_TRUE(port) << port.error().ToString();
  r.port = *port;
  EXPECT_TRUE(r.server->Start().ok());
  return r;
}

TEST(HttpServer, RequestResponseAndPeer) {
  auto s = StartServer();
  TestClient c(s.port);
  ASSERT_TRUE(c.Send(RawRequest("POST", "/a/b?x=1", "body!", "X-Test: hello\r\n")));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /a/b?x=1|body!");
  EXPECT_EQ(r->headers["x-test-seen"], "hello");
  EXPECT_EQ(r->headers["x-peer-tls"], "0");
  EXPECT_EQ(r->headers["x-peer"].rfind("127.0.0.1:", 0), 0u);
  EXPECT_NE(r->headers["x-peer"], "127.0.0.1:0");
  EXPECT_EQ(r->headers["content-length"], "19");
  ASSERT_TRUE(c.Send(RawRequest("GET", "/missing")));
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(s.server->ConnectionCount(), 1u);
}

TEST(HttpServer, KeepAliveAndConnectionClose) {
  auto s = StartServer();
  TestClient c(s.port);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.Send(RawRequest("GET", "/" + std::to_string(i))));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "GET /" + std::to_string(i) + "|");
  }
  ASSERT_TRUE(c.Send(RawRequest("GET", "/last", "", "Connection: close\r\n")));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->headers["connection"], "close");
  EXPECT_TRUE(c.WaitClosed());
}

TEST(HttpServer, PipelinedRequestsAnsweredInOrder) {
  auto s = StartServer();
  TestClient c(s.port);
  std::string all;
  for (int i = 0; i < 10; ++i) all += RawRequest("POST", "/p" + std::to_string(i), "b" + std::to_string(i));
  ASSERT_TRUE(c.Send(all));
  for (int i = 0; i < 10; ++i) {
    auto r = c.Read();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->body, "POST /p" + std::to_string(i) + "|b" + std::to_string(i));
  }
}

TEST(HttpServer, OversizedHeaderAndBody) {
  ServerOptions o;
  o.max_header_bytes = 1024;
  o.max_body_bytes = 100;
  auto s = StartServer(o);
  {
    TestClient c(s.port);
    ASSERT_TRUE(c.Send(RawRequest("GET", "/", "", "X-Big: " + std::string(2000, 'a') + "\r\n")));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
    EXPECT_TRUE(c.WaitClosed());
  }
  {
    TestClient c(s.port);
    ASSERT_TRUE(c.Send(RawRequest("POST", "/", std::string(101, 'b'))));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_TRUE(c.WaitClosed());
  }
  {
    // Exactly at the limit is fine.
    TestClient c(s.port);
    ASSERT_TRUE(c.Send(RawRequest("POST", "/", std::string(100, 'b'))));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
}

TEST(HttpServer, MalformedRequestsGet400AndClose) {
  auto s = StartServer();
  for (std::string bad : {std::string("NOT HTTP AT ALL\r\n\r\n"),
                          std::string("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
                          std::string("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
                          std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15)}) {
    TestClient c(s.port);
    ASSERT_TRUE(c.Send(bad));
    auto r = c.Read();
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400);
    EXPECT_TRUE(c.WaitClosed());
  }
  // The server still serves.
  TestClient c(s.port);
  ASSERT_TRUE(c.Send(RawRequest("GET", "/ok")));
  ASSERT_TRUE(c.Read());
}

TEST(HttpServer, ExpectContinue) {
  auto s = StartServer();
  TestClient c(s.port);
  ASSERT_TRUE(c.Send("PUT /up HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = c.ReadHead();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->rfind("HTTP/1.1 100 Continue\r\n", 0), 0u);
  ASSERT_TRUE(c.Send("data"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "PUT /up|data");
}

TEST(HttpServer, SlowlorisIsCutOff) {
  ServerOptions o;
  o.read_timeout = 400ms;
  auto s = StartServer(o);
  TestClient c(s.port, false, 3s);
  std::string req = RawRequest("GET", "/slow", "", "X-Pad: " + std::string(50, 'p') + "\r\n");
  auto start = std::chrono::steady_clock::now();
  bool cut = false;
  for (char ch : req) {
    if (!c.Send(std::string(1, ch))) {
      cut = true;
      break;
    }
    std::this_thread::sleep_for(50ms);
    if (std::chrono::steady_clock::now() - start > 2s) break;
  }
  // A byte every 50 ms keeps the socket busy, but the request as a whole
  // must arrive within 400 ms.
  EXPECT_TRUE(cut || c.WaitClosed());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  EXPECT_FALSE(c.Read());
}

TEST(HttpServer, SilentAndIdleConnectionsTimeOut) {
  ServerOptions o;
  o.read_timeout = 300ms;
  o.idle_timeout = 300ms;
  auto s = StartServer(o);
  TestClient silent(s.port, false, 3s);
  TestClient idle(s.port, false, 3s);
  ASSERT_TRUE(idle.Send(RawRequest("GET", "/")));
  ASSERT_TRUE(idle.Read());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.WaitClosed());
  EXPECT_TRUE(idle.WaitClosed());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  for (int i = 0; i < 50 && s.server->ConnectionCount() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(s.server->ConnectionCount(), 0u);
}

TEST(HttpServer, ConnectionBound) {
  ServerOptions o;
  o.max_connections = 3;
  auto s = StartServer(o);
  std::vector<std::unique_ptr<TestClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<TestClient>(s.port));
    ASSERT_TRUE(held.back()->Send(RawRequest("GET", "/")));
    ASSERT_TRUE(held.back()->Read());
  }
  TestClient extra(s.port, false, 2s);
  EXPECT_TRUE(extra.WaitClosed());
  held.pop_back();
  for (int i = 0; i < 100 && s.server->ConnectionCount() >= 3; ++i) std::this_thread::sleep_for(10ms);
  TestClient again(s.port);
  ASSERT_TRUE(again.Send(RawRequest("GET", "/again")));
  auto r = again.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(HttpServer, ManyConcurrentConnections) {
  ServerOptions o;
  o.worker_threads = 4;
  auto s = StartServer(o, [](const Request& req, const Peer& p) {
    std::this_thread::sleep_for(1ms);  // handlers may block
    return Echo(req, p);
  });
  constexpr int kClients = 40, kRequests = 10;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      TestClient c(s.port);
      for (int i = 0; i < kRequests; ++i) {
        std::string target = "/c" + std::to_string(t) + "/" + std::to_string(i);
        if (!c.Send(RawRequest("POST", target, std::string(i * 100, 'x')))) return;
        auto r = c.Read();
        if (r && r->body == "POST " + target + "|" + std::string(i * 100, 'x')) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
}

TEST(HttpServer, HandlerFailuresAndHead) {
  auto s = StartServer({}, [](const Request& req, const Peer& p) -> Response {
    if (req.target == "/throw") throw std::runtime_error("boom");
    return Echo(req, p);
  });
  TestClient c(s.port);
  ASSERT_TRUE(c.Send(RawRequest("GET", "/throw")));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  ASSERT_TRUE(c.Send(RawRequest("HEAD", "/h")));
  r = c.Read(true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->headers["content-length"], "8");  // "HEAD /h|", not sent
  ASSERT_TRUE(c.Send(RawRequest("GET", "/after")));
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "GET /after|");
}

TEST(HttpServer, Tls) {
  auto cert = testing::MakeSelfSigned();
  ServerOptions o;
  o.tls_certificate_chain_pem = cert.certificate_pem;
  o.tls_private_key_pem = cert.private_key_pem;
  auto s = StartServer(o);
  TestClient c(s.port, true);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.Send(RawRequest("POST", "/tls", "secret body")));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "POST /tls|secret body");
    EXPECT_EQ(r->headers["x-peer-tls"], "1");
  }
  // Plain text to a TLS port is not a request.
  TestClient plain(s.port, false, 2s);
  ASSERT_TRUE(plain.Send(RawRequest("GET", "/")));
  EXPECT_FALSE(plain.Read());
}

TEST(HttpServer, CreateAndListenErrors) {
  EXPECT_FALSE(Server::Create({}, nullptr));
  ServerOptions half;
  half.tls_certificate_chain_pem = "x";
  EXPECT_FALSE(Server::Create(half, Echo));
  ServerOptions bad;
  bad.tls_certificate_chain_pem = "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n";
  bad.tls_private_key_pem = "nope";
  EXPECT_FALSE(Server::Create(bad, Echo));
  auto other = testing::MakeSelfSigned();
  ServerOptions mismatch;
  mismatch.tls_certificate_chain_pem = testing::MakeSelfSigned().certificate_pem;
  mismatch.tls_private_key_pem = other.private_key_pem;
  EXPECT_FALSE(Server::Create(mismatch, Echo));
  auto s = Server::Create({}, Echo);
  ASSERT_TRUE(s);
  EXPECT_FALSE((*s)->Listen("not-an-address", 0));
  EXPECT_FALSE((*s)->Start().ok());  // nothing to listen on
}

TEST(HttpServer, StopClosesConnectionsAndWaitsForHandlers) {
  std::atomic<int> finished{0};
  auto s = StartServer({}, [&](const Request& req, const Peer& p) {
    if (req.target == "/slow") std::this_thread::sleep_for(300ms);
    ++finished;
    return Echo(req, p);
  });
  TestClient idle(s.port);
  ASSERT_TRUE(idle.Send(RawRequest("GET", "/")));
  ASSERT_TRUE(idle.Read());
  TestClient busy(s.port);
  ASSERT_TRUE(busy.Send(RawRequest("GET", "/slow")));
  std::this_thread::sleep_for(50ms);
  s.server->Stop();
  EXPECT_EQ(finished.load(), 2);
  EXPECT_TRUE(idle.WaitClosed());
  EXPECT_FALSE(busy.Read());
  s.server->Stop();  // idempotent
  // The listener is gone.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(s.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_NE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
}

}  // namespace
}  // namespace elfs::http
