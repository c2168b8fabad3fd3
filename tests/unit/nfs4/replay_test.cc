// NFSv4.0 per-owner replay of seqid-mutating operations (RFC 7530 sections
// 9.1.7 and 9.1.8): a retransmission of an owner's last request (same seqid,
// same operation) gets the reply it had, byte for byte, and is not executed
// again; the same seqid with another operation, or an older seqid, is
// NFS4ERR_BAD_SEQID. Covers OPEN, OPEN_CONFIRM, OPEN_DOWNGRADE, CLOSE, LOCK
// (new and existing lock-owner) and LOCKU.
#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class Replay40 : public Nfs4Test {
 protected:
  void SetUp() override {
    MakeFile("f", "0123456789", 0666);
    c_ = NewClient40("c40");
  }

  Reply Open(uint32_t seqid, std::string name = "f", uint32_t access = SHARE_ACCESS_BOTH,
             std::string owner = "oo") {
    OpenArgs a{.seqid = seqid, .access = access, .clientid = c_.clientid,
               .owner = std::move(owner), .name = std::move(name)};
    return RunRaw(Compound(0).PutRootFh().Open(a).GetFh());
  }
  // OPEN (seqid 1) + OPEN_CONFIRM (seqid 2) of "f" by owner "oo"; the open
  // stateid after confirmation. The owner's next seqid is 3.
  Stateid4 OpenConfirmed(uint32_t access = SHARE_ACCESS_BOTH) {
    Reply op = Open(1, "f", access);
    EXPECT_EQ(op.status, st::OK);
    fh_ = op.Fh(2);
    Reply conf = RunRaw(Compound(0).PutFh(fh_).OpenConfirm(op.Open(1).stateid, 2));
    EXPECT_EQ(conf.status, st::OK);
    return conf.StateidRes(1);
  }
  Reply Again(const Compound& c) { return RunRaw(c); }

  Client40 c_;
  Bytes fh_;
};

TEST_F(Replay40, OpenIsReplayedWithItsFileHandle) {
  Reply first = Open(1);
  ASSERT_STATUSES(first, st::OK, st::OK, st::OK);
  Reply again = Open(1);
  EXPECT_EQ(again.bytes, first.bytes);  // GETFH after it names the file, not the root
  // Not executed twice: the stateid was not upgraded a second time.
  EXPECT_EQ(again.Open(1).stateid.seqid, 1u);
}

TEST_F(Replay40, OpenErrorIsReplayed) {
  OpenConfirmed();
  Reply missing = Open(3, "missing");
  ASSERT_EQ(missing.last_status(), st::NOENT);
  EXPECT_EQ(Open(3, "missing").bytes, missing.bytes);
  // The error consumed seqid 3. Replay is decided by seqid and operation
  // (RFC 7530 section 9.1.8), not by the arguments: another OPEN with seqid
  // 3 still gets the cached NOENT, and nothing is opened.
  Reply other = Open(3, "f");
  EXPECT_EQ(other.last_status(), st::NOENT);
  EXPECT_EQ(Open(4, "f").status, st::OK);
}

TEST_F(Replay40, OpenConfirm) {
  Reply op = Open(1);
  ASSERT_EQ(op.status, st::OK);
  Bytes fh = op.Fh(2);
  Compound confirm = Compound(0).PutFh(fh).OpenConfirm(op.Open(1).stateid, 2);
  Reply first = RunRaw(confirm);
  ASSERT_STATUSES(first, st::OK, st::OK);
  Reply again = Again(confirm);
  EXPECT_EQ(again.bytes, first.bytes);
  // Not executed twice: the confirmed stateid is still the current one.
  Stateid4 sid = first.StateidRes(1);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).Read(sid, 0, 3)).status, st::OK);
  // Seqid 2 with another op (CLOSE) is BAD_SEQID; 3 goes on.
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).Close(2, sid)).last_status(), st::BAD_SEQID);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).Close(3, sid)).status, st::OK);
  // Now older than the last: BAD_SEQID.
  EXPECT_EQ(Again(confirm).last_status(), st::BAD_SEQID);
}

TEST_F(Replay40, OpenDowngradeDoesNotChangeStateTwice) {
  OpenConfirmed(SHARE_ACCESS_READ);
  Reply up = Open(3, "f", SHARE_ACCESS_WRITE);  // upgrade to both
  ASSERT_EQ(up.status, st::OK);
  Stateid4 sid = up.Open(1).stateid;
  Compound down = Compound(0).PutFh(fh_).OpenDowngrade(sid, 4, SHARE_ACCESS_READ, SHARE_DENY_NONE);
  Reply first = RunRaw(down);
  ASSERT_STATUSES(first, st::OK, st::OK);
  Stateid4 after = first.StateidRes(1);
  EXPECT_EQ(after.seqid, sid.seqid + 1);
  Reply again = Again(down);
  EXPECT_EQ(again.bytes, first.bytes);
  // Executed once: the stateid from the first reply is still current.
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).Read(after, 0, 3)).status, st::OK);
  // Another op with seqid 4, and an older seqid, are BAD_SEQID.
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).Close(4, after)).last_status(), st::BAD_SEQID);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).OpenDowngrade(after, 3, SHARE_ACCESS_READ, 0))
                .last_status(),
            st::BAD_SEQID);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).Close(5, after)).status, st::OK);
}

TEST_F(Replay40, CloseOfAStateThatIsGone) {
  Stateid4 sid = OpenConfirmed();
  Compound close = Compound(0).PutFh(fh_).Close(3, sid);
  Reply first = RunRaw(close);
  ASSERT_STATUSES(first, st::OK, st::OK);
  Reply again = Again(close);
  EXPECT_EQ(again.bytes, first.bytes) << "a retransmitted CLOSE must not fail";
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).Read(sid, 0, 3)).last_status(), st::BAD_STATEID);
  // Seqid 3 with another op on the closed stateid: BAD_SEQID.
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).OpenDowngrade(sid, 3, SHARE_ACCESS_READ, 0))
                .last_status(),
            st::BAD_SEQID);
  // The owner outlives its last open: seqid 4 goes on, already confirmed.
  Reply reopen = Open(4);
  ASSERT_EQ(reopen.status, st::OK);
  EXPECT_FALSE(reopen.Open(1).rflags & OPEN4_RESULT_CONFIRM);
  // The CLOSE is no longer the last request: older than the last.
  EXPECT_EQ(Again(close).last_status(), st::BAD_STATEID);
}

TEST_F(Replay40, CloseWithALowerSeqidIsBadSeqid) {
  Stateid4 sid = OpenConfirmed();
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).Close(1, sid)).last_status(), st::BAD_SEQID);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).Close(3, sid)).status, st::OK);
}

TEST_F(Replay40, LockOfANewLockOwner) {
  Stateid4 osid = OpenConfirmed();
  Compound lock = Compound(0).PutFh(fh_).LockNew(WRITE_LT, 0, 10, 3, osid, 0, c_.clientid, "lk");
  Reply first = RunRaw(lock);
  ASSERT_STATUSES(first, st::OK, st::OK);
  Reply again = Again(lock);
  EXPECT_EQ(again.bytes, first.bytes);
  // Executed once: the lock stateid is at seqid 1 and the lock-owner's next
  // seqid is 1.
  Stateid4 lsid = first.StateidRes(1);
  EXPECT_EQ(lsid.seqid, 1u);
  // The open-owner's seqid 3 with another op, and an older one: BAD_SEQID.
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).Close(3, osid)).last_status(), st::BAD_SEQID);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).LockNew(WRITE_LT, 0, 10, 2, osid, 0, c_.clientid, "lk"))
                .last_status(),
            st::BAD_SEQID);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).LockU(WRITE_LT, 1, lsid, 0, 10)).status, st::OK);
}

TEST_F(Replay40, LockOfAnExistingLockOwner) {
  Stateid4 osid = OpenConfirmed();
  Reply l = RunRaw(Compound(0).PutFh(fh_).LockNew(WRITE_LT, 0, 10, 3, osid, 0, c_.clientid, "lk"));
  ASSERT_EQ(l.status, st::OK);
  Stateid4 lsid = l.StateidRes(1);
  Compound more = Compound(0).PutFh(fh_).LockExisting(READ_LT, 20, 5, lsid, 1);
  Reply first = RunRaw(more);
  ASSERT_STATUSES(first, st::OK, st::OK);
  Stateid4 next = first.StateidRes(1);
  EXPECT_EQ(next.seqid, lsid.seqid + 1);
  Reply again = Again(more);
  EXPECT_EQ(again.bytes, first.bytes);
  // Executed once: `next` is still the current lock stateid.
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).LockU(READ_LT, 1, next, 20, 5)).last_status(),
            st::BAD_SEQID);  // seqid 1 belongs to the LOCK
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).LockU(READ_LT, 0, next, 20, 5)).last_status(),
            st::BAD_SEQID);  // older
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).LockU(READ_LT, 2, next, 20, 5)).status, st::OK);
}

TEST_F(Replay40, LockDeniedIsReplayedWithItsBody) {
  Stateid4 osid = OpenConfirmed();
  ASSERT_EQ(RunRaw(Compound(0).PutFh(fh_).LockNew(WRITE_LT, 0, 10, 3, osid, 0, c_.clientid, "lk"))
                .status,
            st::OK);
  // A second open-owner of the same client asks for a conflicting lock.
  Reply op = Open(1, "f", SHARE_ACCESS_BOTH, "other");
  ASSERT_EQ(op.status, st::OK);
  Reply conf = RunRaw(Compound(0).PutFh(fh_).OpenConfirm(op.Open(1).stateid, 2));
  ASSERT_EQ(conf.status, st::OK);
  Compound lock =
      Compound(0).PutFh(fh_).LockNew(WRITE_LT, 5, 1, 3, conf.StateidRes(1), 0, c_.clientid, "lk2");
  Reply first = RunRaw(lock);
  ASSERT_TRUE(first.parsed) << first.error;
  ASSERT_EQ(first.last_status(), st::DENIED);
  Reply again = Again(lock);
  EXPECT_EQ(again.bytes, first.bytes);
  EXPECT_EQ(again.Denied(1).owner, ToBytes("lk"));
}

TEST_F(Replay40, LockU) {
  Stateid4 osid = OpenConfirmed();
  Reply l = RunRaw(Compound(0).PutFh(fh_).LockNew(WRITE_LT, 0, 10, 3, osid, 0, c_.clientid, "lk"));
  ASSERT_EQ(l.status, st::OK);
  Stateid4 lsid = l.StateidRes(1);
  Compound unlock = Compound(0).PutFh(fh_).LockU(WRITE_LT, 1, lsid, 0, 10);
  Reply first = RunRaw(unlock);
  ASSERT_STATUSES(first, st::OK, st::OK);
  Reply again = Again(unlock);
  EXPECT_EQ(again.bytes, first.bytes) << "a retransmitted LOCKU must not fail";
  Stateid4 after = first.StateidRes(1);
  // Another op with seqid 1 is BAD_SEQID; executed once: `after` is current.
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).LockExisting(WRITE_LT, 0, 1, after, 1)).last_status(),
            st::BAD_SEQID);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh_).LockExisting(WRITE_LT, 0, 1, after, 2)).status, st::OK);
  // Older than the last: BAD_SEQID.
  EXPECT_EQ(Again(unlock).last_status(), st::BAD_SEQID);
}

TEST_F(Replay40, RetransmissionWhileTheOriginalRunsIsDelay) {
  // The state layer's view of a request in flight: admitted, reply not yet
  // saved. A duplicate meanwhile is told to retry, then gets the reply.
  state::StateManager& sm = server_->state();
  const Bytes owner = ToBytes("inflight");
  state::SeqidAdmission first;
  ASSERT_EQ(sm.BeginOpen(0, c_.clientid, owner, 1, &first), st::OK);
  ASSERT_TRUE(first.save_for);
  state::SeqidAdmission dup;
  EXPECT_EQ(sm.BeginOpen(0, c_.clientid, owner, 1, &dup), st::DELAY);
  EXPECT_FALSE(dup.replay);
  const Bytes body = ToBytes("result");
  sm.SaveOwnerReply(*first.save_for, OP_OPEN, NFS4ERR_NOENT, body, std::nullopt);
  state::SeqidAdmission later;
  ASSERT_EQ(sm.BeginOpen(0, c_.clientid, owner, 1, &later), st::OK);
  ASSERT_TRUE(later.replay);
  EXPECT_FALSE(later.save_for);
  EXPECT_EQ(later.replay->status, NFS4ERR_NOENT);
  EXPECT_EQ(Bytes(later.replay->body.begin(), later.replay->body.end()), body);
}

TEST_F(Replay40, OversizedRepliesAreNotKept) {
  // A confirmed owner (an unconfirmed one without opens may start over).
  OpenConfirmed();
  state::StateManager& sm = server_->state();
  const Bytes owner = ToBytes("oo");
  state::SeqidAdmission first;
  ASSERT_EQ(sm.BeginOpen(0, c_.clientid, owner, 3, &first), st::OK);
  ASSERT_TRUE(first.save_for);
  sm.SaveOwnerReply(*first.save_for, OP_OPEN, NFS4_OK, Bytes(state::kMaxOwnerReplyBody + 1, 7),
                    std::nullopt);
  state::SeqidAdmission dup;
  EXPECT_EQ(sm.BeginOpen(0, c_.clientid, owner, 3, &dup), st::BAD_SEQID);
  EXPECT_FALSE(dup.replay);
  state::SeqidAdmission next;
  EXPECT_EQ(sm.BeginOpen(0, c_.clientid, owner, 4, &next), st::OK);
}

}  // namespace
}  // namespace elfs::nfs4::test
