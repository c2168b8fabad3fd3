// Incremental HTTP/1.1 request parsing, separated from sockets so the
// server and the fuzzer run exactly the same code. Wraps Beast's
// request_parser with the server's limits and turns the result into an
// http::Request.
//
// Thread safety: one RequestParser per connection; not shared.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "http/message.h"

namespace elfs::http {

class RequestParser {
 public:
  enum class State {
    kNeedMore,      // feed more bytes
    kHeaderDone,    // headers complete, body still to come (check ExpectsContinue)
    kComplete,      // a whole request is ready: Take() it
    kError,         // ErrorStatus() says which answer to send; then close
  };

  RequestParser(size_t max_header_bytes, size_t max_body_bytes);
  ~RequestParser();
  RequestParser(RequestParser&&) noexcept;
  RequestParser& operator=(RequestParser&&) noexcept;

  // Consumes a prefix of data; *consumed says how much. Bytes after a
  // complete request are not consumed (pipelining: feed them to the next
  // parser). Call again with the unconsumed rest plus new bytes while the
  // state is kNeedMore or kHeaderDone.
  State Feed(std::string_view data, size_t* consumed);
  // The client sent "Expect: 100-continue" and a body is still due.
  bool ExpectsContinue() const;
  // After kComplete: the request (moves it out; once).
  Request Take();
  // After Take(): whether the client wants the connection kept open.
  bool KeepAlive() const { return keep_alive_; }
  // After kError: 400 (malformed), 413 (body too large), 431 (header too
  // large).
  int ErrorStatus() const { return error_status_; }
  // True once any byte of a request has been consumed.
  bool Started() const { return started_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int error_status_ = 0;
  bool started_ = false;
  bool header_reported_ = false;
  bool keep_alive_ = false;
};

}  // namespace elfs::http
