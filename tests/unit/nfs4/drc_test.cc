// The NFSv4.0 duplicate request cache (src/nfs4/drc.h): the cache alone,
// and through Nfs4Program as a client's retransmission reaches it (pynfs
// RPLY14: a replayed CREATE answers OK, not EXIST).
#include "nfs4/drc.h"

#include <boost/asio/ip/address.hpp>

#include "nfs4/program.h"
#include "nfs4_fixture.h"
#include "rpc/connection.h"

namespace elfs::nfs4::test {
namespace {

using Key = DuplicateRequestCache::Key;

Key K(uint32_t xid, std::string client = "10.0.0.1/700", std::string_view args = "args") {
  return DuplicateRequestCache::MakeKey(
      std::move(client), 1, xid, 100003, 4, 1,
      {reinterpret_cast<const uint8_t*>(args.data()), args.size()});
}

std::span<const uint8_t> S(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Drc, HitsOnlyTheSameCallFromTheSameClient) {
  DuplicateRequestCache drc;
  drc.Insert(K(7), S("reply-7"));
  auto hit = drc.Find(K(7));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(std::string(hit->begin(), hit->end()), "reply-7");
  EXPECT_FALSE(drc.Find(K(8)).has_value());                           // another xid
  EXPECT_FALSE(drc.Find(K(7, "10.0.0.2/700")).has_value());           // another client
  EXPECT_FALSE(drc.Find(K(7, "10.0.0.1/701")).has_value());           // another port
  EXPECT_FALSE(drc.Find(K(7, "10.0.0.1/700", "other")).has_value());  // other arguments
}

TEST(Drc, BoundedByEntriesAndBytesOldestFirst) {
  DuplicateRequestCache drc(/*max_entries=*/3, /*max_bytes=*/1600);
  for (uint32_t x = 1; x <= 5; ++x) drc.Insert(K(x), S("r"));
  EXPECT_EQ(drc.size(), 3u);
  EXPECT_FALSE(drc.Find(K(1)).has_value());
  EXPECT_FALSE(drc.Find(K(2)).has_value());
  EXPECT_TRUE(drc.Find(K(5)).has_value());
  // Replies over a sixteenth of the byte budget are not kept.
  const std::string big(101, 'x');
  drc.Insert(K(9), S(big));
  EXPECT_FALSE(drc.Find(K(9)).has_value());
  // Replacing an entry keeps the byte count right.
  drc.Insert(K(5), S("longer reply"));
  drc.Insert(K(5), S("r"));
  EXPECT_EQ(drc.bytes(), 3u);
}

class DrcProgram : public Nfs4Test {
 protected:
  // One COMPOUND through Nfs4Program, as the RPC server calls it.
  Reply Call(const Compound& c, uint32_t xid, uint16_t port = 900) {
    Nfs4Program program(*server_, *exp_);
    rpc::CallContext ctx;
    ctx.xid = xid;
    ctx.prog = kNfsProgram;
    ctx.vers = kNfsVersion;
    ctx.proc = 1;
    ctx.flavor = rpc::kAuthSys;
    namespace ip = boost::asio::ip;
    ctx.connection = std::make_shared<rpc::Connection>(
        1, ip::tcp::endpoint(ip::make_address("192.0.2.7"), port),
        ip::tcp::endpoint(ip::make_address("192.0.2.1"), 2049));
    Bytes args = c.Encode();
    xdr::Buffer out;
    xdr::XdrEncoder enc(out);
    xdr::XdrDecoder dec(args);
    EXPECT_EQ(program.Call(ctx, dec, enc), rpc::AcceptStat::kSuccess);
    return Reply::Parse(Bytes(out.begin(), out.end()));
  }
};

TEST_F(DrcProgram, ReplayedCreateGetsTheFirstReply40) {
  Compound mkdir(0);
  mkdir.PutRootFh().CreateDir("d");
  Reply first = Call(mkdir, 42);
  ASSERT_STATUSES(first, st::OK, st::OK);
  Reply again = Call(mkdir, 42);
  EXPECT_STATUSES(again, st::OK, st::OK);
  EXPECT_EQ(again.bytes, first.bytes);
  // A new call (new xid, or from another port) executes: the dir exists.
  EXPECT_EQ(Call(mkdir, 43).last_status(), st::EXIST);
  EXPECT_EQ(Call(mkdir, 42, 901).last_status(), st::EXIST);
}

TEST_F(DrcProgram, IdempotentAnd41CallsAreNotCached) {
  size_t before = server_->drc().size();
  Call(Compound(0).PutRootFh().GetAttr(Bits({fa::SIZE})), 50);
  EXPECT_EQ(server_->drc().size(), before);
  // 4.1 retransmissions are the session slots' business.
  Call(Compound(1).PutRootFh().CreateDir("x"), 51);
  EXPECT_EQ(server_->drc().size(), before);
}

}  // namespace
}  // namespace elfs::nfs4::test
