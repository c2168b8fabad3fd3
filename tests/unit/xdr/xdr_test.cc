#include "xdr/xdr.h"

#include <gtest/gtest.h>

namespace elfs::xdr {
namespace {

TEST(XdrEncoder, GoldenBytes) {
  Buffer buf;
  XdrEncoder e(buf);
  e.U32(0x01020304);
  e.U64(0x0a0b0c0d0e0f1011ull);
  e.Bool(true);
  e.String("abcde");
  e.I32(-2);
  const std::vector<uint8_t> want = {
      0x01, 0x02, 0x03, 0x04,                          // u32
      0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,  // u64
      0x00, 0x00, 0x00, 0x01,                          // bool
      0x00, 0x00, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e', 0, 0, 0,  // string + pad
      0xff, 0xff, 0xff, 0xfe,                          // int -2
  };
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.end()), want);
}

TEST(XdrDecoder, RoundTrip) {
  Buffer buf;
  XdrEncoder e(buf);
  e.U32(7);
  e.U64(~0ull);
  e.String("hello");
  const uint8_t raw[3] = {1, 2, 3};
  e.Opaque(raw);
  XdrDecoder d({buf.data(), buf.size()});
  EXPECT_EQ(d.U32(), 7u);
  EXPECT_EQ(d.U64(), ~0ull);
  EXPECT_EQ(d.String(16), "hello");
  auto o = d.Opaque(16);
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o[2], 3);
  EXPECT_TRUE(d.ok());
  EXPECT_EQ(d.remaining(), 0u);
}

TEST(XdrDecoder, ShortInputIsSticky) {
  const uint8_t raw[6] = {0, 0, 0, 1, 0, 0};
  XdrDecoder d(raw);
  EXPECT_EQ(d.U32(), 1u);
  EXPECT_EQ(d.U32(), 0u);
  EXPECT_FALSE(d.ok());
  EXPECT_EQ(d.U32(), 0u);  // stays failed
  EXPECT_EQ(d.remaining(), 0u);
}

TEST(XdrDecoder, OverLimitLengthFails) {
  Buffer buf;
  XdrEncoder e(buf);
  e.String("toolong");
  XdrDecoder d({buf.data(), buf.size()});
  d.String(3);
  EXPECT_FALSE(d.ok());
}

TEST(XdrDecoder, HugeLengthDoesNotOverflow) {
  const uint8_t raw[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  XdrDecoder d(raw);
  d.Opaque(~size_t{0});
  EXPECT_FALSE(d.ok());
}

TEST(XdrDecoder, BoolMustBeZeroOrOne) {
  const uint8_t raw[4] = {0, 0, 0, 2};
  XdrDecoder d(raw);
  d.Bool();
  EXPECT_FALSE(d.ok());
}

TEST(XdrDecoder, ArrayLengthBoundedByRemainingBytes) {
  const uint8_t raw[8] = {0, 0, 0, 100, 0, 0, 0, 0};
  XdrDecoder d(raw);
  d.ArrayLength(1000);
  EXPECT_FALSE(d.ok());
}

TEST(XdrEncoder, ReserveAndPatch) {
  Buffer buf;
  XdrEncoder e(buf);
  size_t at = e.Reserve32();
  e.U32(9);
  e.Patch32(at, 1);
  XdrDecoder d({buf.data(), buf.size()});
  EXPECT_EQ(d.U32(), 1u);
  EXPECT_EQ(d.U32(), 9u);
}

TEST(XdrEncoder, AppendRawThenShrinkPads) {
  Buffer buf;
  XdrEncoder e(buf);
  auto raw = e.AppendRaw(10);
  ASSERT_EQ(raw.size(), 10u);
  raw[0] = 'x';
  e.ShrinkRaw(raw, 5);
  EXPECT_EQ(buf.size(), 8u);
  EXPECT_EQ(buf[5], 0);
  EXPECT_EQ(buf[7], 0);
}

}  // namespace
}  // namespace elfs::xdr
