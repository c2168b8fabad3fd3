// Byte-range locks: LOCK, LOCKT, LOCKU, and their interplay with CLOSE,
// FREE_STATEID, RELEASE_LOCKOWNER and I/O (RFC 8881 sections 9.4-9.6,
// 18.10-18.12; RFC 7530 sections 16.10-16.12, 16.37). SPEC section 2:
// advisory locks.
#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class OpLock : public Nfs4Test {
 protected:
  void SetUp() override { MakeFile("f", "0123456789", 0666); }

  // OPEN (both, deny none) of "f" by `owner` in session s.
  Opened OpenIn(Session41& s, const std::string& owner, uint32_t access = SHARE_ACCESS_BOTH) {
    Compound c(1);
    c.PutRootFh().Open(OpenArgs{.access = access, .owner = owner, .name = "f"}).GetFh();
    return OpenedFrom(Run41(s, c), 2);
  }
  // LOCK for a new lock owner in session s (4.1: seqids are ignored).
  Reply LockIn(Session41& s, const Opened& o, uint32_t type, uint64_t off, uint64_t len,
               const std::string& lock_owner) {
    return Run41(s, Compound(1).PutFh(o.fh).LockNew(type, off, len, 0, o.stateid, 0, 0,
                                                    lock_owner));
  }
  // 4.0 OPEN (seqid 1) + OPEN_CONFIRM (seqid 2) of "f" by `owner`: its file
  // handle and open stateid; the owner's next seqid is 3.
  std::pair<Bytes, Stateid4> OpenConfirmed40(const Client40& c, const char* owner) {
    OpenArgs a{.seqid = 1, .access = SHARE_ACCESS_BOTH, .clientid = c.clientid, .owner = owner,
               .name = "f"};
    Reply op = RunRaw(Compound(0).PutRootFh().Open(a).GetFh());
    Reply conf = RunRaw(Compound(0).PutFh(op.Fh(2)).OpenConfirm(op.Open(1).stateid, 2));
    return std::make_pair(op.Fh(2), conf.StateidRes(1));
  }
};

TEST_F(OpLock, LockTestUnlock) {
  Session41& s = session();
  Opened o = OpenIn(s, "oo");
  ASSERT_EQ(o.status, st::OK);
  Reply l = LockIn(s, o, WRITE_LT, 0, 100, "lo-1");
  ASSERT_STATUSES(l, st::OK, st::OK, st::OK);
  Stateid4 lsid = l.StateidRes(2);
  EXPECT_NE(lsid.other, o.stateid.other);

  // Another lock owner sees the conflict, with the holder described.
  Reply t = Run41(s, Compound(1).PutFh(o.fh).LockT(WRITE_LT, 50, 10, 0, "lo-2"));
  ASSERT_TRUE(t.parsed) << t.error;
  ASSERT_EQ(t.last_status(), st::DENIED);
  LockDenied d = t.Denied(2);
  EXPECT_EQ(d.offset, 0u);
  EXPECT_EQ(d.length, 100u);
  EXPECT_EQ(d.locktype, WRITE_LT);
  EXPECT_EQ(d.owner, ToBytes("lo-1"));
  // Outside the range there is no conflict; the holder itself never conflicts.
  EXPECT_EQ(Run41(s, Compound(1).PutFh(o.fh).LockT(WRITE_LT, 100, 10, 0, "lo-2")).status,
            st::OK);
  EXPECT_EQ(Run41(s, Compound(1).PutFh(o.fh).LockT(WRITE_LT, 0, 10, 0, "lo-1")).status, st::OK);

  Reply u = Run41(s, Compound(1).PutFh(o.fh).LockU(WRITE_LT, 0, lsid, 0, 100));
  ASSERT_STATUSES(u, st::OK, st::OK, st::OK);
  EXPECT_EQ(u.StateidRes(2).seqid, lsid.seqid + 1);
  EXPECT_EQ(Run41(s, Compound(1).PutFh(o.fh).LockT(WRITE_LT, 50, 10, 0, "lo-2")).status, st::OK);
}

TEST_F(OpLock, FirstLockStateidHasSeqidOne) {
  // RFC 8881 section 8.2.2: a stateid for a newly created set of locks
  // starts with seqid one (as the open stateid does), and each change
  // increments it.
  Session41& s = session();
  Opened o = OpenIn(s, "oo");
  ASSERT_EQ(o.status, st::OK);
  Reply l = LockIn(s, o, WRITE_LT, 0, 100, "lo-1");
  ASSERT_EQ(l.status, st::OK);
  EXPECT_EQ(l.StateidRes(2).seqid, 1u);
}

TEST_F(OpLock, ConflictBetweenClientsIsDenied) {
  Session41& a = session();
  Session41 b = NewSession("client-b");
  Opened oa = OpenIn(a, "a");
  Opened ob = OpenIn(b, "b");
  ASSERT_EQ(oa.status, st::OK);
  ASSERT_EQ(ob.status, st::OK);
  ASSERT_EQ(LockIn(a, oa, WRITE_LT, 10, 10, "la").status, st::OK);
  Reply r = LockIn(b, ob, READ_LT, 15, 1, "lb");
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.last_status(), st::DENIED);
  EXPECT_EQ(r.Denied(2).locktype, WRITE_LT);
  EXPECT_EQ(r.Denied(2).clientid, a.clientid);
  // Read locks share.
  Opened oa2 = OpenIn(a, "a");
  ASSERT_EQ(LockIn(a, oa2, READ_LT, 100, 10, "la-r").status, st::OK);
  EXPECT_EQ(LockIn(b, ob, READ_LT, 100, 10, "lb").status, st::OK);
}

TEST_F(OpLock, WriteLockThroughReadOnlyOpenIsOpenMode) {
  Session41& s = session();
  Opened o = OpenIn(s, "ro", SHARE_ACCESS_READ);
  ASSERT_EQ(o.status, st::OK);
  EXPECT_EQ(LockIn(s, o, WRITE_LT, 0, 1, "l").last_status(), st::OPENMODE);
}

TEST_F(OpLock, BadRanges) {
  // RFC 8881 section 18.10.4: zero length, or offset + length beyond 2^64
  // (other than the all-ones length meaning "to the end"), is NFS4ERR_INVAL.
  Session41& s = session();
  Opened o = OpenIn(s, "o");
  ASSERT_EQ(o.status, st::OK);
  EXPECT_EQ(LockIn(s, o, WRITE_LT, 0, 0, "l1").last_status(), st::INVAL);
  EXPECT_EQ(LockIn(s, o, WRITE_LT, ~uint64_t{0} - 5, 10, "l2").last_status(), st::INVAL);
  EXPECT_EQ(LockIn(s, o, WRITE_LT, 5, ~uint64_t{0}, "l3").status, st::OK);
  EXPECT_EQ(Run41(s, Compound(1).PutFh(o.fh).LockT(7, 0, 1, 0, "x")).last_status(), st::INVAL);
}

TEST_F(OpLock, OnADirectoryIsIsDir) {
  Session41& s = session();
  Opened o = OpenIn(s, "o");
  ASSERT_EQ(o.status, st::OK);
  Reply r = Run41(s, Compound(1).PutRootFh().LockT(READ_LT, 0, 1, 0, "x"));
  EXPECT_EQ(r.last_status(), st::ISDIR);
}

TEST_F(OpLock, CloseWithLocksHeldIsLocksHeld) {
  Session41& s = session();
  Opened o = OpenIn(s, "o");
  ASSERT_EQ(o.status, st::OK);
  Reply l = LockIn(s, o, READ_LT, 0, 5, "l");
  ASSERT_EQ(l.status, st::OK);
  Stateid4 lsid = l.StateidRes(2);
  EXPECT_EQ(Run41(s, Compound(1).PutFh(o.fh).Close(0, o.stateid)).last_status(), st::LOCKS_HELD);
  ASSERT_EQ(Run41(s, Compound(1).PutFh(o.fh).LockU(READ_LT, 0, lsid, 0, 5)).status, st::OK);
  EXPECT_EQ(Run41(s, Compound(1).PutFh(o.fh).Close(0, o.stateid)).status, st::OK);
  // The lock stateid went with the open.
  EXPECT_EQ(Run41(s, Compound(1).PutFh(o.fh).LockU(READ_LT, 0, lsid, 0, 5)).last_status(),
            st::BAD_STATEID);
}

TEST_F(OpLock, LockStateidWorksForIo) {
  Session41& s = session();
  Opened o = OpenIn(s, "o");
  ASSERT_EQ(o.status, st::OK);
  Reply l = LockIn(s, o, WRITE_LT, 0, 4, "l");
  ASSERT_EQ(l.status, st::OK);
  Stateid4 lsid = l.StateidRes(2);
  EXPECT_EQ(Run41(s, Compound(1).PutFh(o.fh).Write(lsid, 0, FILE_SYNC4, ToBytes("ABCD"))).status,
            st::OK);
  Reply rd = Run41(s, Compound(1).PutFh(o.fh).Read(lsid, 0, 4));
  ASSERT_EQ(rd.status, st::OK);
  EXPECT_EQ(rd.Read(2).data, ToBytes("ABCD"));
}

TEST_F(OpLock, ExistingLockOwnerExtendsItsLocks) {
  Session41& s = session();
  Opened o = OpenIn(s, "o");
  Reply l = LockIn(s, o, READ_LT, 0, 5, "l");
  ASSERT_EQ(l.status, st::OK);
  Stateid4 lsid = l.StateidRes(2);
  Reply more = Run41(s, Compound(1).PutFh(o.fh).LockExisting(WRITE_LT, 5, 5, lsid, 0));
  ASSERT_EQ(more.status, st::OK);
  Stateid4 next = more.StateidRes(2);
  EXPECT_EQ(next.other, lsid.other);
  EXPECT_EQ(next.seqid, lsid.seqid + 1);
  // The old seqid is now OLD_STATEID.
  EXPECT_EQ(Run41(s, Compound(1).PutFh(o.fh).LockExisting(WRITE_LT, 20, 1, lsid, 0)).last_status(),
            st::OLD_STATEID);
}

TEST_F(OpLock, FreeStateidOfALockStateid) {
  // RFC 8881 section 18.38.3: a lock stateid without locks may be freed;
  // with locks, NFS4ERR_LOCKS_HELD.
  Session41& s = session();
  Opened o = OpenIn(s, "o");
  Reply l = LockIn(s, o, READ_LT, 0, 5, "l");
  ASSERT_EQ(l.status, st::OK);
  Stateid4 lsid = l.StateidRes(2);
  EXPECT_EQ(Run41(s, Compound(1).FreeStateid(lsid)).last_status(), st::LOCKS_HELD);
  Reply u = Run41(s, Compound(1).PutFh(o.fh).LockU(READ_LT, 0, lsid, 0, 5));
  ASSERT_EQ(u.status, st::OK);
  EXPECT_EQ(Run41(s, Compound(1).FreeStateid(u.StateidRes(2))).last_status(), st::OK);
  Reply t = Run41(s, Compound(1).TestStateid({lsid}));
  ASSERT_EQ(t.status, st::OK);
  EXPECT_EQ(t.TestStateid(1).at(0), st::BAD_STATEID);
}

TEST_F(OpLock, BeforeReclaimCompleteIsGrace) {
  Session41 s = NewSession("no-rc", Root(), /*reclaim_complete=*/false);
  Compound open(1);
  open.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "o", .name = "f"});
  // OPEN itself is refused first (OpReclaimComplete.OpenBeforeItIsGrace).
  EXPECT_EQ(Run41(s, open).last_status(), st::GRACE);
}

TEST_F(OpLock, ReclaimOutsideGraceIsNoGrace) {
  Session41& s = session();
  Opened o = OpenIn(s, "o");
  Reply r = Run41(s, Compound(1).PutFh(o.fh).LockNew(WRITE_LT, 0, 1, 0, o.stateid, 0, 0, "l",
                                                     /*reclaim=*/true));
  EXPECT_EQ(r.last_status(), st::NO_GRACE);
}

TEST_F(OpLock, LockStateidOfAnotherClientIsBadStateid41) {
  // As for open stateids (OpRead.StateidOfAnotherClientIsBadStateid41):
  // another client may not unlock, extend or use a lock it does not own.
  Session41& a = session();
  Opened o = OpenIn(a, "a");
  Reply l = LockIn(a, o, WRITE_LT, 0, 5, "la");
  ASSERT_EQ(l.status, st::OK);
  Stateid4 lsid = l.StateidRes(2);
  Session41 b = NewSession("client-b");
  EXPECT_EQ(Run41(b, Compound(1).PutFh(o.fh).LockU(WRITE_LT, 0, lsid, 0, 5)).last_status(),
            st::BAD_STATEID);
  // The lock is still held.
  Reply t = Run41(b, Compound(1).PutFh(o.fh).LockT(WRITE_LT, 0, 5, 0, "lb"));
  EXPECT_EQ(t.last_status(), st::DENIED);
}

TEST_F(OpLock, ReleaseLockOwner40) {
  // RFC 7530 section 16.37.4: NFS4ERR_LOCKS_HELD while the owner holds
  // locks; OK once they are released.
  Client40 c = NewClient40("c40");
  OpenArgs a{.seqid = 1, .access = SHARE_ACCESS_BOTH, .clientid = c.clientid, .owner = "oo",
             .name = "f"};
  Reply op = RunRaw(Compound(0).PutRootFh().Open(a).GetFh());
  ASSERT_EQ(op.status, st::OK);
  Bytes fh = op.Fh(2);
  Reply conf = RunRaw(Compound(0).PutFh(fh).OpenConfirm(op.Open(1).stateid, 2));
  ASSERT_EQ(conf.status, st::OK);
  Stateid4 osid = conf.StateidRes(1);
  Reply l = RunRaw(Compound(0).PutFh(fh).LockNew(WRITE_LT, 0, 10, 3, osid, 0, c.clientid, "lk"));
  ASSERT_STATUSES(l, st::OK, st::OK);
  Stateid4 lsid = l.StateidRes(1);
  EXPECT_STATUSES(RunRaw(Compound(0).ReleaseLockOwner(c.clientid, "lk")), st::LOCKS_HELD);
  ASSERT_EQ(RunRaw(Compound(0).PutFh(fh).LockU(WRITE_LT, 1, lsid, 0, 10)).status, st::OK);
  EXPECT_STATUSES(RunRaw(Compound(0).ReleaseLockOwner(c.clientid, "lk")), st::OK);
}

TEST_F(OpLock, CloseWithLocksHeldReleasesThem40) {
  // 4.0: CLOSE frees the open's locks (RFC 7530 section 16.2.4 allows it);
  // another owner then gets the range, and the lock stateid is gone.
  Client40 c = NewClient40("c40");
  auto [fh, osid1] = OpenConfirmed40(c, "o1");
  auto [fh2, osid2] = OpenConfirmed40(c, "o2");
  Reply held = RunRaw(Compound(0).PutFh(fh).LockNew(WRITE_LT, 0, 10, 3, osid1, 0, c.clientid, "a"));
  ASSERT_EQ(held.status, st::OK);
  Stateid4 lsid = held.StateidRes(1);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).LockT(WRITE_LT, 0, 10, c.clientid, "b")).last_status(),
            st::DENIED);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).Close(4, osid1)).status, st::OK);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).LockT(WRITE_LT, 0, 10, c.clientid, "b")).status, st::OK);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).LockU(WRITE_LT, 1, lsid, 0, 10)).last_status(),
            st::BAD_STATEID);
  Reply other =
      RunRaw(Compound(0).PutFh(fh2).LockNew(WRITE_LT, 0, 10, 3, osid2, 0, c.clientid, "b"));
  EXPECT_EQ(other.status, st::OK);
}

TEST_F(OpLock, LockSeqids40) {
  Client40 c = NewClient40("c40");
  OpenArgs a{.seqid = 1, .access = SHARE_ACCESS_BOTH, .clientid = c.clientid, .owner = "oo",
             .name = "f"};
  Reply op = RunRaw(Compound(0).PutRootFh().Open(a).GetFh());
  Bytes fh = op.Fh(2);
  Reply conf = RunRaw(Compound(0).PutFh(fh).OpenConfirm(op.Open(1).stateid, 2));
  Stateid4 osid = conf.StateidRes(1);
  // The open-owner's seqid must advance (RFC 7530 section 16.10.4).
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).LockNew(WRITE_LT, 0, 1, 9, osid, 0, c.clientid, "lk"))
                .last_status(),
            st::BAD_SEQID);
  Reply l = RunRaw(Compound(0).PutFh(fh).LockNew(WRITE_LT, 0, 1, 3, osid, 0, c.clientid, "lk"));
  ASSERT_EQ(l.status, st::OK);
  Stateid4 lsid = l.StateidRes(1);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).LockExisting(WRITE_LT, 5, 1, lsid, 5)).last_status(),
            st::BAD_SEQID);
  Reply ok = RunRaw(Compound(0).PutFh(fh).LockExisting(WRITE_LT, 5, 1, lsid, 1));
  EXPECT_EQ(ok.status, st::OK);
}

TEST_F(OpLock, DeniedNewLockOwnerMayComeAgainThroughTheOpen40) {
  // A 4.0 client whose first LOCK was denied has no lock stateid, so it
  // retries with new_lock_owner again; that must work once the range is free.
  Client40 c = NewClient40("c40");
  auto [fh, osid1] = OpenConfirmed40(c, "o1");
  auto [fh2, osid2] = OpenConfirmed40(c, "o2");
  Reply held = RunRaw(Compound(0).PutFh(fh).LockNew(WRITE_LT, 0, 10, 3, osid1, 0, c.clientid, "a"));
  ASSERT_EQ(held.status, st::OK);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).LockNew(WRITE_LT, 0, 10, 3, osid2, 0, c.clientid, "b"))
                .last_status(),
            st::DENIED);
  ASSERT_EQ(RunRaw(Compound(0).PutFh(fh).LockU(WRITE_LT, 1, held.StateidRes(1), 0, 10)).status,
            st::OK);
  Reply again =
      RunRaw(Compound(0).PutFh(fh).LockNew(WRITE_LT, 0, 10, 4, osid2, 0, c.clientid, "b"));
  EXPECT_EQ(again.status, st::OK);
}

}  // namespace
}  // namespace elfs::nfs4::test

namespace elfs::nfs4::test {
namespace {

// EFS's lock quotas (512 per file, 8,192 per mount), made small here.
class LockLimits : public Nfs4Test {
 protected:
  void SetUp() override {
    MakeFile("f", "0123456789", 0666);
    MakeFile("g", "0123456789", 0666);
    options_.state.max_locks_per_file = 4;
    options_.state.max_locks_per_client = 6;
    Restart(std::chrono::seconds(0));
  }
  Stateid4 lock_sid_;
  uint32_t Lock(Session41& s, const Opened& o, const std::string& owner, uint64_t off,
                bool first) {
    Compound c(1);
    c.PutFh(o.fh);
    if (first) {
      c.LockNew(WRITE_LT, off, 1, 0, o.stateid, 0, 0, owner);
    } else {
      c.LockExisting(WRITE_LT, off, 1, lock_sid_, 0);
    }
    Reply r = Run41(s, c);
    if (r.status == st::OK) lock_sid_ = r.StateidRes(2);
    return r.last_status();
  }
};

TEST_F(LockLimits, PerFileAndPerClientLimitsAreResource) {
  Session41& s = session();
  Opened f = Open41("", "f", SHARE_ACCESS_BOTH);
  ASSERT_EQ(f.status, st::OK);
  ASSERT_EQ(Lock(s, f, "lo", 0, true), st::OK);
  for (uint64_t off : {2, 4, 6}) ASSERT_EQ(Lock(s, f, "lo", off, false), st::OK);
  EXPECT_EQ(Lock(s, f, "lo", 8, false), st::RESOURCE);  // a fifth range on f
  // Filling a gap merges ranges: fewer, so it is granted.
  EXPECT_EQ(Lock(s, f, "lo", 1, false), st::OK);         // [0,3) [4,5) [6,7)
  EXPECT_EQ(Lock(s, f, "lo", 8, false), st::OK);         // four again
  // Other owners count against the same file.
  Session41 other = NewSession("other-client");
  Compound oc(1);
  oc.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "oo2", .name = "f"}).GetFh();
  Opened f2 = OpenedFrom(Run41(other, oc), 2);
  ASSERT_EQ(f2.status, st::OK);
  EXPECT_EQ(Run41(other, Compound(1).PutFh(f2.fh).LockNew(WRITE_LT, 20, 1, 0, f2.stateid, 0, 0,
                                                          "lo2"))
                .last_status(),
            st::RESOURCE);

  // Per client: two more ranges on g reach six, the seventh is refused.
  Opened g = Open41("", "g", SHARE_ACCESS_BOTH, SHARE_DENY_NONE, "og");
  ASSERT_EQ(g.status, st::OK);
  ASSERT_EQ(Lock(s, g, "lo-g", 0, true), st::OK);
  ASSERT_EQ(Lock(s, g, "lo-g", 2, false), st::OK);
  EXPECT_EQ(Lock(s, g, "lo-g", 4, false), st::RESOURCE);
  // Unlocking gives room back; an unlock that splits a range never fails.
  Reply u = Run41(s, Compound(1).PutFh(g.fh).LockU(WRITE_LT, 0, lock_sid_, 2, 1));
  ASSERT_EQ(u.last_status(), st::OK);
  lock_sid_ = u.StateidRes(2);
  EXPECT_EQ(Lock(s, g, "lo-g", 4, false), st::OK);
}

}  // namespace
}  // namespace elfs::nfs4::test
