#include "test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "xdr/xdr.h"

namespace elfs::rpc::testing {

namespace {

socklen_t ToSockaddr(const boost::asio::ip::tcp::endpoint& ep, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  std::memcpy(&ss, ep.data(), ep.size());
  return static_cast<socklen_t>(ep.size());
}

}  // namespace

std::unique_ptr<TestClient> TestClient::Connect(const boost::asio::ip::tcp::endpoint& to,
                                                std::optional<boost::asio::ip::address> from) {
  int fd = ::socket(to.address().is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  if (from) {
    sockaddr_storage ss;
    socklen_t len = ToSockaddr(boost::asio::ip::tcp::endpoint(*from, 0), ss);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      ::close(fd);
      return nullptr;
    }
  }
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(to, ss);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    ::close(fd);
    return nullptr;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::unique_ptr<TestClient>(new TestClient(fd));
}

TestClient::~TestClient() { ::close(fd_); }

bool TestClient::Send(std::span<const uint8_t> bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool TestClient::SendRecord(std::span<const uint8_t> payload) {
  Bytes msg = Words({0x80000000u | static_cast<uint32_t>(payload.size())});
  Append(msg, payload);
  return Send(msg);
}

bool TestClient::ReadExact(std::span<uint8_t> out, std::chrono::steady_clock::time_point deadline) {
  size_t off = 0;
  while (off < out.size()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t n = ::recv(fd_, out.data() + off, out.size() - off, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

std::optional<Bytes> TestClient::ReadBytes(size_t n, std::chrono::milliseconds timeout) {
  Bytes out(n);
  if (!ReadExact(out, std::chrono::steady_clock::now() + timeout)) return std::nullopt;
  return out;
}

std::optional<Bytes> TestClient::ReadRecord(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Bytes record;
  for (;;) {
    uint8_t h[4];
    if (!ReadExact(h, deadline)) return std::nullopt;
    uint32_t mark = (uint32_t{h[0]} << 24) | (uint32_t{h[1]} << 16) | (uint32_t{h[2]} << 8) | h[3];
    size_t at = record.size();
    record.resize(at + (mark & 0x7fffffffu));
    if (!ReadExact({record.data() + at, record.size() - at}, deadline)) return std::nullopt;
    if (mark & 0x80000000u) return record;
  }
}

bool TestClient::Readable(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

bool TestClient::WaitForClose(std::chrono::milliseconds timeout) {
  if (!Readable(timeout)) return false;
  uint8_t b;
  ssize_t n = ::recv(fd_, &b, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

void TestClient::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

uint16_t TestClient::local_port() const {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

Bytes Words(std::initializer_list<uint32_t> words) {
  Bytes out;
  for (uint32_t w : words) {
    out.push_back(static_cast<uint8_t>(w >> 24));
    out.push_back(static_cast<uint8_t>(w >> 16));
    out.push_back(static_cast<uint8_t>(w >> 8));
    out.push_back(static_cast<uint8_t>(w));
  }
  return out;
}

void Append(Bytes& to, std::span<const uint8_t> more) { to.insert(to.end(), more.begin(), more.end()); }

Bytes MakeCall(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc, uint32_t flavor,
               std::span<const uint8_t> cred, std::span<const uint8_t> args) {
  xdr::Buffer buf;
  xdr::XdrEncoder e(buf);
  EncodeCallHeader(xid, prog, vers, proc, flavor, cred, e);
  Bytes out(buf.begin(), buf.end());
  Append(out, args);
  return out;
}

Bytes AuthSysBody(const AuthSys& cred) {
  xdr::Buffer buf;
  xdr::XdrEncoder e(buf);
  EncodeAuthSys(cred, e);
  return Bytes(buf.begin(), buf.end());
}

}  // namespace elfs::rpc::testing
