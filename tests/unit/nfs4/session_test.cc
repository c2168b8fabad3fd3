// NFSv4.1 client ids and sessions: EXCHANGE_ID, CREATE_SESSION, SEQUENCE
// and its reply cache, DESTROY_SESSION, DESTROY_CLIENTID, RECLAIM_COMPLETE,
// BIND_CONN_TO_SESSION, SECINFO / SECINFO_NO_NAME (RFC 8881 sections 2.10,
// 18.29, 18.34-18.37, 18.45, 18.46, 18.50, 18.51).
#include <future>
#include <thread>

#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class OpExchangeId : public Nfs4Test {};
class OpCreateSession : public Nfs4Test {};
class OpSequence : public Nfs4Test {};
class OpDestroySession : public Nfs4Test {};
class OpDestroyClientId : public Nfs4Test {};
class OpReclaimComplete : public Nfs4Test {};
class OpBindConnToSession : public Nfs4Test {};
class OpSecInfo : public Nfs4Test {};
class OpSecInfoNoName : public Nfs4Test {};
class OpTestStateid : public Nfs4Test {};
class OpFreeStateid : public Nfs4Test {};

const Verifier8 kVerf{1, 1, 2, 3, 5, 8, 13, 21};

// ---- EXCHANGE_ID ----

TEST_F(OpExchangeId, NewClient) {
  Reply r = RunRaw(Compound(1).ExchangeId(kVerf, "new-client", 0));
  ASSERT_STATUSES(r, st::OK);
  ExchangeIdRes x = r.ExchangeId(0);
  EXPECT_NE(x.clientid, 0u);
  EXPECT_FALSE(x.flags & EXCHGID4_FLAG_CONFIRMED_R);
  // RFC 8881 section 18.35.3: the server states its pNFS role.
  uint32_t roles = x.flags & (EXCHGID4_FLAG_USE_NON_PNFS | EXCHGID4_FLAG_USE_PNFS_MDS |
                              EXCHGID4_FLAG_USE_PNFS_DS);
  EXPECT_EQ(roles, EXCHGID4_FLAG_USE_NON_PNFS);
  EXPECT_EQ(x.spr_how, SP4_NONE);
  EXPECT_FALSE(x.so_major_id.empty());
}

TEST_F(OpExchangeId, ConfirmedClientAgainKeepsItsId) {
  Session41 s = NewSession("again");
  Reply r = RunRaw(Compound(1).ExchangeId({1, 2, 3, 4, 5, 6, 7, 8}, "again", 0));
  ASSERT_EQ(r.status, st::OK);
  ExchangeIdRes x = r.ExchangeId(0);
  EXPECT_EQ(x.clientid, s.clientid);
  EXPECT_TRUE(x.flags & EXCHGID4_FLAG_CONFIRMED_R);
}

TEST_F(OpExchangeId, NewVerifierIsANewIncarnation) {
  Session41 s = NewSession("reboots");
  Reply r = RunRaw(Compound(1).ExchangeId({7, 7, 7, 7, 7, 7, 7, 7}, "reboots", 0));
  ASSERT_EQ(r.status, st::OK);
  ExchangeIdRes x = r.ExchangeId(0);
  EXPECT_NE(x.clientid, s.clientid);
  EXPECT_FALSE(x.flags & EXCHGID4_FLAG_CONFIRMED_R);
  // Confirming the new incarnation drops the old one and its sessions.
  Reply cs = RunRaw(Compound(1).CreateSession(x.clientid, x.sequenceid));
  ASSERT_EQ(cs.status, st::OK);
  Reply old = Run41(s, Compound(1).PutRootFh());
  EXPECT_EQ(old.op_status(0), st::BADSESSION);
}

TEST_F(OpExchangeId, ServerOnlyFlagIsInval) {
  // RFC 8881 section 18.35.3: EXCHGID4_FLAG_CONFIRMED_R is the server's.
  Reply r = RunRaw(Compound(1).ExchangeId(kVerf, "c", EXCHGID4_FLAG_CONFIRMED_R));
  EXPECT_STATUSES(r, st::INVAL);
}

TEST_F(OpExchangeId, UpdateOfAnUnknownRecordIsNoEnt) {
  // RFC 8881 section 18.35.5 case 7.
  Reply r = RunRaw(Compound(1).ExchangeId(kVerf, "nobody", EXCHGID4_FLAG_UPD_CONFIRMED_REC_A));
  EXPECT_STATUSES(r, st::NOENT);
}

TEST_F(OpExchangeId, WithoutImplementationId) {
  Reply r = RunRaw(Compound(1).ExchangeId(kVerf, "no-impl", 0, SP4_NONE, false));
  EXPECT_STATUSES(r, st::OK);
}

TEST_F(OpExchangeId, UnconfirmedRecordsCannotLockOutNewClients) {
  // One misbehaving (or hostile) client sends EXCHANGE_ID for many owner
  // names and never confirms them. Those records must not fill the
  // client table so that a real client can no longer mount (SPEC section
  // 2: hostile input never denies service); unconfirmed records are
  // cheap to drop (RFC 8881 section 18.35.4 lets the server discard them).
  for (int i = 0; i < 5000; ++i) {
    Reply r = RunRaw(Compound(1).ExchangeId(kVerf, "junk-" + std::to_string(i), 0), User(666));
    ASSERT_TRUE(r.parsed);
  }
  Reply x = RunRaw(Compound(1).ExchangeId(kVerf, "real-client", 0));
  ASSERT_STATUSES(x, st::OK);
  ExchangeIdRes xr = x.ExchangeId(0);
  EXPECT_STATUSES(RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid)), st::OK);
}

TEST_F(OpExchangeId, ServerOwnerDiffersBetweenExports) {
  Reply a = RunRaw(Compound(1).ExchangeId(kVerf, "c", 0), Root(), exp_);
  Reply b = RunRaw(Compound(1).ExchangeId(kVerf, "c", 0), Root(), exp2_);
  ASSERT_EQ(a.status, st::OK);
  ASSERT_EQ(b.status, st::OK);
  EXPECT_NE(a.ExchangeId(0).so_major_id, b.ExchangeId(0).so_major_id);
}

// ---- CREATE_SESSION ----

TEST_F(OpCreateSession, NegotiatesChannelAttributes) {
  Reply x = RunRaw(Compound(1).ExchangeId(kVerf, "cs", 0));
  ASSERT_EQ(x.status, st::OK);
  ExchangeIdRes xr = x.ExchangeId(0);
  ChannelAttrs4 fore;
  fore.maxrequests = 1000;
  fore.maxoperations = 1000;
  fore.maxrequestsize = 64 << 20;
  Reply r = RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid, 0, fore));
  ASSERT_STATUSES(r, st::OK);
  CreateSessionRes cr = r.CreateSession(0);
  EXPECT_EQ(cr.sequence, xr.sequenceid);
  EXPECT_GE(cr.fore.maxrequests, 1u);
  EXPECT_LE(cr.fore.maxrequests, 1000u);
  EXPECT_LE(cr.fore.maxoperations, 1000u);
  EXPECT_LE(cr.fore.maxrequestsize, fore.maxrequestsize);
  EXPECT_TRUE(cr.fore.rdma_ird.empty());
}

TEST_F(OpCreateSession, ReplayReturnsTheSameSession) {
  // RFC 8881 section 18.36.4: a retransmitted CREATE_SESSION (same
  // csa_sequence) gets the cached result.
  Reply x = RunRaw(Compound(1).ExchangeId(kVerf, "cs-replay", 0));
  ExchangeIdRes xr = x.ExchangeId(0);
  Compound cs(1);
  cs.CreateSession(xr.clientid, xr.sequenceid);
  Reply a = RunRaw(cs);
  Reply b = RunRaw(cs);
  ASSERT_EQ(a.status, st::OK);
  ASSERT_EQ(b.status, st::OK);
  EXPECT_EQ(a.CreateSession(0).sessionid, b.CreateSession(0).sessionid);
  EXPECT_EQ(a.bytes, b.bytes);
}

TEST_F(OpCreateSession, WrongSequenceIsSeqMisordered) {
  Reply x = RunRaw(Compound(1).ExchangeId(kVerf, "cs-mis", 0));
  ExchangeIdRes xr = x.ExchangeId(0);
  EXPECT_STATUSES(RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid + 1)),
                  st::SEQ_MISORDERED);
  EXPECT_STATUSES(RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid - 1)),
                  st::SEQ_MISORDERED);
  ASSERT_STATUSES(RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid)), st::OK);
  // The next one is sequenceid + 1; + 2 is misordered.
  EXPECT_STATUSES(RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid + 2)),
                  st::SEQ_MISORDERED);
  EXPECT_STATUSES(RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid + 1)), st::OK);
}

TEST_F(OpCreateSession, UndefinedFlagsAreInval) {
  Reply x = RunRaw(Compound(1).ExchangeId(kVerf, "cs-flags", 0));
  ExchangeIdRes xr = x.ExchangeId(0);
  EXPECT_STATUSES(RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid, 0x100)), st::INVAL);
}

TEST_F(OpCreateSession, ChannelTooSmallForSequenceIsTooSmall) {
  Reply x = RunRaw(Compound(1).ExchangeId(kVerf, "cs-small", 0));
  ExchangeIdRes xr = x.ExchangeId(0);
  ChannelAttrs4 tiny;
  tiny.maxrequestsize = 64;
  tiny.maxresponsesize = 64;
  EXPECT_STATUSES(RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid, 0, tiny)),
                  st::TOOSMALL);
}

TEST_F(OpCreateSession, UnknownClientIsStaleClientid) {
  EXPECT_STATUSES(RunRaw(Compound(1).CreateSession(0xdeadbeef12345678ull, 1)),
                  st::STALE_CLIENTID);
}

TEST_F(OpCreateSession, SecondSessionInsideASequence) {
  Session41& s = session();
  Reply r = Run41(s, Compound(1).CreateSession(s.clientid, 2));
  ASSERT_STATUSES(r, st::OK, st::OK);
  EXPECT_NE(r.CreateSession(1).sessionid, s.id);
}

// ---- SEQUENCE ----

TEST_F(OpSequence, EchoesItsArguments) {
  Session41& s = session();
  Reply r = Run41(s, Compound(1).PutRootFh(), Root(), 3);
  ASSERT_STATUSES(r, st::OK, st::OK);
  SequenceRes q = r.Sequence(0);
  EXPECT_EQ(q.sessionid, s.id);
  EXPECT_EQ(q.sequenceid, 1u);
  EXPECT_EQ(q.slotid, 3u);
  EXPECT_GE(q.highest_slotid, 3u);
  EXPECT_GE(q.target_highest_slotid, 0u);
  // This session came on no connection, so it has no back channel, and
  // SEQUENCE says so (back_channel_test.cc covers the rest).
  EXPECT_EQ(q.status_flags, SEQ4_STATUS_CB_PATH_DOWN | SEQ4_STATUS_CB_PATH_DOWN_SESSION);
}

TEST_F(OpSequence, ReplayOfACachedRequestReturnsIdenticalBytesAndDoesNotRerun) {
  Session41& s = session();
  Compound body(1);
  body.PutRootFh().CreateDir("once").GetFh();
  Compound req = SequenceFor(s, 0, /*cachethis=*/true);
  req.Append(body);
  Reply first = RunRaw(req);
  ASSERT_EQ(first.status, st::OK);
  uint64_t change = AttrOf("").change;
  Reply replay = RunRaw(req);
  ASSERT_TRUE(replay.parsed) << replay.error;
  EXPECT_EQ(replay.bytes, first.bytes);
  EXPECT_EQ(AttrOf("").change, change) << "the CREATE ran again";
  // The slot moves on normally afterwards.
  EXPECT_EQ(Run41(s, Compound(1).PutRootFh()).status, st::OK);
}

TEST_F(OpSequence, ReplayOfAFailedCachedRequest) {
  Session41& s = session();
  Compound req = SequenceFor(s, 0, true);
  req.PutRootFh().Lookup("missing");
  Reply first = RunRaw(req);
  ASSERT_EQ(first.status, st::NOENT);
  MakeFile("missing");
  Reply replay = RunRaw(req);
  EXPECT_EQ(replay.bytes, first.bytes);
}

TEST_F(OpSequence, ReplayOfAnUncachedRequestIsRetryUncachedRep) {
  // RFC 8881 section 2.10.6.1.3: sa_cachethis FALSE and a retry of the same
  // sequenceid: NFS4ERR_RETRY_UNCACHED_REP, without executing it again.
  MakeFile("f", "", 0666);
  Session41& s = session();
  Compound req = SequenceFor(s, 0, false);
  req.PutRootFh().Lookup("f").Write(Stateid4::Anonymous(), 0, FILE_SYNC4, ToBytes("1"));
  ASSERT_EQ(RunRaw(req).status, st::OK);
  int writes = fs_->writes();
  Reply replay = RunRaw(req);
  ASSERT_TRUE(replay.parsed) << replay.error;
  ASSERT_GE(replay.size(), 1u);
  EXPECT_EQ(replay.op_status(0), st::RETRY_UNCACHED_REP);
  EXPECT_EQ(replay.status, st::RETRY_UNCACHED_REP);
  EXPECT_EQ(fs_->writes(), writes);
}

TEST_F(OpSequence, MisorderedSequenceIds) {
  Session41& s = session();
  ASSERT_EQ(Run41(s, Compound(1).PutRootFh()).status, st::OK);
  const uint32_t last = s.slot_seq[0];
  // RFC 8881 section 2.10.6.1: only last (a retry) and last + 1 (a new
  // request) are acceptable; anything else is NFS4ERR_SEQ_MISORDERED.
  for (uint32_t bad : {0u, last - 1, last + 2, last + 100, 0xffffffffu}) {
    Reply r = RunRaw(Compound(1).Sequence(s.id, bad, 0, 7, false).PutRootFh());
    EXPECT_STATUSES(r, st::SEQ_MISORDERED) << "seqid " << bad << " after " << last;
  }
  // A fresh slot starts at sequenceid 1.
  EXPECT_STATUSES(RunRaw(Compound(1).Sequence(s.id, 0, 5, 7, false)), st::SEQ_MISORDERED);
  EXPECT_STATUSES(RunRaw(Compound(1).Sequence(s.id, 2, 5, 7, false)), st::SEQ_MISORDERED);
  EXPECT_STATUSES(RunRaw(Compound(1).Sequence(s.id, 1, 5, 7, false)), st::OK);
}

TEST_F(OpSequence, SlotsAreIndependent) {
  Session41& s = session();
  const uint32_t slot0 = s.slot_seq[0];
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Run41(s, Compound(1).PutRootFh(), Root(), 0).status, st::OK);
  EXPECT_EQ(Run41(s, Compound(1).PutRootFh(), Root(), 1).status, st::OK);
  EXPECT_EQ(s.slot_seq[0], slot0 + 5);
  EXPECT_EQ(s.slot_seq[1], 1u);
  // Slot 1's seqid did not disturb slot 0.
  EXPECT_EQ(Run41(s, Compound(1).PutRootFh(), Root(), 0).status, st::OK);
}

TEST_F(OpSequence, SlotBeyondTheTableIsBadSlot) {
  Session41& s = session();
  uint32_t n = static_cast<uint32_t>(s.slot_seq.size());
  Reply r = RunRaw(Compound(1).Sequence(s.id, 1, n, n - 1, false));
  EXPECT_STATUSES(r, st::BADSLOT);
  Reply r2 = RunRaw(Compound(1).Sequence(s.id, 1, 0xffffffff, 0, false));
  EXPECT_STATUSES(r2, st::BADSLOT);
}

TEST_F(OpSequence, UnknownSessionIsBadSession) {
  SessionId16 bogus{};
  bogus.fill(0x42);
  EXPECT_STATUSES(RunRaw(Compound(1).Sequence(bogus, 1, 0, 0, false).PutRootFh()),
                  st::BADSESSION);
}

TEST_F(OpSequence, TooManyOperationsIsRefused) {
  // RFC 8881 section 18.46.3: more operations than ca_maxoperations.
  Session41& s = session();
  Compound body(1);
  for (int i = 0; i < 40; ++i) body.PutRootFh();
  Reply r = Run41(s, body);
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.op_status(0), st::TOO_MANY_OPS);
  EXPECT_EQ(r.size(), 1u);
  // The slot is usable afterwards with the next seqid.
  EXPECT_EQ(Run41(s, Compound(1).PutRootFh()).status, st::OK);
}

TEST_F(OpSequence, RequestLargerThanNegotiatedIsReqTooBig) {
  // RFC 8881 section 18.46.3: NFS4ERR_REQ_TOO_BIG when the request exceeds
  // ca_maxrequestsize.
  MakeFile("f", "", 0666);
  Bytes fh = Fh("f");
  ChannelAttrs4 fore;
  fore.maxrequestsize = 4096;
  Session41 s = NewSession("small-req", Root(), true, fore);
  Reply r = Run41(s, Compound(1).PutFh(fh).Write(Stateid4::Anonymous(), 0, FILE_SYNC4,
                                                 Bytes(8192, 'w')));
  EXPECT_STATUSES(r, st::REQ_TOO_BIG);
  EXPECT_EQ(AttrOf("f").size, 0u);
}

TEST_F(OpSequence, ReplyLargerThanNegotiatedIsRepTooBig) {
  MakeFile("f", std::string(8192, 'r'), 0666);
  Bytes fh = Fh("f");
  ChannelAttrs4 fore;
  fore.maxresponsesize = 4096;
  Session41 s = NewSession("small-rep", Root(), true, fore);
  Reply r = Run41(s, Compound(1).PutFh(fh).Read(Stateid4::Anonymous(), 0, 8192));
  EXPECT_STATUSES(r, st::OK, st::OK, st::REP_TOO_BIG);
  Reply small = Run41(s, Compound(1).PutFh(fh).Read(Stateid4::Anonymous(), 0, 1024));
  EXPECT_EQ(small.status, st::OK);
}

TEST_F(OpSequence, CachedReplyLargerThanTheCacheIsRepTooBigToCache) {
  MakeFile("f", std::string(8192, 'r'), 0666);
  Bytes fh = Fh("f");
  ChannelAttrs4 fore;
  fore.maxresponsesize_cached = 2048;
  Session41 s = NewSession("small-cache", Root(), true, fore);
  Reply r = Run41(s, Compound(1).PutFh(fh).Read(Stateid4::Anonymous(), 0, 8192), Root(), 0,
                  /*cachethis=*/true);
  EXPECT_STATUSES(r, st::OK, st::OK, st::REP_TOO_BIG_TO_CACHE);
  // Not asking to cache it is fine.
  Reply u = Run41(s, Compound(1).PutFh(fh).Read(Stateid4::Anonymous(), 0, 8192));
  EXPECT_EQ(u.status, st::OK);
}

TEST_F(OpSequence, TwoSessionsOfOneClient) {
  Session41& s = session();
  Reply cs = Run41(s, Compound(1).CreateSession(s.clientid, 2));
  ASSERT_EQ(cs.status, st::OK);
  Session41 t = s;
  t.id = cs.CreateSession(1).sessionid;
  t.slot_seq.assign(t.slot_seq.size(), 0);
  EXPECT_EQ(Run41(t, Compound(1).PutRootFh()).status, st::OK);
  ASSERT_EQ(RunRaw(Compound(1).DestroySession(t.id)).status, st::OK);
  EXPECT_EQ(Run41(s, Compound(1).PutRootFh()).status, st::OK);
  EXPECT_EQ(Run41(t, Compound(1).PutRootFh()).op_status(0), st::BADSESSION);
}

TEST_F(OpSequence, ConcurrentRetransmissionsOfAnInFlightRequest) {
  // While the original request holds its slot (its WRITE is blocked in the
  // backend), retransmissions of it must neither wait for it nor run it a
  // second time: they get NFS4ERR_DELAY (RFC 8881 section 2.10.6.2) or the
  // reply. After it finishes, a retransmission gets the cached reply.
  MakeFile("f", "", 0666);
  Bytes fh = Fh("f");
  Session41& s = session();
  Compound req = SequenceFor(s, 2, /*cachethis=*/true);
  req.PutFh(fh).Write(Stateid4::Anonymous(), 0, FILE_SYNC4, ToBytes("only once"));
  Bytes args = req.Encode();
  int writes_before = fs_->writes();

  fs_->HoldWrites();
  auto original = std::async(std::launch::async, [&] { return RunBytes(args); });
  ASSERT_TRUE(fs_->WaitForHeldWrite(std::chrono::seconds(10))) << "original never reached WRITE";

  std::vector<std::future<Bytes>> retries;
  for (int i = 0; i < 2; ++i)
    retries.push_back(std::async(std::launch::async, [&] { return RunBytes(args); }));
  std::vector<bool> done;
  for (auto& f : retries) done.push_back(f.wait_for(std::chrono::seconds(5)) ==
                                         std::future_status::ready);
  fs_->Release();  // whatever happened, let everything finish
  for (size_t i = 0; i < retries.size(); ++i) {
    EXPECT_TRUE(done[i]) << "retransmission " << i << " hung behind the in-flight original";
  }
  Reply orig = Reply::Parse(original.get());
  ASSERT_EQ(orig.status, st::OK);
  for (auto& f : retries) {
    Reply r = Reply::Parse(f.get());
    ASSERT_TRUE(r.parsed) << r.error;
    bool delayed = r.size() == 1 && r.op_status(0) == st::DELAY;
    EXPECT_TRUE(delayed || r.bytes == orig.bytes) << "status " << r.status;
  }
  EXPECT_EQ(fs_->writes() - writes_before, 1) << "the WRITE ran more than once";
  Reply late = Reply::Parse(RunBytes(args));
  EXPECT_EQ(late.bytes, orig.bytes);
  EXPECT_EQ(fs_->writes() - writes_before, 1);
  EXPECT_EQ(Content("f"), "only once");
}

TEST_F(OpSequence, RenewsTheLeaseOfAnIdleClient) {
  Session41& s = session();
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(std::chrono::seconds(60));
    ASSERT_EQ(Run41(s, Compound(1).PutRootFh()).status, st::OK) << i;
  }
}

// ---- DESTROY_SESSION ----

TEST_F(OpDestroySession, AloneThenTheSessionIsGone) {
  Session41 s = NewSession("ds");
  EXPECT_STATUSES(RunRaw(Compound(1).DestroySession(s.id)), st::OK);
  Reply r = Run41(s, Compound(1).PutRootFh());
  EXPECT_STATUSES(r, st::BADSESSION);
  EXPECT_STATUSES(RunRaw(Compound(1).DestroySession(s.id)), st::BADSESSION);
}

TEST_F(OpDestroySession, AsTheLastOpOfItsOwnSequence) {
  Session41 s = NewSession("ds2");
  Reply r = Run41(s, Compound(1).DestroySession(s.id));
  EXPECT_STATUSES(r, st::OK, st::OK);
  EXPECT_EQ(Run41(s, Compound(1).PutRootFh()).op_status(0), st::BADSESSION);
}

// ---- DESTROY_CLIENTID ----

TEST_F(OpDestroyClientId, BusyWhileItHasSessions) {
  // RFC 8881 section 18.50.3: NFS4ERR_CLIENTID_BUSY while sessions exist.
  Session41 s = NewSession("dc");
  EXPECT_STATUSES(RunRaw(Compound(1).DestroyClientId(s.clientid)), st::CLIENTID_BUSY);
  ASSERT_STATUSES(RunRaw(Compound(1).DestroySession(s.id)), st::OK);
  EXPECT_STATUSES(RunRaw(Compound(1).DestroyClientId(s.clientid)), st::OK);
  EXPECT_STATUSES(RunRaw(Compound(1).CreateSession(s.clientid, 2)), st::STALE_CLIENTID);
}

TEST_F(OpDestroyClientId, UnknownIsStaleClientid) {
  EXPECT_STATUSES(RunRaw(Compound(1).DestroyClientId(0x77)), st::STALE_CLIENTID);
}

TEST_F(OpDestroyClientId, InsideItsOwnSessionIsBusy) {
  Session41 s = NewSession("dc2");
  Reply r = Run41(s, Compound(1).DestroyClientId(s.clientid));
  EXPECT_STATUSES(r, st::OK, st::CLIENTID_BUSY);
}

// ---- RECLAIM_COMPLETE ----

TEST_F(OpReclaimComplete, OnceThenCompleteAlready) {
  Session41 s = NewSession("rc", Root(), /*reclaim_complete=*/false);
  EXPECT_STATUSES(Run41(s, Compound(1).ReclaimComplete(false)), st::OK, st::OK);
  EXPECT_STATUSES(Run41(s, Compound(1).ReclaimComplete(false)), st::OK, st::COMPLETE_ALREADY);
}

TEST_F(OpReclaimComplete, OpenBeforeItIsGrace) {
  // RFC 8881 section 18.51.3: non-reclaim locking operations before
  // RECLAIM_COMPLETE get NFS4ERR_GRACE.
  MakeFile("f", "", 0666);
  Session41 s = NewSession("rc2", Root(), /*reclaim_complete=*/false);
  Compound open(1);
  open.PutRootFh().Open(OpenArgs{.owner = "o", .name = "f"});
  EXPECT_EQ(Run41(s, open).last_status(), st::GRACE);
  ASSERT_EQ(Run41(s, Compound(1).ReclaimComplete(false)).status, st::OK);
  EXPECT_EQ(Run41(s, open).status, st::OK);
}

TEST_F(OpReclaimComplete, OutsideASessionIsOpNotInSession) {
  EXPECT_STATUSES(RunRaw(Compound(1).ReclaimComplete(false)), st::OP_NOT_IN_SESSION);
}

// ---- BIND_CONN_TO_SESSION ----

TEST_F(OpBindConnToSession, KnownAndUnknownSessions) {
  Session41& s = session();
  Reply ok = RunRaw(Compound(1).BindConnToSession(s.id, 3 /* CDFC4_FORE_OR_BOTH */, false));
  ASSERT_STATUSES(ok, st::OK);
  WireIn b = ok.Body(0);
  Bytes sid = b.Fixed(16);
  EXPECT_EQ(sid, Bytes(s.id.begin(), s.id.end()));
  SessionId16 bogus{};
  bogus.fill(3);
  EXPECT_STATUSES(RunRaw(Compound(1).BindConnToSession(bogus, 1, false)), st::BADSESSION);
}

// ---- SECINFO / SECINFO_NO_NAME ----

TEST_F(OpSecInfo, ListsAuthSysAndConsumesTheFileHandle41) {
  MakeFile("f");
  Reply r = Run(Compound(1).PutRootFh().SecInfo("f").GetFh());
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.op_status(2), st::OK);
  EXPECT_EQ(r.SecInfo(2), std::vector<uint32_t>{kAuthSys});
  // RFC 8881 section 2.6.3.1.1.8: SECINFO consumes the current filehandle.
  EXPECT_EQ(r.op_status(3), st::NOFILEHANDLE);
}

TEST_F(OpSecInfo, MissingNameIsNoEnt) {
  EXPECT_STATUSES(RunRaw(Compound(0).PutRootFh().SecInfo("nope")), st::OK, st::NOENT);
  EXPECT_STATUSES(RunRaw(Compound(0).PutRootFh().SecInfo("..")), st::OK, st::BADNAME);
}

TEST_F(OpSecInfoNoName, CurrentFh) {
  Reply r = Run(Compound(1).PutRootFh().SecInfoNoName(SECINFO_STYLE4_CURRENT_FH).GetFh());
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.op_status(2), st::OK);
  EXPECT_EQ(r.SecInfo(2), std::vector<uint32_t>{kAuthSys});
  EXPECT_EQ(r.op_status(3), st::NOFILEHANDLE);
}

TEST_F(OpSecInfoNoName, ParentOfTheRootIsNoEnt) {
  // RFC 8881 section 18.45.3.
  Reply r = Run(Compound(1).PutRootFh().SecInfoNoName(SECINFO_STYLE4_PARENT));
  EXPECT_STATUSES(r, st::OK, st::OK, st::NOENT);
  MakeDir("d");
  Compound c(1);
  PutPath(c, "d").SecInfoNoName(SECINFO_STYLE4_PARENT);
  EXPECT_EQ(Run(c).last_status(), st::OK);
  MakeFile("f");
  Compound f(1);
  PutPath(f, "f").SecInfoNoName(SECINFO_STYLE4_PARENT);
  EXPECT_EQ(Run(f).last_status(), st::NOTDIR);
}

TEST_F(OpSecInfoNoName, UnknownStyle) {
  Reply r = Run(Compound(1).PutRootFh().SecInfoNoName(7));
  ASSERT_TRUE(r.parsed);
  EXPECT_TRUE(r.last_status() == st::INVAL || r.last_status() == st::BADXDR) << r.last_status();
}

// ---- TEST_STATEID ----

TEST_F(OpTestStateid, EmptyList) {
  Reply r = Run(Compound(1).TestStateid({}));
  ASSERT_STATUSES(r, st::OK, st::OK);
  EXPECT_TRUE(r.TestStateid(1).empty());
}

}  // namespace
}  // namespace elfs::nfs4::test

namespace elfs::nfs4::test {
namespace {

TEST_F(OpFreeStateid, UnknownIsBadStateidOpenIsLocksHeld) {
  // RFC 8881 section 18.38.3: FREE_STATEID of a stateid that still has
  // state (an open) is refused; of one the server does not know,
  // NFS4ERR_BAD_STATEID.
  MakeFile("f", "", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_READ);
  ASSERT_EQ(o.status, st::OK);
  EXPECT_EQ(Run(Compound(1).FreeStateid(o.stateid)).last_status(), st::LOCKS_HELD);
  Stateid4 bogus = o.stateid;
  bogus.other[9] ^= 0x20;
  EXPECT_EQ(Run(Compound(1).FreeStateid(bogus)).last_status(), st::BAD_STATEID);
}

}  // namespace
}  // namespace elfs::nfs4::test
