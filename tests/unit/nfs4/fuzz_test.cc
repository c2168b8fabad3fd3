// A short deterministic fuzz loop: random mutations of valid COMPOUNDs
// (4.0 and 4.1) go to ProcessCompound. The server must never crash or hang
// (SPEC section 2: hostile input gets the RFC's error), and every reply it
// gives must be a well-formed COMPOUND4res whose status is its last
// operation's (RFC 8881 section 16.2.3).
#include <cstdlib>
#include <random>

#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class Fuzz : public Nfs4Test {
 protected:
  void SetUp() override {
    MakeDir("rd");
    for (int i = 0; i < 20; ++i) MakeFile("rd/e" + std::to_string(i), "x");
    MakeDir("fz", 0777);
    MakeFile("f", "0123456789abcdef", 0666);
    MakeSymlink("l", "f");
    fh_f_ = Fh("f");
    fh_rd_ = Fh("rd");
    fh_fz_ = Fh("fz");
  }

  // A valid compound from the corpus; `i` makes names and owners unique.
  Compound Seed(int kind, int i, Session41& s, uint32_t slot);

  Bytes fh_f_, fh_rd_, fh_fz_;
  Client40 c40_;
};

Compound Fuzz::Seed(int kind, int i, Session41& s, uint32_t slot) {
  std::string n = "n" + std::to_string(i);
  Verifier8 v{static_cast<uint8_t>(i), 1, 2, 3, 4, 5, 6, 7};
  Verifier8 zero{};
  switch (kind) {
    case 0:
      return Compound(0).PutRootFh().Lookup("rd").ReadDir(0, zero, 512, 2048,
                                                          Bits({fa::TYPE, fa::SIZE, fa::FILEHANDLE,
                                                                fa::OWNER, fa::MODE}));
    case 1:
      return Compound(0)
          .PutFh(fh_f_)
          .Read(Stateid4::Anonymous(), 2, 8)
          .Write(Stateid4::Anonymous(), 4, UNSTABLE4, ToBytes("fuzzdata"))
          .Commit(0, 0)
          .GetAttr(Bits({fa::SUPPORTED_ATTRS, fa::CHANGE, fa::SIZE, fa::FSID, fa::TIME_MODIFY,
                         fa::SPACE_USED, fa::MOUNTED_ON_FILEID}));
    case 2:
      return Compound(0)
          .PutFh(fh_fz_)
          .CreateDir(n, Fattr().Mode(0755))
          .GetFh()
          .PutFh(fh_fz_)
          .CreateSymlink(n + "l", "target")
          .PutFh(fh_fz_)
          .SaveFh()
          .Rename(n, n + "r")
          .RestoreFh()
          .Remove(n + "r");
    case 3:
      return Compound(0)
          .PutFh(fh_f_)
          .SetAttr(Stateid4(), Fattr().Mode(0666).Size(16).MtimeClient(5, 6).AtimeServer())
          .Verify(Fattr().Size(16))
          .NVerify(Fattr().Mode(0600))
          .Access(0x3f)
          .SaveFh()
          .PutFh(fh_fz_)
          .Link(n + "h");
    case 4:
      return Compound(0).SetClientId(v, "fuzz-client").SetClientIdConfirm(c40_.clientid, v).Renew(
          c40_.clientid);
    case 5: {
      OpenArgs a{.seqid = 1, .access = SHARE_ACCESS_BOTH, .clientid = c40_.clientid,
                 .owner = "o" + n, .create = true, .attrs = Fattr().Mode(0644), .name = n};
      return Compound(0).PutFh(fh_fz_).Open(a).OpenConfirm(Stateid4::Current(), 2).Close(
          3, Stateid4::Current());
    }
    case 6:
      return Compound(0)
          .PutRootFh()
          .SecInfo("f")
          .PutPubFh()
          .Lookup("l")
          .ReadLink()
          .PutFh(fh_rd_)
          .LookupP()
          .Op(9999, WireOut().U32(1).bytes());
    case 7: {
      Compound c = SequenceFor(s, slot, i % 2 == 0);
      OpenArgs a{.access = SHARE_ACCESS_BOTH, .deny = SHARE_DENY_WRITE, .owner = "o" + n,
                 .create = true, .createmode = EXCLUSIVE4_1, .attrs = Fattr().Mode(0600),
                 .verifier = v, .name = n};
      c.PutFh(fh_fz_)
          .Open(a)
          .Write(Stateid4::Current(), 0, FILE_SYNC4, ToBytes("abc"))
          .Read(Stateid4::Current(), 0, 100)
          .OpenDowngrade(Stateid4::Current(), 0, SHARE_ACCESS_READ, 0)
          .Close(0, Stateid4::Current());
      return c;
    }
    case 8: {
      Compound c = SequenceFor(s, slot, true);
      c.TestStateid({Stateid4::Anonymous(), Stateid4::Current()})
          .FreeStateid(Stateid4::Bypass())
          .ReclaimComplete(true)
          .PutRootFh()
          .SecInfoNoName(SECINFO_STYLE4_CURRENT_FH);
      return c;
    }
    case 9:
      // A few owners only: unconfirmed records are bounded per server (see
      // OpExchangeId.UnconfirmedRecordsCannotLockOutNewClients).
      return Compound(1).ExchangeId(v, "fuzz41-" + std::to_string(i % 16), 0);
    case 10:
      return Compound(1).CreateSession(s.clientid, 1000 + i);
    case 11: {
      SessionId16 bogus{};
      bogus.fill(static_cast<uint8_t>(i));
      return Compound(1).DestroySession(bogus);
    }
    default: {
      Compound c = SequenceFor(s, slot, false);
      c.DestroyClientId(12345).PutRootFh().Lookup("rd").Open(
          OpenArgs{.owner = "x", .claim = CLAIM_FH});
      return c;
    }
  }
}

void Mutate(Bytes& b, std::mt19937& rng) {
  static const uint32_t kInteresting[] = {0,          1,          2,          3,
                                          4,          0x7f,       0x80,       0xff,
                                          0x100,      0x3ff,      0x400,      0x401,
                                          0xffff,     0x10000,    0x100000,   0x100001,
                                          0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
                                          10044,      53,         18,         1};
  // Mostly one mutation, sometimes a few; weighted towards the ones that
  // keep the request decodable far enough to reach the handlers.
  int n = rng() % 8 == 0 ? 2 + static_cast<int>(rng() % 3) : 1;
  for (int k = 0; k < n; ++k) {
    if (b.empty()) b.push_back(0);
    size_t at = rng() % b.size();
    size_t aligned = at & ~size_t{3};
    uint32_t pick = rng() % 100;
    if (pick < 30) {
      b[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
    } else if (pick < 50) {
      b[at] = static_cast<uint8_t>(rng());
    } else if (pick < 80) {
      if (aligned + 4 <= b.size()) {
        uint32_t v = kInteresting[rng() % (sizeof kInteresting / sizeof kInteresting[0])];
        for (int j = 0; j < 4; ++j) b[aligned + j] = static_cast<uint8_t>(v >> (24 - 8 * j));
      }
    } else if (pick < 87) {
      Bytes ins(4);
      for (auto& x : ins) x = static_cast<uint8_t>(rng());
      b.insert(b.begin() + aligned, ins.begin(), ins.end());
    } else if (pick < 94) {
      if (aligned + 4 <= b.size()) b.erase(b.begin() + aligned, b.begin() + aligned + 4);
    } else {
      b.resize(at);
    }
  }
}

TEST_F(Fuzz, RandomMutationsNeverCrashAndAlwaysGiveAWellFormedReply) {
  std::mt19937 rng(0xE1F5);
  c40_ = NewClient40("fuzz-client");
  Session41 s = NewSession("fuzz41");
  int header_refused = 0, bad_replies = 0, status_mismatch = 0, seq_ok = 0, deep = 0;
  std::map<std::string, std::string> bad;  // reply error -> first example
  // ELFS_NFS4_FUZZ_ITERATIONS runs a longer loop locally (e.g. under ASan).
  const char* env = std::getenv("ELFS_NFS4_FUZZ_ITERATIONS");
  const int kIterations = env ? std::max(1, std::atoi(env)) : 20000;
  for (int i = 0; i < kIterations; ++i) {
    if (i % 2000 == 1999) s = NewSession("fuzz41-" + std::to_string(i));
    uint32_t slot = rng() % static_cast<uint32_t>(s.slot_seq.size());
    int kind = static_cast<int>(rng() % 13);
    const std::vector<uint32_t> saved = s.slot_seq;
    Compound c = Seed(kind, i, s, slot);
    Bytes args = c.Encode();
    bool mutated = rng() % 16 != 0;  // some stay valid, to move state on
    if (mutated) Mutate(args, rng);
    bool ok = false;
    Bytes out = RunBytes(args, i % 3 ? User() : Root(), &ok);
    s.slot_seq = saved;  // SequenceFor advanced it; only a success moves it on
    if (!ok) {
      ++header_refused;
      continue;
    }
    Reply r = Reply::Parse(out);
    if (!r.parsed) {
      ++bad_replies;
      bad.emplace(r.error, "kind " + std::to_string(kind) + " iteration " + std::to_string(i));
      continue;
    }
    if (!r.ops.empty() && r.status != r.ops.back().status) ++status_mismatch;
    if (r.ops.size() >= 3) ++deep;
    // Keep the session's slots in step with what the server accepted.
    if (!r.ops.empty() && r.ops[0].opnum == op::SEQUENCE && r.ops[0].status == st::OK) {
      SequenceRes q = r.Sequence(0);
      if (q.sessionid == s.id && q.slotid < s.slot_seq.size()) {
        s.slot_seq[q.slotid] = q.sequenceid;
        ++seq_ok;
      }
    }
  }
  std::string summary;
  for (const auto& [err, where] : bad) summary += "\n  " + err + " (first: " + where + ")";
  EXPECT_EQ(bad_replies, 0) << "malformed COMPOUND4res:" << summary;
  EXPECT_EQ(status_mismatch, 0);
  // The mutations must leave most requests decodable and let many reach
  // beyond their first operations, or the loop tests little.
  EXPECT_LT(header_refused, kIterations / 4);
  EXPECT_GT(deep, kIterations / 4);
  EXPECT_GT(seq_ok, kIterations / 20);
  RecordProperty("header_refused", header_refused);
  RecordProperty("three_or_more_results", deep);
  RecordProperty("sequence_accepted", seq_ok);
  // The server still works normally.
  Reply fine = Run(Compound(1).PutFh(fh_f_).GetAttr(Bits({fa::TYPE})));
  EXPECT_EQ(fine.status, st::OK);
}

}  // namespace
}  // namespace elfs::nfs4::test
