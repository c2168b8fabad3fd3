// See parser.h.
#include "http/parser.h"

#include <strings.h>

#include <boost/beast/http.hpp>

namespace elfs::http {

namespace bhttp = boost::beast::http;

struct RequestParser::Impl {
  bhttp::request_parser<bhttp::string_body> parser;
  size_t max_header_bytes = 0;
};

RequestParser::RequestParser(size_t max_header_bytes, size_t max_body_bytes)
    : impl_(std::make_unique<Impl>()) {
  impl_->max_header_bytes = max_header_bytes;
  impl_->parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
  impl_->parser.body_limit(max_body_bytes);
  // Parse the body in the same put() as the header when the bytes are there.
  impl_->parser.eager(true);
}

RequestParser::~RequestParser() = default;
RequestParser::RequestParser(RequestParser&&) noexcept = default;
RequestParser& RequestParser::operator=(RequestParser&&) noexcept = default;

RequestParser::State RequestParser::Feed(std::string_view data, size_t* consumed) {
  *consumed = 0;
  if (error_status_ != 0) return State::kError;
  auto& p = impl_->parser;
  while (!p.is_done() && *consumed < data.size()) {
    boost::beast::error_code ec;
    size_t n = p.put(boost::asio::buffer(data.data() + *consumed, data.size() - *consumed), ec);
    *consumed += n;
    if (n > 0) started_ = true;
    if (ec == bhttp::error::need_more) break;
    if (ec) {
      if (ec == bhttp::error::header_limit) {
        error_status_ = 431;
      } else if (ec == bhttp::error::body_limit) {
        error_status_ = 413;
      } else {
        error_status_ = 400;
      }
      return State::kError;
    }
    if (n == 0) break;
  }
  if (p.is_done()) return State::kComplete;
  // Beast bounds the header but not a chunk-size line (chunk extensions) or
  // the trailer of a chunked body (RFC 9112 section 7.1): it waits for the
  // whole line while the caller buffers it. A line longer than the header
  // limit is refused rather than buffered without end.
  if (p.is_header_done() && data.size() - *consumed > impl_->max_header_bytes) {
    error_status_ = 431;
    return State::kError;
  }
  if (p.is_header_done() && !header_reported_) {
    header_reported_ = true;
    return State::kHeaderDone;
  }
  return State::kNeedMore;
}

bool RequestParser::ExpectsContinue() const {
  const auto& p = impl_->parser;
  if (!p.is_header_done() || p.is_done()) return false;
  auto it = p.get().find(bhttp::field::expect);
  if (it == p.get().end()) return false;
  auto v = it->value();
  return v.size() == 12 && ::strncasecmp(v.data(), "100-continue", 12) == 0;
}

Request RequestParser::Take() {
  auto msg = impl_->parser.release();
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& f : msg) {
    req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  req.body = std::move(msg.body());
  keep_alive_ = msg.keep_alive();
  return req;
}

}  // namespace elfs::http
