// RecordParser: RFC 5531 §11 record marking, fed byte streams by hand.
#include "rpc/record.h"

#include <gtest/gtest.h>

#include <numeric>

#include "test_client.h"

namespace elfs::rpc {
namespace {

using testing::Append;
using testing::Bytes;
using testing::Words;

Bytes Fragment(std::span<const uint8_t> body, bool last) {
  Bytes out = Words({(last ? kLastFragment : 0u) | static_cast<uint32_t>(body.size())});
  Append(out, body);
  return out;
}

Bytes Iota(size_t n, uint8_t start = 0) {
  Bytes b(n);
  std::iota(b.begin(), b.end(), start);
  return b;
}

// Feeds `stream` in chunks of `chunk` bytes; returns the records.
std::vector<Bytes> ParseAll(RecordParser& p, std::span<const uint8_t> stream, size_t chunk) {
  std::vector<Bytes> out;
  size_t off = 0;
  while (off < stream.size()) {
    size_t n = std::min(chunk, stream.size() - off);
    auto used = p.Consume(stream.subspan(off, n));
    EXPECT_TRUE(used.has_value());
    if (!used) return out;
    off += *used;
    if (p.record_ready()) {
      xdr::Buffer rec;
      p.TakeRecord(rec);
      out.emplace_back(rec.begin(), rec.end());
    }
  }
  return out;
}

TEST(RecordMark, Encodes) {
  EXPECT_EQ(RecordMark(0x28), (std::array<uint8_t, 4>{0x80, 0, 0, 0x28}));
  EXPECT_EQ(RecordMark(0x01020304, false), (std::array<uint8_t, 4>{0x01, 0x02, 0x03, 0x04}));
}

TEST(RecordParser, SingleFragment) {
  RecordParser p(1024);
  Bytes body = Iota(40);
  Bytes stream = Fragment(body, true);
  auto recs = ParseAll(p, stream, stream.size());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0], body);
  EXPECT_FALSE(p.mid_record());
}

TEST(RecordParser, FragmentsReassembledAtEveryChunkSize) {
  Bytes a = Iota(5, 0), b = Iota(0), c = Iota(11, 100), d = Iota(8, 200);
  Bytes stream = Fragment(a, false);
  Append(stream, Fragment(b, false));  // empty middle fragment is legal
  Append(stream, Fragment(c, true));
  Append(stream, Fragment(d, true));  // a second record
  Bytes want1 = a;
  Append(want1, c);
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    RecordParser p(64);
    auto recs = ParseAll(p, stream, chunk);
    ASSERT_EQ(recs.size(), 2u) << "chunk " << chunk;
    EXPECT_EQ(recs[0], want1) << "chunk " << chunk;
    EXPECT_EQ(recs[1], d) << "chunk " << chunk;
  }
}

TEST(RecordParser, StopsAtRecordBoundary) {
  RecordParser p(64);
  Bytes stream = Fragment(Iota(4), true);
  Append(stream, Fragment(Iota(4, 9), true));
  auto used = p.Consume(stream);
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(*used, 8u);
  EXPECT_TRUE(p.record_ready());
  // Nothing more is consumed until the record is taken.
  EXPECT_EQ(*p.Consume(std::span(stream).subspan(8)), 0u);
}

TEST(RecordParser, EmptyRecord) {
  RecordParser p(64);
  Bytes stream = Words({kLastFragment});
  auto recs = ParseAll(p, stream, 4);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].empty());
}

TEST(RecordParser, RecordAtLimitAccepted) {
  RecordParser p(16);
  Bytes stream = Fragment(Iota(8), false);
  Append(stream, Fragment(Iota(8), true));
  EXPECT_EQ(ParseAll(p, stream, 3).size(), 1u);
}

TEST(RecordParser, OversizedSingleFragmentRejectedAtHeader) {
  RecordParser p(16);
  Bytes header = Words({kLastFragment | 17});
  auto r = p.Consume(header);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::kTooBig);
  // The parser stays failed.
  EXPECT_FALSE(p.Consume(header).has_value());
}

TEST(RecordParser, OversizedAcrossFragmentsRejected) {
  RecordParser p(16);
  Bytes stream = Fragment(Iota(10), false);
  Append(stream, Words({kLastFragment | 7}));  // 10 + 7 > 16
  auto r = p.Consume(stream);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::kTooBig);
}

TEST(RecordParser, HugeFragmentHeaderCostsNoMemory) {
  RecordParser p(size_t{1} << 40);  // limit effectively off
  auto r = p.Consume(Words({kLastFragment | kMaxFragmentLength}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(p.body_remaining(), kMaxFragmentLength);
  EXPECT_TRUE(p.record().empty());
  EXPECT_TRUE(p.mid_record());
}

TEST(RecordParser, MidRecordTracksPartialInput) {
  RecordParser p(64);
  EXPECT_FALSE(p.mid_record());
  ASSERT_TRUE(p.Consume(Bytes{0x80}).has_value());
  EXPECT_TRUE(p.mid_record());
}

TEST(RecordParser, DirectWindowReadsBodyInPlace) {
  RecordParser p(1 << 20);
  Bytes body = Iota(100);
  ASSERT_TRUE(p.Consume(Words({kLastFragment | 100})).has_value());
  ASSERT_TRUE(p.Consume(std::span(body).first(10)).has_value());
  EXPECT_EQ(p.body_remaining(), 90u);

  auto w = p.DirectWindow(64);
  ASSERT_EQ(w.size(), 64u);
  std::copy_n(body.begin() + 10, 30, w.begin());  // a short read: 30 of 64
  p.CommitDirect(30);
  EXPECT_EQ(p.body_remaining(), 60u);

  w = p.DirectWindow(1000);
  ASSERT_EQ(w.size(), 60u);  // never past the fragment
  std::copy_n(body.begin() + 40, 60, w.begin());
  p.CommitDirect(60);
  ASSERT_TRUE(p.record_ready());
  xdr::Buffer rec;
  p.TakeRecord(rec);
  EXPECT_EQ(Bytes(rec.begin(), rec.end()), body);
  // Between records there is no body to read into.
  EXPECT_TRUE(p.DirectWindow(64).empty());
  p.CommitDirect(5);  // without an open window: no effect
  EXPECT_FALSE(p.record_ready());
  EXPECT_FALSE(p.mid_record());
}

TEST(RecordParser, BufferCapacityCirculates) {
  RecordParser p(1 << 20);
  Bytes stream = Fragment(Iota(200), true);
  xdr::Buffer mine;
  mine.reserve(4096);
  const uint8_t* my_storage = mine.data();
  ASSERT_TRUE(p.Consume(stream).has_value());
  p.TakeRecord(mine);  // parser now owns the 4096-byte buffer
  ASSERT_TRUE(p.Consume(stream).has_value());
  EXPECT_EQ(p.record().data(), my_storage);
}

}  // namespace
}  // namespace elfs::rpc
