// Fuzzes HTTP request parsing exactly as the server drives it, without
// sockets: the byte stream is fed to RequestParser in chunks, pipelined
// requests are taken one after another, an error ends the connection.
//
// Input layout: byte 0 picks the chunk size, byte 1 the limits; the rest is
// what a client sends on one connection.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/parser.h"

#define FUZZ_CHECK(cond)       \
  do {                         \
    if (!(cond)) std::abort(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t chunk = 1 + data[0] % 64;
  const size_t max_header = 64 + (data[1] & 0x0f) * 256;
  const size_t max_body = (data[1] >> 4) * 512;
  std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

  std::string buffer;
  elfs::http::RequestParser parser(max_header, max_body);
  size_t offset = 0;
  int requests = 0;
  while (offset < input.size()) {
    size_t n = std::min(chunk, input.size() - offset);
    buffer.append(input.substr(offset, n));
    offset += n;
    while (true) {
      size_t consumed = 0;
      auto state = parser.Feed(buffer, &consumed);
      FUZZ_CHECK(consumed <= buffer.size());
      buffer.erase(0, consumed);
      if (state == elfs::http::RequestParser::State::kError) {
        int status = parser.ErrorStatus();
        FUZZ_CHECK(status == 400 || status == 413 || status == 431);
        size_t c2 = 0;
        FUZZ_CHECK(parser.Feed("GET / HTTP/1.1\r\n\r\n", &c2) ==
                   elfs::http::RequestParser::State::kError);
        return 0;  // the server answers and closes
      }
      if (state == elfs::http::RequestParser::State::kComplete) {
        elfs::http::Request req = parser.Take();
        FUZZ_CHECK(req.body.size() <= max_body);
        (void)req.Path();
        (void)req.Query();
        (void)req.Header("host");
        ++requests;
        parser = elfs::http::RequestParser(max_header, max_body);
        continue;
      }
      if (state == elfs::http::RequestParser::State::kHeaderDone) {
        (void)parser.ExpectsContinue();
        continue;
      }
      break;  // need more
    }
    // Unparsed bytes never outgrow the header limit plus one chunk.
    FUZZ_CHECK(buffer.size() <= max_header + chunk + max_body + 64);
  }
  return 0;
}
