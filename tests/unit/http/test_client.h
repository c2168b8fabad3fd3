// A blocking HTTP/1.1 test client on plain POSIX sockets (receive timeouts
// via SO_RCVTIMEO, so a test never hangs) with optional TLS (OpenSSL), and a
// self-signed certificate made with the OpenSSL API at test time.
//
// Thread safety: one client per thread.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace elfs::http::testing {

struct SelfSigned {
  std::string certificate_pem;
  std::string private_key_pem;
};
// A fresh P-256 key and a one-day certificate for CN=localhost.
SelfSigned MakeSelfSigned();

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

class TestClient {
 public:
  // Connects (and handshakes when tls) or fails the current test.
  TestClient(uint16_t port, bool tls = false,
             std::chrono::milliseconds recv_timeout = std::chrono::seconds(5));
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // False when the peer has closed or the send failed.
  bool Send(const std::string& bytes);
  // The next response; nullopt on EOF, timeout or garbage. head_request:
  // the response has no body whatever Content-Length says.
  std::optional<ClientResponse> Read(bool head_request = false);
  // Reads until "\r\n\r\n" (raw), for interim 100 Continue answers.
  std::optional<std::string> ReadHead();
  // True when the server has closed the connection (EOF or reset) within
  // the receive timeout; consumes nothing else meaningful.
  bool WaitClosed();

 private:
  // Up to n bytes into buf; 0 = EOF/error/timeout.
  long RecvSome(char* buf, size_t n);
  bool Fill();

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

// "METHOD target HTTP/1.1\r\nHost: t\r\n" + extra + Content-Length + body.
std::string RawRequest(const std::string& method, const std::string& target,
                       const std::string& body = "", const std::string& extra_headers = "");

}  // namespace elfs::http::testing
