// Per-client limits (StateOptions): opens, owners, lock stateids and the
// reply cache budget, each refused with NFS4ERR_RESOURCE and given back when
// the state goes, so what one client can make the server hold is bounded.
// The byte-range lock limits are in lock_test.cc (LockLimits).
#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class ClientLimits : public Nfs4Test {
 protected:
  void SetUp() override {
    for (const char* name : {"a", "b", "c", "d"}) MakeFile(name, "0123456789", 0666);
    options_.state.max_opens_per_client = 3;
    options_.state.max_owners_per_client = 2;
    options_.state.max_lock_states_per_client = 2;
    options_.state.max_reply_cache_per_client = 3 * 4096;
    Restart(std::chrono::seconds(0));
    // The default session of 8 slots of 64 KiB would not fit the budget.
    default_session_ = NewSession("default-client", Root(), true, Fore());
  }

  static ChannelAttrs4 Fore() {
    ChannelAttrs4 f;
    f.maxresponsesize_cached = 4096;
    f.maxrequests = 64;
    return f;
  }
};

TEST_F(ClientLimits, OpensPerClient) {
  std::vector<Opened> opened;
  for (const char* name : {"a", "b", "c"}) {
    opened.push_back(Open41("", name, SHARE_ACCESS_BOTH));
    ASSERT_EQ(opened.back().status, st::OK) << name;
  }
  EXPECT_EQ(Open41("", "d", SHARE_ACCESS_BOTH).status, st::RESOURCE);
  // The same owner opening a file it has open again is an upgrade, no new open.
  EXPECT_EQ(Open41("", "a", SHARE_ACCESS_READ).status, st::OK);
  // Another client has its own count.
  Session41 other = NewSession("other", Root(), true, Fore());
  Compound oc(1);
  oc.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_READ, .owner = "o", .name = "d"}).GetFh();
  EXPECT_EQ(OpenedFrom(Run41(other, oc), 2).status, st::OK);
  // A CLOSE gives the room back (seqid 0: whatever the upgrade made it).
  Stateid4 a_sid = opened[0].stateid;
  a_sid.seqid = 0;
  Reply c = Run(Compound(1).PutFh(opened[0].fh).Close(0, a_sid));
  ASSERT_EQ(c.status, st::OK);
  EXPECT_EQ(Open41("", "d", SHARE_ACCESS_BOTH).status, st::OK);
}

TEST_F(ClientLimits, Resource40DoesNotConsumeTheSeqid) {
  // RFC 7530 section 9.1.7: after NFS4ERR_RESOURCE the client sends the
  // same seqid again, and it must be taken.
  options_.state.max_opens_per_client = 1;
  options_.state.grace_time = std::chrono::seconds(0);  // no reclaims to wait for
  Restart(std::chrono::seconds(0));
  Client40 c = NewClient40("c40");
  auto open40 = [&](uint32_t seqid, const char* name) {
    OpenArgs a{.seqid = seqid, .access = SHARE_ACCESS_READ, .clientid = c.clientid, .owner = "o",
               .name = name};
    return RunRaw(Compound(0).PutRootFh().Open(a).GetFh());
  };
  Reply a = open40(1, "a");
  ASSERT_EQ(a.status, st::OK);
  Reply conf = RunRaw(Compound(0).PutFh(a.Fh(2)).OpenConfirm(a.Open(1).stateid, 2));
  ASSERT_EQ(conf.status, st::OK);
  EXPECT_EQ(open40(3, "b").op_status(1), st::RESOURCE);
  EXPECT_EQ(open40(3, "b").op_status(1), st::RESOURCE);  // the same seqid, still taken
  // CLOSE with that seqid frees the open; the next OPEN gets the one after.
  ASSERT_EQ(RunRaw(Compound(0).PutFh(a.Fh(2)).Close(3, conf.StateidRes(1))).status, st::OK);
  EXPECT_EQ(open40(4, "b").status, st::OK);
}

TEST_F(ClientLimits, OwnersPerClient) {
  EXPECT_EQ(Open41("", "a", SHARE_ACCESS_READ, SHARE_DENY_NONE, "owner-1").status, st::OK);
  EXPECT_EQ(Open41("", "b", SHARE_ACCESS_READ, SHARE_DENY_NONE, "owner-2").status, st::OK);
  EXPECT_EQ(Open41("", "c", SHARE_ACCESS_READ, SHARE_DENY_NONE, "owner-3").status,
            st::RESOURCE);
  // A known owner still opens.
  EXPECT_EQ(Open41("", "c", SHARE_ACCESS_READ, SHARE_DENY_NONE, "owner-1").status, st::OK);
}

TEST_F(ClientLimits, LockStatesPerClient) {
  Opened a = Open41("", "a", SHARE_ACCESS_BOTH);
  Opened b = Open41("", "b", SHARE_ACCESS_BOTH);
  ASSERT_EQ(a.status, st::OK);
  ASSERT_EQ(b.status, st::OK);
  auto lock_new = [&](const Opened& o, const std::string& owner, uint64_t off) {
    return Run(Compound(1).PutFh(o.fh).LockNew(WRITE_LT, off, 1, 0, o.stateid, 0, 0, owner));
  };
  Reply first = lock_new(a, "lo-1", 0);
  ASSERT_EQ(first.status, st::OK);
  ASSERT_EQ(lock_new(b, "lo-1", 0).status, st::OK);
  // A third lock stateid (another owner on a), and a third lock-owner.
  EXPECT_EQ(lock_new(a, "lo-2", 5).last_status(), st::RESOURCE);
  // Freeing one (unlock, then FREE_STATEID) makes room.
  Stateid4 lsid = first.StateidRes(2);
  Reply u = Run(Compound(1).PutFh(a.fh).LockU(WRITE_LT, 0, lsid, 0, 1));
  ASSERT_EQ(u.status, st::OK);
  ASSERT_EQ(Run(Compound(1).FreeStateid(u.StateidRes(2))).status, st::OK);
  EXPECT_EQ(lock_new(a, "lo-2", 5).status, st::OK);
}

TEST_F(ClientLimits, ReplyCacheBudgetLimitsSlots) {
  // 3 x 4 KiB of budget: 64 slots asked, 3 given; nothing left for a
  // second session of the client until the first goes.
  Verifier8 verf{7, 7, 7, 7, 7, 7, 7, 7};
  Reply x = RunRaw(Compound(1).ExchangeId(verf, "cacher", 0));
  ASSERT_EQ(x.status, st::OK);
  ExchangeIdRes xr = x.ExchangeId(0);
  Reply c1 = RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid, 0, Fore()));
  ASSERT_EQ(c1.status, st::OK);
  CreateSessionRes s1 = c1.CreateSession(0);
  EXPECT_EQ(s1.fore.maxrequests, 3u);
  EXPECT_EQ(s1.fore.maxresponsesize_cached, 4096u);
  Reply c2 = RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid + 1, 0, Fore()));
  EXPECT_EQ(c2.status, st::RESOURCE);
  // A client that caches nothing is not limited by the budget.
  ChannelAttrs4 none = Fore();
  none.maxresponsesize_cached = 0;
  Reply c3 = RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid + 1, 0, none));
  ASSERT_EQ(c3.status, st::OK);
  EXPECT_EQ(c3.CreateSession(0).fore.maxrequests, 64u);
  ASSERT_EQ(RunRaw(Compound(1).DestroySession(s1.sessionid)).status, st::OK);
  Reply c4 = RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid + 2, 0, Fore()));
  ASSERT_EQ(c4.status, st::OK);
  EXPECT_EQ(c4.CreateSession(0).fore.maxrequests, 3u);
}

}  // namespace
}  // namespace elfs::nfs4::test
