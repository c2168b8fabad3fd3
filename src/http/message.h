// HTTP messages as the API layer sees them: plain values, no Beast types, so
// services and tests do not depend on the HTTP library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace elfs::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as on the wire: raw path plus "?" and raw query, still percent-encoded
  // Header names as sent (compare case-insensitively), in arrival order,
  // repeated headers kept as separate entries.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Raw (still encoded) path and query parts of target.
  std::string_view Path() const;
  std::string_view Query() const;
  // First header with this name (case-insensitive), or nullptr.
  const std::string* Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added by the server
  std::string body;

  Response& SetHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// Who is on the other end of the connection, as the server saw it.
struct Peer {
  std::string address;  // "127.0.0.1" or "::1"
  uint16_t port = 0;
  bool tls = false;
};

}  // namespace elfs::http
