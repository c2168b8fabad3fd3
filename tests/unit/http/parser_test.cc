// RequestParser without sockets: whole, split and pipelined requests, limits
// and malformed input.
#include "http/parser.h"

#include <gtest/gtest.h>

namespace elfs::http {
namespace {

struct Parsed {
  RequestParser::State state;
  size_t consumed;
};

Parsed FeedAll(RequestParser& p, std::string_view data) {
  size_t consumed = 0;
  auto s = p.Feed(data, &consumed);
  while (s == RequestParser::State::kHeaderDone) {
    size_t more = 0;
    s = p.Feed(data.substr(consumed), &more);
    consumed += more;
  }
  return {s, consumed};
}

TEST(RequestParser, WholeRequest) {
  RequestParser p(16384, 1 << 20);
  std::string raw =
      "POST /2015-02-01/file-systems?a=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\n"
      "Content-Length: 5\r\n\r\nhello";
  auto r = FeedAll(p, raw);
  ASSERT_EQ(r.state, RequestParser::State::kComplete);
  EXPECT_EQ(r.consumed, raw.size());
  Request req = p.Take();
  EXPECT_TRUE(p.KeepAlive());
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/2015-02-01/file-systems?a=1");
  EXPECT_EQ(req.Path(), "/2015-02-01/file-systems");
  EXPECT_EQ(req.body, "hello");
  ASSERT_EQ(req.headers.size(), 4u);
  EXPECT_EQ(req.headers[1], (std::pair<std::string, std::string>{"X-A", "1"}));
  EXPECT_EQ(req.headers[2], (std::pair<std::string, std::string>{"x-a", "2"}));
}

TEST(RequestParser, ByteByByteAndPipelined) {
  std::string one = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string two = "POST /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
  std::string stream = one + two;
  std::string buffer;
  std::vector<Request> got;
  std::vector<bool> keep;
  auto parser = std::make_unique<RequestParser>(16384, 1024);
  for (char c : stream) {
    buffer += c;
    while (true) {
      size_t consumed = 0;
      auto s = parser->Feed(buffer, &consumed);
      buffer.erase(0, consumed);
      ASSERT_NE(s, RequestParser::State::kError);
      if (s == RequestParser::State::kComplete) {
        got.push_back(parser->Take());
        keep.push_back(parser->KeepAlive());
        parser = std::make_unique<RequestParser>(16384, 1024);
        continue;
      }
      if (s == RequestParser::State::kHeaderDone) continue;
      break;
    }
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].target, "/a");
  EXPECT_EQ(got[1].body, "ok");
  EXPECT_TRUE(keep[0]);
  EXPECT_FALSE(keep[1]);
  // Two requests in one buffer: the first stops at its end.
  RequestParser p(16384, 1024);
  auto r = FeedAll(p, stream);
  EXPECT_EQ(r.state, RequestParser::State::kComplete);
  EXPECT_EQ(r.consumed, one.size());
}

TEST(RequestParser, ChunkedBody) {
  RequestParser p(16384, 1024);
  auto r = FeedAll(p, "PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  ASSERT_EQ(r.state, RequestParser::State::kComplete);
  EXPECT_EQ(p.Take().body, "abcde");
}

TEST(RequestParser, ExpectContinue) {
  RequestParser p(16384, 1024);
  size_t consumed = 0;
  std::string head = "PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
  EXPECT_EQ(p.Feed(head, &consumed), RequestParser::State::kHeaderDone);
  EXPECT_EQ(consumed, head.size());
  EXPECT_TRUE(p.ExpectsContinue());
  EXPECT_EQ(p.Feed("abc", &consumed), RequestParser::State::kComplete);
  EXPECT_FALSE(p.ExpectsContinue());
}

TEST(RequestParser, LimitsAndGarbage) {
  struct Case {
    const char* name;
    std::string bytes;
    int status;
  };
  const Case cases[] = {
      {"header too large", "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(300, 'a') + "\r\n\r\n", 431},
      {"header never ends", "GET / HTTP/1.1\r\nX: " + std::string(400, 'a'), 431},
      {"body too large", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n", 413},
      {"chunked too large", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "ff\r\n" + std::string(255, 'a') + "\r\n0\r\n\r\n", 413},
      {"bad request line", "GARBAGE\r\n\r\n", 400},
      {"bad version", "GET / HTTP/9.9x\r\n\r\n", 400},
      {"bad content length", "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400},
      {"two content lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
      {"chunk extension never ends", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "4;" + std::string(400, 'c'), 431},
      {"trailer never ends", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "0\r\nX: " + std::string(400, 't'), 431},
      {"bad chunk", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"nul in header", std::string("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 27), 400},
  };
  for (const Case& c : cases) {
    RequestParser p(256, 100);
    auto r = FeedAll(p, c.bytes);
    EXPECT_EQ(r.state, RequestParser::State::kError) << c.name;
    EXPECT_EQ(p.ErrorStatus(), c.status) << c.name;
    // Once failed, it stays failed.
    size_t consumed = 0;
    EXPECT_EQ(p.Feed("GET / HTTP/1.1\r\n\r\n", &consumed), RequestParser::State::kError);
  }
}

}  // namespace
}  // namespace elfs::http
