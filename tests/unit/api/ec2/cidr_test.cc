#include "api/ec2/cidr.h"

#include <gtest/gtest.h>

namespace elfs::api::ec2 {
namespace {

IpAddress Ip(const char* s) { return *ParseIp(s); }
Cidr C(const char* s) { return *ParseCidr(s); }

TEST(Cidr, ParsesAndFormatsAddresses) {
  EXPECT_EQ(FormatIp(Ip("10.0.0.5")), "10.0.0.5");
  EXPECT_EQ(FormatIp(Ip("2001:db8::1")), "2001:db8::1");
  EXPECT_FALSE(Ip("10.0.0.5").v6);
  EXPECT_TRUE(Ip("::1").v6);
  // A dual-stack socket's view of an IPv4 peer is the IPv4 address.
  EXPECT_EQ(Ip("::ffff:127.31.0.9"), Ip("127.31.0.9"));
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "1.2.3.4.5", "abc", "::g", "10.0.0.1 ",
                          "999999999999999999999999999999999999999999999999999"}) {
    EXPECT_FALSE(ParseIp(bad)) << bad;
  }
  EXPECT_EQ(V4(Ip("1.2.3.4")), 0x01020304u);
  EXPECT_EQ(FromV4(0x7f1f0004u), Ip("127.31.0.4"));
}

TEST(Cidr, ParsesBlocksStrictly) {
  EXPECT_EQ(FormatCidr(C("10.0.0.0/16")), "10.0.0.0/16");
  EXPECT_EQ(FormatCidr(C("0.0.0.0/0")), "0.0.0.0/0");
  EXPECT_EQ(FormatCidr(C("::/0")), "::/0");
  EXPECT_EQ(FormatCidr(C("2001:db8::/32")), "2001:db8::/32");
  EXPECT_EQ(C("10.0.0.7/32").prefix, 32);
  for (const char* bad : {"10.0.0.0", "10.0.0.1/16", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/",
                          "10.0.0.0/1x", "2001:db8::1/64", "::/129", "::ffff:10.0.0.0/104",
                          "/16"}) {
    EXPECT_FALSE(ParseCidr(bad)) << bad;
  }
}

TEST(Cidr, ContainsAndOverlaps) {
  struct Case {
    const char* range;
    const char* ip;
    bool in;
  } cases[] = {
      {"10.0.0.0/16", "10.0.0.0", true},       {"10.0.0.0/16", "10.0.255.255", true},
      {"10.0.0.0/16", "10.1.0.0", false},      {"10.0.0.0/16", "9.255.255.255", false},
      {"0.0.0.0/0", "255.255.255.255", true},  {"10.0.0.7/32", "10.0.0.7", true},
      {"10.0.0.7/32", "10.0.0.8", false},      {"10.0.0.0/25", "10.0.0.127", true},
      {"10.0.0.0/25", "10.0.0.128", false},    {"0.0.0.0/0", "::1", false},
      {"::/0", "10.0.0.1", false},             {"::/0", "2001:db8::1", true},
      {"2001:db8::/32", "2001:db9::1", false}, {"2001:db8::/127", "2001:db8::1", true},
      {"2001:db8::/128", "2001:db8::1", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Contains(C(c.range), Ip(c.ip)), c.in) << c.range << " " << c.ip;
  }
  EXPECT_TRUE(Overlaps(C("10.0.0.0/16"), C("10.0.5.0/24")));
  EXPECT_TRUE(Overlaps(C("10.0.5.0/24"), C("10.0.0.0/16")));
  EXPECT_FALSE(Overlaps(C("10.0.0.0/24"), C("10.0.1.0/24")));
  EXPECT_FALSE(Overlaps(C("0.0.0.0/0"), C("::/0")));
  EXPECT_TRUE(Covers(C("10.0.0.0/16"), C("10.0.16.0/20")));
  EXPECT_FALSE(Covers(C("10.0.16.0/20"), C("10.0.0.0/16")));
  EXPECT_FALSE(Covers(C("10.0.0.0/16"), C("10.1.0.0/20")));
  EXPECT_EQ(LastV4(C("127.31.0.0/20")), V4(Ip("127.31.15.255")));
  EXPECT_EQ(LastV4(C("0.0.0.0/0")), 0xffffffffu);
  EXPECT_EQ(FirstV4(C("127.31.16.0/20")), V4(Ip("127.31.16.0")));
}

}  // namespace
}  // namespace elfs::api::ec2
