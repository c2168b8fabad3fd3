// IPv4 and IPv6 addresses and CIDR blocks as EC2 uses them (VPC and subnet
// ranges, security group and network ACL peers, client source addresses).
//
// Thread safety: plain values.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace elfs::api::ec2 {

struct IpAddress {
  bool v6 = false;
  // Network byte order; an IPv4 address uses bytes[0..3] and the rest is 0.
  std::array<uint8_t, 16> bytes{};

  size_t bits() const { return v6 ? 128 : 32; }
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

// "10.0.0.5" or "2001:db8::1". An IPv4-mapped IPv6 address
// ("::ffff:10.0.0.5", what a dual-stack socket reports for an IPv4 peer) is
// returned as the IPv4 address, so rules see one form.
Result<IpAddress> ParseIp(std::string_view text);
std::string FormatIp(const IpAddress& ip);

// IPv4 as a host-order integer (REQUIRES: !ip.v6) and back.
uint32_t V4(const IpAddress& ip);
IpAddress FromV4(uint32_t v);

struct Cidr {
  IpAddress base;  // the network address (host bits zero)
  int prefix = 0;  // 0..32 or 0..128

  bool v6() const { return base.v6; }
  friend bool operator==(const Cidr&, const Cidr&) = default;
};

// "10.0.0.0/16", "::/0". Host bits must be zero ("10.0.0.1/16" is an error:
// EC2 names ranges by their network address and a typo should not silently
// widen or shift a rule). IPv4-mapped forms are not accepted here.
Result<Cidr> ParseCidr(std::string_view text);
std::string FormatCidr(const Cidr& cidr);

// False when the families differ.
bool Contains(const Cidr& range, const IpAddress& ip);
bool Overlaps(const Cidr& a, const Cidr& b);
// b lies entirely inside a (same family).
bool Covers(const Cidr& a, const Cidr& b);

// IPv4 only (REQUIRES: !range.v6()): the first and the last address.
uint32_t FirstV4(const Cidr& range);
uint32_t LastV4(const Cidr& range);

}  // namespace elfs::api::ec2
