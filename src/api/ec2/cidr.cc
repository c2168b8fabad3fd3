#include "api/ec2/cidr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace elfs::api::ec2 {
namespace {

// Bits of `a` and `b` agree on the first `prefix` bits.
bool SamePrefix(const IpAddress& a, const IpAddress& b, int prefix) {
  int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.bytes.data(), b.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

}  // namespace

Result<IpAddress> ParseIp(std::string_view text) {
  // inet_pton needs a NUL-terminated string; addresses are short.
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) {
    return Err(Errc::kInvalid, "not an IP address");
  }
  std::string s(text);
  IpAddress ip;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) != 1) {
      return Err(Errc::kInvalid, "not an IPv4 address: " + s);
    }
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) != 1) {
    return Err(Errc::kInvalid, "not an IPv6 address: " + s);
  }
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip.bytes.data(), kMapped, 12) == 0) {
    IpAddress v4;
    std::memcpy(v4.bytes.data(), ip.bytes.data() + 12, 4);
    return v4;
  }
  ip.v6 = true;
  return ip;
}

std::string FormatIp(const IpAddress& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.bytes.data(), buf, sizeof buf);
  return buf;
}

uint32_t V4(const IpAddress& ip) {
  return (uint32_t{ip.bytes[0]} << 24) | (uint32_t{ip.bytes[1]} << 16) |
         (uint32_t{ip.bytes[2]} << 8) | uint32_t{ip.bytes[3]};
}

IpAddress FromV4(uint32_t v) {
  IpAddress ip;
  ip.bytes[0] = static_cast<uint8_t>(v >> 24);
  ip.bytes[1] = static_cast<uint8_t>(v >> 16);
  ip.bytes[2] = static_cast<uint8_t>(v >> 8);
  ip.bytes[3] = static_cast<uint8_t>(v);
  return ip;
}

Result<Cidr> ParseCidr(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return Err(Errc::kInvalid, "not a CIDR block (no /)");
  std::string_view addr = text.substr(0, slash), len = text.substr(slash + 1);
  // "::ffff:1.2.3.4/120" would silently become IPv4: refuse mapped forms.
  if (addr.find(':') != std::string_view::npos && addr.find('.') != std::string_view::npos) {
    return Err(Errc::kInvalid, "IPv4-mapped CIDR blocks are not accepted");
  }
  auto ip = ParseIp(addr);
  if (!ip) return Err(ip.error());
  int prefix = -1;
  auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (ec != std::errc() || p != len.data() + len.size() || len.empty() || len.size() > 3 ||
      prefix < 0 || prefix > static_cast<int>(ip->bits())) {
    return Err(Errc::kInvalid, "bad prefix length");
  }
  Cidr c{*ip, prefix};
  for (size_t bit = prefix; bit < ip->bits(); ++bit) {
    if (ip->bytes[bit / 8] & (0x80 >> (bit % 8))) {
      return Err(Errc::kInvalid, "host bits set in CIDR block");
    }
  }
  return c;
}

std::string FormatCidr(const Cidr& cidr) {
  return FormatIp(cidr.base) + "/" + std::to_string(cidr.prefix);
}

bool Contains(const Cidr& range, const IpAddress& ip) {
  return range.base.v6 == ip.v6 && SamePrefix(range.base, ip, range.prefix);
}

bool Overlaps(const Cidr& a, const Cidr& b) {
  if (a.v6() != b.v6()) return false;
  return SamePrefix(a.base, b.base, std::min(a.prefix, b.prefix));
}

bool Covers(const Cidr& a, const Cidr& b) {
  return a.v6() == b.v6() && a.prefix <= b.prefix && SamePrefix(a.base, b.base, a.prefix);
}

uint32_t FirstV4(const Cidr& range) { return V4(range.base); }

uint32_t LastV4(const Cidr& range) {
  uint32_t host = range.prefix == 0 ? 0xffffffffu : ((1u << (32 - range.prefix)) - 1);
  return V4(range.base) | host;
}

}  // namespace elfs::api::ec2
