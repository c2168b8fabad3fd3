// Restart recovery: client records in the store, the grace period, reclaim
// of opens and locks with OPEN CLAIM_PREVIOUS and LOCK reclaim (RFC 8881
// sections 8.4.2, 18.51; RFC 7530 sections 9.6.2-9.6.3). Each test runs two
// or three server instances one after the other over one memory store, as
// the daemon does over its SQLite file.
#include <atomic>
#include <cstdio>
#include <thread>

#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

constexpr std::string_view kKind = "nfs4/client";

std::string Hex(std::string_view s) {
  std::string out;
  char buf[3];
  for (unsigned char c : s) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

class Recovery : public Nfs4Test {
 protected:
  void SetUp() override {
    MakeFile("f", "0123456789", 0666);
    MakeFile("g", "abc", 0666);
  }

  size_t Records() {
    auto r = store_->List(kKind);
    EXPECT_TRUE(r.has_value());
    return r ? r->size() : 0;
  }

  // SETCLIENTID + confirm with a fixed verifier (the client did not reboot).
  uint64_t Client40(std::string_view owner) { return NewClient40(owner).clientid; }

  // A 4.0 OPEN of `name` (CLAIM_NULL) by a new owner, confirmed.
  Opened Open40(uint64_t clientid, const std::string& owner, std::string_view name,
                uint32_t access = SHARE_ACCESS_BOTH) {
    Compound c(0);
    c.PutRootFh().Open(OpenArgs{.seqid = 0, .access = access, .clientid = clientid,
                                .owner = owner, .name = std::string(name)})
        .GetFh();
    Reply r = RunRaw(c);
    Opened o;
    o.status = r.op_status(1);
    if (r.status != st::OK) return o;
    o.res = r.Open(1);
    o.fh = r.Fh(2);
    Reply k = RunRaw(Compound(0).PutFh(o.fh).OpenConfirm(o.res.stateid, 1));
    EXPECT_STATUSES(k, st::OK, st::OK);
    o.stateid = k.StateidRes(1);
    return o;
  }

  // A 4.0 OPEN CLAIM_PREVIOUS of the file `fh` by a new owner.
  Reply Reclaim40(uint64_t clientid, const std::string& owner, const Bytes& fh,
                  uint32_t seqid = 0) {
    return RunRaw(Compound(0).PutFh(fh).Open(OpenArgs{.seqid = seqid,
                                                      .access = SHARE_ACCESS_BOTH,
                                                      .clientid = clientid,
                                                      .owner = owner,
                                                      .claim = CLAIM_PREVIOUS}));
  }

  Opened Open41In(Session41& s, std::string_view name, uint32_t claim = CLAIM_NULL,
                  const Bytes& fh = {}) {
    Compound c(1);
    if (claim == CLAIM_PREVIOUS) {
      c.PutFh(fh);
    } else {
      c.PutRootFh();
    }
    c.Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "oo", .claim = claim,
                    .name = std::string(name)})
        .GetFh();
    return OpenedFrom(Run41(s, c), 2);
  }
};

TEST_F(Recovery, RecordIsWrittenOnConfirmNotOnSetClientId) {
  Verifier8 verf{1, 2, 3, 4, 5, 6, 7, 8};
  Reply s = RunRaw(Compound(0).SetClientId(verf, "client-a"));
  ASSERT_STATUSES(s, st::OK);
  EXPECT_EQ(Records(), 0u);
  SetClientIdRes r = s.SetClientId(0);
  ASSERT_STATUSES(RunRaw(Compound(0).SetClientIdConfirm(r.clientid, r.confirm)), st::OK);
  EXPECT_EQ(Records(), 1u);
  // 4.1: written by the CREATE_SESSION that confirms, not by EXCHANGE_ID.
  Reply e = RunRaw(Compound(1).ExchangeId(verf, "client-b", 0));
  ASSERT_STATUSES(e, st::OK);
  EXPECT_EQ(Records(), 1u);
  ASSERT_STATUSES(RunRaw(Compound(1).CreateSession(e.ExchangeId(0).clientid, 1)), st::OK);
  EXPECT_EQ(Records(), 2u);
}

TEST_F(Recovery, WithoutRecordsThereIsNoGrace) {
  Restart();
  uint64_t c = Client40("client-a");
  Opened o = Open40(c, "oo", "f");
  EXPECT_EQ(o.status, st::OK);
  EXPECT_STATUSES(Reclaim40(c, "oo2", Fh("g")), st::OK, st::NO_GRACE);
}

TEST_F(Recovery, Reclaim40OpenAndLockInGraceThenNewStateAfterIt) {
  options_.state.grace_time = std::chrono::seconds(30);
  Restart(std::chrono::seconds(1));
  uint64_t c = Client40("client-a");
  Opened o = Open40(c, "oo", "f");
  ASSERT_EQ(o.status, st::OK);
  ASSERT_STATUSES(RunRaw(Compound(0).PutFh(o.fh).LockNew(WRITE_LT, 0, 5, 2, o.stateid, 0, c,
                                                           "lo")),
                  st::OK, st::OK);

  Restart();
  ASSERT_TRUE(server_->state().InGrace());
  // The old ids are stale: the client finds out it must recover.
  EXPECT_EQ(RunRaw(Compound(0).Renew(c)).last_status(), st::STALE_CLIENTID);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(o.fh).Read(o.stateid, 0, 4)).last_status(),
            st::STALE_STATEID);
  uint64_t c2 = Client40("client-a");
  // New state waits for the grace period.
  Reply fresh = RunRaw(Compound(0).PutRootFh().Open(
      OpenArgs{.seqid = 0, .access = SHARE_ACCESS_READ, .clientid = c2, .owner = "new",
               .name = "g"}));
  EXPECT_EQ(fresh.last_status(), st::GRACE);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(o.fh).LockT(WRITE_LT, 0, 1, c2, "x")).last_status(),
            st::GRACE);

  // The reclaim needs no OPEN_CONFIRM.
  Reply r = Reclaim40(c2, "oo", o.fh);
  ASSERT_STATUSES(r, st::OK, st::OK);
  OpenRes res = r.Open(1);
  EXPECT_EQ(res.rflags & OPEN4_RESULT_CONFIRM, 0u);
  // A non-reclaim LOCK is refused, and that consumes the open-owner's seqid
  // (RFC 7530 section 9.1.7); the reclaim with the next one succeeds.
  EXPECT_EQ(RunRaw(Compound(0).PutFh(o.fh).LockNew(WRITE_LT, 0, 5, 1, res.stateid, 0, c2, "lo"))
                .last_status(),
            st::GRACE);
  Reply l = RunRaw(Compound(0).PutFh(o.fh).LockNew(WRITE_LT, 0, 5, 2, res.stateid, 0, c2, "lo",
                                                     /*reclaim=*/true));
  ASSERT_STATUSES(l, st::OK, st::OK);
  Stateid4 lsid = l.StateidRes(1);
  // The reclaimed lock is held against others once the grace period is over.
  clock_.Advance(std::chrono::seconds(31));
  EXPECT_FALSE(server_->state().InGrace());
  uint64_t other = Client40("client-b");
  Reply t = RunRaw(Compound(0).PutFh(o.fh).LockT(WRITE_LT, 2, 1, other, "y"));
  EXPECT_EQ(t.last_status(), st::DENIED);
  EXPECT_EQ(t.Denied(1).owner, ToBytes("lo"));
  // New state is granted; reclaims are over.
  EXPECT_EQ(Open40(other, "oo-b", "g").status, st::OK);
  EXPECT_STATUSES(Reclaim40(c2, "oo3", Fh("g")), st::OK, st::NO_GRACE);
  EXPECT_STATUSES(RunRaw(Compound(0).PutFh(o.fh).LockU(WRITE_LT, 1, lsid, 0, 5)), st::OK, st::OK);
}

TEST_F(Recovery, ClientWithoutRecordGetsReclaimBad) {
  Client40("client-a");
  Restart();
  ASSERT_TRUE(server_->state().InGrace());
  uint64_t stranger = Client40("client-new");
  EXPECT_STATUSES(Reclaim40(stranger, "oo", Fh("f")), st::OK, st::RECLAIM_BAD);
}

TEST_F(Recovery, ReclaimNamesAFileNotADirectory) {
  uint64_t c = Client40("client-a");
  (void)c;
  Restart();
  uint64_t c2 = Client40("client-a");
  EXPECT_STATUSES(Reclaim40(c2, "oo", Fh("")), st::OK, st::ISDIR);
}

TEST_F(Recovery, Reclaim41UntilReclaimCompleteEndsGraceEarly) {
  Session41 a = NewSession("client-a");
  Opened o = Open41In(a, "f");
  ASSERT_EQ(o.status, st::OK);
  Session41 b = NewSession("client-b");

  Restart();
  ASSERT_TRUE(server_->state().InGrace());
  // The old session is gone.
  EXPECT_EQ(RunRaw(Compound(1).Sequence(a.id, a.slot_seq[0] + 1, 0, 0, false)).last_status(),
            st::BADSESSION);
  Session41 a2 = NewSession("client-a", Root(), /*reclaim_complete=*/false);
  EXPECT_EQ(Open41In(a2, "g").status, st::GRACE);
  Opened back = Open41In(a2, "", CLAIM_PREVIOUS, o.fh);
  ASSERT_EQ(back.status, st::OK);
  EXPECT_EQ(back.fh, o.fh);
  EXPECT_STATUSES(Run41(a2, Compound(1).ReclaimComplete(false)), st::OK, st::OK);
  // Reclaims are over for a2; client-b has not come back, so the grace
  // period goes on for everyone.
  EXPECT_EQ(Open41In(a2, "", CLAIM_PREVIOUS, o.fh).status, st::NO_GRACE);
  EXPECT_EQ(Open41In(a2, "g").status, st::GRACE);
  Session41 b2 = NewSession("client-b", Root(), /*reclaim_complete=*/false);
  EXPECT_STATUSES(Run41(b2, Compound(1).ReclaimComplete(false)), st::OK, st::OK);
  // Everyone is back: the grace period ended early.
  EXPECT_FALSE(server_->state().InGrace());
  EXPECT_EQ(Open41In(a2, "g").status, st::OK);
}

TEST_F(Recovery, NewClientMustStillSendReclaimComplete41) {
  Restart();
  Session41 s = NewSession("client-a", Root(), /*reclaim_complete=*/false);
  EXPECT_EQ(Open41In(s, "f").status, st::GRACE);
  EXPECT_EQ(Open41In(s, "", CLAIM_PREVIOUS, Fh("f")).status, st::NO_GRACE);
  EXPECT_STATUSES(Run41(s, Compound(1).ReclaimComplete(false)), st::OK, st::OK);
  EXPECT_EQ(Open41In(s, "f").status, st::OK);
}

// RFC 8881 section 8.4.2.1, first edge condition: a client that did not
// reclaim in one grace period must not reclaim after the next restart.
TEST_F(Recovery, ClientThatMissedTheGracePeriodLosesItsRecord) {
  options_.state.grace_time = std::chrono::seconds(10);
  Restart(std::chrono::seconds(1));
  Client40("client-a");
  Client40("client-b");
  EXPECT_EQ(Records(), 2u);
  Restart();
  uint64_t b = Client40("client-b");
  clock_.Advance(std::chrono::seconds(11));
  EXPECT_FALSE(server_->state().InGrace());
  // Keep b's lease alive; a's record went with the grace period.
  EXPECT_EQ(RunRaw(Compound(0).Renew(b)).last_status(), st::OK);
  EXPECT_EQ(Records(), 1u);
  Restart(std::chrono::seconds(1));
  ASSERT_TRUE(server_->state().InGrace());
  uint64_t a = Client40("client-a");
  EXPECT_STATUSES(Reclaim40(a, "oo", Fh("f")), st::OK, st::RECLAIM_BAD);
  uint64_t b2 = Client40("client-b");
  EXPECT_STATUSES(Reclaim40(b2, "oo", Fh("f")), st::OK, st::OK);
}

// Second edge condition: a restart during the grace period keeps the right
// to reclaim of clients that had not come back yet.
TEST_F(Recovery, RestartDuringGraceKeepsReclaimRights) {
  Client40("client-a");
  Restart();
  ASSERT_TRUE(server_->state().InGrace());
  Restart(std::chrono::seconds(5));  // before client-a returned
  ASSERT_TRUE(server_->state().InGrace());
  uint64_t a = Client40("client-a");
  EXPECT_STATUSES(Reclaim40(a, "oo", Fh("f")), st::OK, st::OK);
}

TEST_F(Recovery, DestroyedAndExpiredClientsLoseTheirRecords) {
  Session41 s = NewSession("client-41");
  Client40("client-40");
  EXPECT_EQ(Records(), 2u);
  ASSERT_STATUSES(RunRaw(Compound(1).DestroySession(s.id)), st::OK);
  default_session_.reset();
  ASSERT_STATUSES(RunRaw(Compound(1).DestroyClientId(s.clientid)), st::OK);
  EXPECT_EQ(Records(), 1u);
  // Two leases of silence, and the next client creation sweeps it.
  clock_.Advance(std::chrono::seconds(2 * 90 + 1));
  Client40("client-other");
  EXPECT_EQ(Records(), 1u);
  auto list = store_->List(kKind);
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 1u);
  // The id is the minor version and the owner in hex.
  EXPECT_EQ((*list)[0].id, "4.0:" + Hex("client-other"));
}

TEST_F(Recovery, RebootedClientReplacesItsRecord) {
  Client40("client-a");
  // The same owner with a new verifier: the client rebooted.
  Verifier8 verf{7, 7, 7, 7, 7, 7, 7, 7};
  Reply s = RunRaw(Compound(0).SetClientId(verf, "client-a"));
  ASSERT_STATUSES(s, st::OK);
  SetClientIdRes r = s.SetClientId(0);
  ASSERT_STATUSES(RunRaw(Compound(0).SetClientIdConfirm(r.clientid, r.confirm)), st::OK);
  EXPECT_EQ(Records(), 1u);
}

TEST_F(Recovery, GraceTimeZeroSkipsGraceAndDropsRecords) {
  Client40("client-a");
  options_.state.grace_time = std::chrono::seconds(0);
  Restart();
  EXPECT_FALSE(server_->state().InGrace());
  EXPECT_EQ(Records(), 0u);
}

TEST_F(Recovery, EpochDiffersEvenWithinTheSameSecond) {
  uint64_t c = Client40("client-a");
  Restart(std::chrono::seconds(0));
  EXPECT_EQ(RunRaw(Compound(0).Renew(c)).last_status(), st::STALE_CLIENTID);
  uint64_t c2 = Client40("client-a");
  EXPECT_NE(c2 >> 32, c >> 32);
}

TEST_F(Recovery, ConcurrentReclaimsAndGraceEnd) {
  options_.state.grace_time = std::chrono::seconds(5);
  Restart(std::chrono::seconds(1));
  constexpr int kClients = 8;
  for (int i = 0; i < kClients; ++i) Client40("client-" + std::to_string(i));
  Restart();
  std::vector<uint64_t> ids;
  for (int i = 0; i < kClients; ++i) ids.push_back(Client40("client-" + std::to_string(i)));
  Bytes fh = Fh("f");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, no_grace{0}, other{0};
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      if (i == kClients / 2) clock_.Advance(std::chrono::seconds(6));  // mid-way
      Reply r = Reclaim40(ids[i], "oo", fh);
      uint32_t s = r.last_status();
      (s == st::OK ? ok : s == st::NO_GRACE ? no_grace : other)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok + no_grace, kClients);
  EXPECT_EQ(other, 0);
  EXPECT_FALSE(server_->state().InGrace());
  EXPECT_EQ(Records(), static_cast<size_t>(kClients));
}

}  // namespace
}  // namespace elfs::nfs4::test
