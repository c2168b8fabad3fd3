// A tiny synchronous RPC-over-TCP client for tests: blocking POSIX socket,
// every wait bounded by a timeout (a broken server fails a test, it never
// hangs it), plus builders for call messages.
//
// Thread safety: one TestClient per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "rpc/wire.h"

namespace elfs::rpc::testing {

using Bytes = std::vector<uint8_t>;
using namespace std::chrono_literals;

class TestClient {
 public:
  // Connects to `to`, optionally from a given local address (port 0 = any).
  static std::unique_ptr<TestClient> Connect(
      const boost::asio::ip::tcp::endpoint& to,
      std::optional<boost::asio::ip::address> from = std::nullopt);
  ~TestClient();

  bool Send(std::span<const uint8_t> bytes);
  // Sends `payload` as one record of a single (last) fragment.
  bool SendRecord(std::span<const uint8_t> payload);
  // Exactly n raw bytes; nullopt on EOF, error or timeout.
  std::optional<Bytes> ReadBytes(size_t n, std::chrono::milliseconds timeout = 5s);
  // The next record, fragments reassembled; nullopt on EOF, error or timeout.
  std::optional<Bytes> ReadRecord(std::chrono::milliseconds timeout = 5s);
  // True if the server closes (EOF or reset) within `timeout` without
  // sending anything first.
  bool WaitForClose(std::chrono::milliseconds timeout = 5s);
  // Whether any byte is readable (or EOF) within `timeout`.
  bool Readable(std::chrono::milliseconds timeout);
  void ShutdownWrite();
  uint16_t local_port() const;
  int fd() const { return fd_; }

 private:
  explicit TestClient(int fd) : fd_(fd) {}
  // Reads exactly out.size() bytes before `deadline`.
  bool ReadExact(std::span<uint8_t> out, std::chrono::steady_clock::time_point deadline);
  int fd_;
};

// Big-endian 32-bit words, for building and checking XDR by hand.
Bytes Words(std::initializer_list<uint32_t> words);
void Append(Bytes& to, std::span<const uint8_t> more);

// A call message: header (verifier AUTH_NONE) followed by `args`.
Bytes MakeCall(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
               uint32_t flavor = kAuthNone, std::span<const uint8_t> cred = {},
               std::span<const uint8_t> args = {});
Bytes AuthSysBody(const AuthSys& cred);

}  // namespace elfs::rpc::testing
