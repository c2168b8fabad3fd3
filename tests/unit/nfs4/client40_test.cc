// NFSv4.0 client ids: SETCLIENTID, SETCLIENTID_CONFIRM, RENEW,
// RELEASE_LOCKOWNER (RFC 7530 sections 9.1.3, 16.29, 16.33, 16.34, 16.37).
#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class OpSetClientId : public Nfs4Test {};
class OpSetClientIdConfirm : public Nfs4Test {};
class OpRenew : public Nfs4Test {};
class OpReleaseLockOwner : public Nfs4Test {};

const Verifier8 kV1{1, 0, 0, 0, 0, 0, 0, 1};
const Verifier8 kV2{2, 0, 0, 0, 0, 0, 0, 2};

TEST_F(OpSetClientId, ThenConfirmThenRenew) {
  Reply s = RunRaw(Compound(0).SetClientId(kV1, "linux-client"));
  ASSERT_STATUSES(s, st::OK);
  SetClientIdRes r = s.SetClientId(0);
  EXPECT_NE(r.clientid, 0u);
  EXPECT_STATUSES(RunRaw(Compound(0).SetClientIdConfirm(r.clientid, r.confirm)), st::OK);
  EXPECT_STATUSES(RunRaw(Compound(0).Renew(r.clientid)), st::OK);
}

TEST_F(OpSetClientId, SameVerifierKeepsTheClientId) {
  // RFC 7530 section 16.33.5: a confirmed client calling again with the same
  // verifier (a callback update) keeps its client id.
  Client40 c = NewClient40("same-verf");  // verifier {9,9,9,9,1,2,3,4}
  Reply s = RunRaw(Compound(0).SetClientId({9, 9, 9, 9, 1, 2, 3, 4}, "same-verf"));
  ASSERT_EQ(s.status, st::OK);
  SetClientIdRes r = s.SetClientId(0);
  EXPECT_EQ(r.clientid, c.clientid);
  EXPECT_EQ(RunRaw(Compound(0).SetClientIdConfirm(r.clientid, r.confirm)).status, st::OK);
  EXPECT_EQ(RunRaw(Compound(0).Renew(c.clientid)).status, st::OK);
}

TEST_F(OpSetClientId, NewVerifierIsARebootOfTheClient) {
  Client40 c = NewClient40("rebooting");
  Reply s = RunRaw(Compound(0).SetClientId(kV2, "rebooting"));
  ASSERT_EQ(s.status, st::OK);
  SetClientIdRes r = s.SetClientId(0);
  EXPECT_NE(r.clientid, c.clientid);
  // Until confirmed, the old id still works.
  EXPECT_EQ(RunRaw(Compound(0).Renew(c.clientid)).status, st::OK);
  ASSERT_EQ(RunRaw(Compound(0).SetClientIdConfirm(r.clientid, r.confirm)).status, st::OK);
  EXPECT_EQ(RunRaw(Compound(0).Renew(c.clientid)).status, st::STALE_CLIENTID);
  EXPECT_EQ(RunRaw(Compound(0).Renew(r.clientid)).status, st::OK);
}

TEST_F(OpSetClientId, AnotherPrincipalWithStateIsClidInUse) {
  // RFC 7530 section 16.33.5: the id string is held by another principal
  // with state: NFS4ERR_CLID_INUSE (the result carries a clientaddr4).
  MakeFile("f", "", 0666);
  Client40 c = NewClient40("shared-id", User(1000));
  OpenArgs a{.seqid = 1, .access = SHARE_ACCESS_READ, .clientid = c.clientid, .owner = "o",
             .name = "f"};
  ASSERT_EQ(RunRaw(Compound(0).PutRootFh().Open(a), User(1000)).status, st::OK);
  Reply s = RunRaw(Compound(0).SetClientId(kV2, "shared-id"), User(2000));
  ASSERT_TRUE(s.parsed) << s.error;
  EXPECT_STATUSES(s, st::CLID_INUSE);
}

TEST_F(OpSetClientId, UnconfirmedRecordsCannotLockOutNewClients) {
  // As OpExchangeId.UnconfirmedRecordsCannotLockOutNewClients, for 4.0:
  // never-confirmed SETCLIENTIDs must not exhaust the client table.
  for (int i = 0; i < 5000; ++i) {
    Reply r = RunRaw(Compound(0).SetClientId(kV1, "junk-" + std::to_string(i)), User(666));
    ASSERT_TRUE(r.parsed);
  }
  Reply s = RunRaw(Compound(0).SetClientId(kV1, "real-client"));
  ASSERT_STATUSES(s, st::OK);
  SetClientIdRes r = s.SetClientId(0);
  EXPECT_STATUSES(RunRaw(Compound(0).SetClientIdConfirm(r.clientid, r.confirm)), st::OK);
}

TEST_F(OpSetClientIdConfirm, WrongVerifierOrUnknownIdIsStaleClientid) {
  Reply s = RunRaw(Compound(0).SetClientId(kV1, "confirm-me"));
  ASSERT_EQ(s.status, st::OK);
  SetClientIdRes r = s.SetClientId(0);
  Verifier8 wrong = r.confirm;
  wrong[3] ^= 0xff;
  EXPECT_STATUSES(RunRaw(Compound(0).SetClientIdConfirm(r.clientid, wrong)), st::STALE_CLIENTID);
  EXPECT_STATUSES(RunRaw(Compound(0).SetClientIdConfirm(r.clientid + 1000, r.confirm)),
                  st::STALE_CLIENTID);
  EXPECT_STATUSES(RunRaw(Compound(0).SetClientIdConfirm(r.clientid, r.confirm)), st::OK);
}

TEST_F(OpSetClientIdConfirm, RetransmissionSucceeds) {
  Reply s = RunRaw(Compound(0).SetClientId(kV1, "twice"));
  SetClientIdRes r = s.SetClientId(0);
  EXPECT_STATUSES(RunRaw(Compound(0).SetClientIdConfirm(r.clientid, r.confirm)), st::OK);
  EXPECT_STATUSES(RunRaw(Compound(0).SetClientIdConfirm(r.clientid, r.confirm)), st::OK);
}

TEST_F(OpSetClientIdConfirm, ByAnotherPrincipalIsClidInUse) {
  Reply s = RunRaw(Compound(0).SetClientId(kV1, "mine"), User(1000));
  SetClientIdRes r = s.SetClientId(0);
  EXPECT_STATUSES(RunRaw(Compound(0).SetClientIdConfirm(r.clientid, r.confirm), User(2000)),
                  st::CLID_INUSE);
}

TEST_F(OpRenew, UnknownOrUnconfirmedIsStaleClientid) {
  EXPECT_STATUSES(RunRaw(Compound(0).Renew(0x1234)), st::STALE_CLIENTID);
  Reply s = RunRaw(Compound(0).SetClientId(kV1, "unconfirmed"));
  EXPECT_STATUSES(RunRaw(Compound(0).Renew(s.SetClientId(0).clientid)), st::STALE_CLIENTID);
}

TEST_F(OpRenew, KeepsTheLeaseAlive) {
  Client40 c = NewClient40("renewer");
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(std::chrono::seconds(60));
    EXPECT_STATUSES(RunRaw(Compound(0).Renew(c.clientid)), st::OK) << i;
  }
}

TEST_F(OpRenew, AfterTheLeaseExpiredTheClientMustStartOver) {
  Client40 c = NewClient40("sleeper");
  clock_.Advance(std::chrono::seconds(3 * 90));
  Reply r = RunRaw(Compound(0).Renew(c.clientid));
  ASSERT_TRUE(r.parsed);
  EXPECT_TRUE(r.status == st::EXPIRED || r.status == st::STALE_CLIENTID) << r.status;
}

TEST_F(OpRenew, ClientIdOfAnEarlierInstanceIsStale) {
  Client40 c = NewClient40("before-restart");
  Restart();
  EXPECT_STATUSES(RunRaw(Compound(0).Renew(c.clientid)), st::STALE_CLIENTID);
}

TEST_F(OpReleaseLockOwner, WithNoLocksSucceeds) {
  Client40 c = NewClient40("locker");
  EXPECT_STATUSES(RunRaw(Compound(0).ReleaseLockOwner(c.clientid, "lock-owner")), st::OK);
  EXPECT_STATUSES(RunRaw(Compound(0).ReleaseLockOwner(0x999, "lock-owner")), st::STALE_CLIENTID);
}

}  // namespace
}  // namespace elfs::nfs4::test

namespace elfs::nfs4::test {
namespace {

class LeaseExpiry40 : public Nfs4Test {};

TEST_F(LeaseExpiry40, RevokedClientAndItsStateidsAreExpired) {
  // RFC 7530 section 9.6.3: after the lease lapses and the server revoked
  // the state, the client learns so from NFS4ERR_EXPIRED (not BAD/STALE).
  MakeFile("f", "abc", 0666);
  Client40 c = NewClient40("lapsing");
  OpenArgs a{.seqid = 1, .access = SHARE_ACCESS_BOTH, .clientid = c.clientid, .owner = "o",
             .name = "f"};
  Reply op = RunRaw(Compound(0).PutRootFh().Open(a).GetFh());
  ASSERT_EQ(op.status, st::OK);
  Reply conf = RunRaw(Compound(0).PutFh(op.Fh(2)).OpenConfirm(op.Open(1).stateid, 2));
  ASSERT_EQ(conf.status, st::OK);
  Stateid4 sid = conf.StateidRes(1);
  // Three leases later another client arrives; the sweep revokes the first.
  clock_.Advance(std::chrono::seconds(3 * 90));
  NewClient40("newcomer");
  EXPECT_EQ(RunRaw(Compound(0).Renew(c.clientid)).status, st::EXPIRED);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(op.Fh(2)).Read(sid, 0, 3)).last_status(), st::EXPIRED);
}

}  // namespace
}  // namespace elfs::nfs4::test
