#include "api/common/ids.h"

#include <ctime>
#include <vector>

#include <fmt/format.h>

namespace elfs::api {
namespace {

std::string FromAlphabet(Random& random, std::string_view alphabet, size_t n) {
  std::vector<uint8_t> bytes(n);
  random.Fill(bytes);
  std::string out;
  out.reserve(n);
  // alphabet sizes here are 16, 32 and 64: powers of two, so no modulo bias.
  for (uint8_t b : bytes) out.push_back(alphabet[b % alphabet.size()]);
  return out;
}

}  // namespace

std::string RandomHex(Random& random, size_t digits) {
  return FromAlphabet(random, "0123456789abcdef", digits);
}

std::string NewResourceId(Random& random, std::string_view prefix) {
  return std::string(prefix) + "-" + RandomHex(random, 17);
}

std::string NewIamId(Random& random, std::string_view prefix, size_t n) {
  // IAM ids use A-Z and 2-7 (base32).
  return std::string(prefix) + FromAlphabet(random, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", n);
}

std::string NewUuid(Random& random) {
  std::string h = RandomHex(random, 32);
  h[12] = '4';
  h[16] = "89ab"[h[16] % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string NewSecretKey(Random& random) {
  return FromAlphabet(random,
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
}

std::string FormatIso8601(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

double EpochSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace elfs::api
