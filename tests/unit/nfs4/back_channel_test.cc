// BackChannel: bound connections and the CB_NULL probe, on connections with
// a fake transport and a fake clock.
#include "nfs4/back_channel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <vector>

#include "nfs4/nfs4_const.h"
#include "nfs4_fixture.h"
#include "rpc/wire.h"
#include "xdr/xdr.h"

namespace elfs::nfs4 {
namespace bc_test {

using namespace std::chrono_literals;
using Bytes = std::vector<uint8_t>;

// Records what would be written; can refuse like a transport going away.
class FakeTransport final : public rpc::detail::Transport {
 public:
  void ShutdownFromAnyThread() override {}
  bool SendFromAnyThread(std::vector<uint8_t> message) override {
    std::lock_guard lock(mu);
    if (refuse) return false;
    sent.push_back(std::move(message));
    return true;
  }
  std::mutex mu;
  std::vector<Bytes> sent;
  bool refuse = false;
};

// A connection with a fake transport, detached before the transport dies.
struct FakeConn {
  explicit FakeConn(uint64_t id) : conn(std::make_shared<rpc::Connection>(id, Ep(), Ep())) {
    conn->AttachTransport(&transport);
  }
  ~FakeConn() { conn->DetachTransport(); }
  static boost::asio::ip::tcp::endpoint Ep() { return {}; }
  uint32_t LastXid() {
    std::lock_guard lock(transport.mu);
    const Bytes& m = transport.sent.back();
    return (uint32_t{m[0]} << 24) | (uint32_t{m[1]} << 16) | (uint32_t{m[2]} << 8) | m[3];
  }
  size_t sent() {
    std::lock_guard lock(transport.mu);
    return transport.sent.size();
  }
  // An accepted reply with `stat` to the last call.
  bool Answer(rpc::AcceptStat stat = rpc::AcceptStat::kSuccess) {
    xdr::Buffer b;
    xdr::XdrEncoder e(b);
    rpc::EncodeAcceptedReply(LastXid(), stat, e);
    return conn->DeliverReply({b.data(), b.size()});
  }
  // A CB_COMPOUND reply to the last call: CB_SEQUENCE with `op_status`.
  bool AnswerSequence(uint32_t op_status = NFS4_OK) {
    xdr::Buffer b;
    xdr::XdrEncoder e(b);
    rpc::EncodeAcceptedReply(LastXid(), rpc::AcceptStat::kSuccess, e);
    e.U32(op_status);  // the compound's status
    e.String("");      // tag
    e.U32(1);
    e.U32(11);  // OP_CB_SEQUENCE
    e.U32(op_status);
    if (op_status == NFS4_OK) {
      for (int i = 0; i < 4; ++i) e.U32(0);  // sessionid (16 bytes)
      e.U32(1);
      for (int i = 0; i < 3; ++i) e.U32(0);
    }
    return conn->DeliverReply({b.data(), b.size()});
  }
  // The last call message as words after the header (xid .. verifier).
  xdr::XdrDecoder LastCall(Bytes& keep) {
    std::lock_guard lock(transport.mu);
    keep = transport.sent.back();
    return xdr::XdrDecoder(keep);
  }
  FakeTransport transport;
  std::shared_ptr<rpc::Connection> conn;
};

constexpr uint32_t kCbProgram = 0x40000000;

class BackChannelTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  std::shared_ptr<BackChannel> bc_ = std::make_shared<BackChannel>(clock_, kCbProgram, 10s, 5s);
};

TEST_F(BackChannelTest, NoBackConnectionIsPathDown) {
  FakeConn fore(1);
  bc_->Bind(fore.conn, true, false);
  EXPECT_EQ(bc_->StatusFlags(), SEQ4_STATUS_CB_PATH_DOWN_SESSION);
  EXPECT_EQ(bc_->path(), BackChannel::Path::kDown);
  EXPECT_EQ(fore.sent(), 0u);  // nothing is sent on a fore-only connection
  EXPECT_EQ(bc_->bound_connections(), 1u);
  EXPECT_EQ(bc_->bound_connections(true), 0u);
  // A null connection (a caller without transport) binds nothing.
  bc_->Bind(nullptr, true, true);
  EXPECT_EQ(bc_->bound_connections(), 1u);
}

TEST_F(BackChannelTest, CbNullProbeOnTheBackConnectionBringsThePathUp) {
  FakeConn c(1);
  bc_->Bind(c.conn, true, true);
  // The first SEQUENCE probes; a probe in flight is not reported as down.
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  EXPECT_EQ(bc_->path(), BackChannel::Path::kProbing);
  ASSERT_EQ(c.sent(), 1u);
  // The call is CB_NULL: the client's callback program, version 1, proc 0.
  {
    std::lock_guard lock(c.transport.mu);
    xdr::XdrDecoder d(c.transport.sent[0]);
    d.U32();                     // xid
    EXPECT_EQ(d.U32(), 0u);      // CALL
    EXPECT_EQ(d.U32(), 2u);      // rpcvers
    EXPECT_EQ(d.U32(), kCbProgram);
    EXPECT_EQ(d.U32(), 1u);      // version
    EXPECT_EQ(d.U32(), 0u);      // CB_NULL
    EXPECT_EQ(d.U32(), rpc::kAuthNone);
  }
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  EXPECT_EQ(c.sent(), 1u);  // one probe at a time
  ASSERT_TRUE(c.Answer());
  EXPECT_EQ(bc_->path(), BackChannel::Path::kUp);
  clock_.Advance(1h);  // an up path stays up without new probes
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  EXPECT_EQ(c.sent(), 1u);
  EXPECT_EQ(bc_->probes_sent(), 1u);
}

TEST_F(BackChannelTest, WithASessionCbNullIsFollowedByCbSequence) {
  std::array<uint8_t, 16> sid{};
  sid.fill(7);
  bc_->SetSession(sid, rpc::kAuthSys, {0, 0, 0, 9, 0, 0, 0, 1, 'h', 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                       0, 0, 0, 0, 0, 0});
  FakeConn c(1);
  bc_->Bind(c.conn, true, true);
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  ASSERT_TRUE(c.Answer());  // CB_NULL answered: not up yet
  EXPECT_EQ(bc_->path(), BackChannel::Path::kProbing);
  ASSERT_EQ(c.sent(), 2u);
  {
    Bytes keep;
    xdr::XdrDecoder d = c.LastCall(keep);
    d.U32();
    d.U32();
    d.U32();
    EXPECT_EQ(d.U32(), kCbProgram);
    EXPECT_EQ(d.U32(), 1u);
    EXPECT_EQ(d.U32(), 1u);  // CB_COMPOUND
    EXPECT_EQ(d.U32(), rpc::kAuthSys);  // the client's csa_sec_parms
    d.Opaque(400);
    d.U32();
    d.Opaque(400);                    // verifier
    EXPECT_EQ(d.String(64), "");      // tag
    EXPECT_EQ(d.U32(), 1u);           // minorversion
    d.U32();                          // callback_ident
    EXPECT_EQ(d.U32(), 1u);           // one op
    EXPECT_EQ(d.U32(), 11u);          // CB_SEQUENCE
    auto got = d.FixedOpaque(16);
    EXPECT_TRUE(std::equal(got.begin(), got.end(), sid.begin()));
    EXPECT_EQ(d.U32(), 1u);  // the slot's first sequence id
    EXPECT_EQ(d.U32(), 0u);  // slot 0
    EXPECT_TRUE(d.ok());
  }
  ASSERT_TRUE(c.AnswerSequence());
  EXPECT_EQ(bc_->path(), BackChannel::Path::kUp);
  EXPECT_EQ(bc_->cb_sequenceid(), 1u);
}

TEST_F(BackChannelTest, CbSequenceErrorIsPathDownAndTheNextProbeReusesTheSeqid) {
  std::array<uint8_t, 16> sid{};
  bc_->SetSession(sid, rpc::kAuthNone, {});
  FakeConn c(1);
  bc_->Bind(c.conn, true, true);
  bc_->StatusFlags();
  ASSERT_TRUE(c.Answer());
  ASSERT_TRUE(c.AnswerSequence(10052 /* NFS4ERR_BADSESSION */));
  EXPECT_EQ(bc_->path(), BackChannel::Path::kDown);
  EXPECT_EQ(bc_->cb_sequenceid(), 0u);
  EXPECT_EQ(bc_->StatusFlags(), SEQ4_STATUS_CB_PATH_DOWN_SESSION);
  clock_.Advance(5s);
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  ASSERT_TRUE(c.Answer());
  ASSERT_TRUE(c.AnswerSequence());
  EXPECT_EQ(bc_->path(), BackChannel::Path::kUp);
  EXPECT_EQ(bc_->cb_sequenceid(), 1u);
}

TEST_F(BackChannelTest, CbSequenceDelayIsUpWithoutUsingTheSeqid) {
  // Linux answers NFS4ERR_DELAY while it still sets the session up.
  std::array<uint8_t, 16> sid{};
  bc_->SetSession(sid, rpc::kAuthNone, {});
  FakeConn c(1);
  bc_->Bind(c.conn, true, true);
  bc_->StatusFlags();
  ASSERT_TRUE(c.Answer());
  ASSERT_TRUE(c.AnswerSequence(10008 /* NFS4ERR_DELAY */));
  EXPECT_EQ(bc_->path(), BackChannel::Path::kUp);
  EXPECT_EQ(bc_->cb_sequenceid(), 0u);
  EXPECT_EQ(bc_->StatusFlags(), 0u);
}

TEST_F(BackChannelTest, UnansweredProbeTimesOutThenIsRetried) {
  FakeConn c(1);
  bc_->Bind(c.conn, true, true);
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  clock_.Advance(9s);
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  clock_.Advance(2s);
  EXPECT_EQ(bc_->StatusFlags(), SEQ4_STATUS_CB_PATH_DOWN_SESSION);
  EXPECT_EQ(c.conn->outstanding_calls(), 0u);  // the late call was cancelled
  // A late REPLY to the cancelled probe changes nothing.
  EXPECT_FALSE(c.Answer());
  EXPECT_EQ(bc_->path(), BackChannel::Path::kDown);
  // Retried after the retry interval, on the same connection.
  clock_.Advance(4s);
  EXPECT_EQ(bc_->StatusFlags(), SEQ4_STATUS_CB_PATH_DOWN_SESSION);
  EXPECT_EQ(c.sent(), 1u);
  clock_.Advance(1s);
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  EXPECT_EQ(c.sent(), 2u);
  ASSERT_TRUE(c.Answer());
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  EXPECT_EQ(bc_->path(), BackChannel::Path::kUp);
}

TEST_F(BackChannelTest, ErrorReplyIsPathDown) {
  FakeConn c(1);
  bc_->Bind(c.conn, true, true);
  bc_->StatusFlags();
  ASSERT_TRUE(c.Answer(rpc::AcceptStat::kProgUnavail));
  EXPECT_EQ(bc_->path(), BackChannel::Path::kDown);
  EXPECT_EQ(bc_->StatusFlags(), SEQ4_STATUS_CB_PATH_DOWN_SESSION);
}

TEST_F(BackChannelTest, ClosedConnectionIsDownUntilAnotherIsBound) {
  auto a = std::make_unique<FakeConn>(1);
  bc_->Bind(a->conn, true, true);
  bc_->StatusFlags();
  ASSERT_TRUE(a->Answer());
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  // The connection closes: the path is down and nothing is left to probe.
  a->conn->Close();
  EXPECT_EQ(bc_->StatusFlags(), SEQ4_STATUS_CB_PATH_DOWN_SESSION);
  EXPECT_EQ(bc_->bound_connections(), 0u);
  // The client binds a new connection for the back channel
  // (BIND_CONN_TO_SESSION after CB_PATH_DOWN): it is probed at once.
  FakeConn b(2);
  bc_->Bind(b.conn, false, true);
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  ASSERT_EQ(b.sent(), 1u);
  ASSERT_TRUE(b.Answer());
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  EXPECT_EQ(bc_->path(), BackChannel::Path::kUp);
}

TEST_F(BackChannelTest, ProbeInFlightFailsWhenItsConnectionCloses) {
  FakeConn a(1);
  bc_->Bind(a.conn, true, true);
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  a.conn->Close();  // answers the outstanding probe with nothing
  EXPECT_EQ(bc_->path(), BackChannel::Path::kDown);
  EXPECT_EQ(bc_->StatusFlags(), SEQ4_STATUS_CB_PATH_DOWN_SESSION);
}

TEST_F(BackChannelTest, TransportThatRefusesIsPathDown) {
  FakeConn a(1);
  a.transport.refuse = true;
  bc_->Bind(a.conn, true, true);
  EXPECT_EQ(bc_->StatusFlags(), SEQ4_STATUS_CB_PATH_DOWN_SESSION);
  EXPECT_EQ(a.conn->outstanding_calls(), 0u);
}

TEST_F(BackChannelTest, SeveralConnectionsBoundAndBounded) {
  std::vector<std::unique_ptr<FakeConn>> conns;
  for (uint64_t i = 1; i <= 3; ++i) {
    conns.push_back(std::make_unique<FakeConn>(i));
    bc_->Bind(conns.back()->conn, true, i == 2);
  }
  bc_->Bind(conns[0]->conn, false, false);  // binding again adds nothing
  EXPECT_EQ(bc_->bound_connections(), 3u);
  EXPECT_EQ(bc_->bound_connections(true), 1u);
  // The probe goes to the back connection.
  EXPECT_EQ(bc_->StatusFlags(), 0u);
  EXPECT_EQ(conns[1]->sent(), 1u);
  EXPECT_EQ(conns[0]->sent() + conns[2]->sent(), 0u);
  // Memory per session is bounded: fore-only bindings make room first.
  for (uint64_t i = 4; i <= 40; ++i) {
    conns.push_back(std::make_unique<FakeConn>(i));
    bc_->Bind(conns.back()->conn, true, false);
  }
  EXPECT_EQ(bc_->bound_connections(), BackChannel::kMaxConnections);
  EXPECT_EQ(bc_->bound_connections(true), 1u);
}

}  // namespace bc_test
}  // namespace elfs::nfs4

// ---- Through COMPOUNDs: CREATE_SESSION, BIND_CONN_TO_SESSION, SEQUENCE ----

namespace elfs::nfs4::test {
namespace {

using bc_test::FakeConn;
constexpr uint32_t kBackChan = 0x2;  // CREATE_SESSION4_FLAG_CONN_BACK_CHAN
constexpr uint32_t kPathDown = 0x1, kPathDownSession = 0x200;

class BackChannelOps : public Nfs4Test {
 protected:
  // EXCHANGE_ID + CREATE_SESSION (with `flags`) + RECLAIM_COMPLETE on the
  // current connection_.
  Session41 Create(std::string_view owner, uint32_t flags) {
    Session41 s;
    Verifier8 verf{1, 2, 3, 4, 5, 6, 7, 8};
    Reply x = RunRaw(Compound(1).ExchangeId(verf, owner, 0));
    EXPECT_STATUSES(x, st::OK);
    s.clientid = x.ExchangeId(0).clientid;
    Reply c = RunRaw(Compound(1).CreateSession(s.clientid, x.ExchangeId(0).sequenceid, flags));
    EXPECT_STATUSES(c, st::OK);
    CreateSessionRes cr = c.CreateSession(0);
    EXPECT_EQ(cr.flags, flags);
    s.id = cr.sessionid;
    s.slot_seq.assign(std::max<uint32_t>(cr.fore.maxrequests, 1), 0);
    return s;
  }
  uint32_t Flags(Session41& s) {
    Reply r = Run41(s, Compound(1).PutRootFh());
    EXPECT_STATUSES(r, st::OK, st::OK);
    return r.Sequence(0).status_flags;
  }
  std::shared_ptr<BackChannel> Of(const Session41& s) {
    auto session = server_->state().FindSession(s.id);
    return session ? session->back_channel : nullptr;
  }
};

TEST_F(BackChannelOps, SessionWithBackChannelIsProbedAndReportsNoFlags) {
  FakeConn a(1);
  connection_ = a.conn;
  Session41 s = Create("cb-client", kBackChan);
  EXPECT_EQ(a.sent(), 0u);  // nothing before the CREATE_SESSION reply is out
  EXPECT_EQ(Flags(s), 0u);  // the first SEQUENCE sends the CB_NULL
  ASSERT_EQ(a.sent(), 1u);
  ASSERT_TRUE(a.Answer());
  // Then a CB_SEQUENCE for this session, with CREATE_SESSION's AUTH_SYS.
  ASSERT_EQ(a.sent(), 2u);
  ASSERT_TRUE(a.AnswerSequence());
  EXPECT_EQ(Of(s)->path(), BackChannel::Path::kUp);
  EXPECT_EQ(Flags(s), 0u);
  EXPECT_EQ(a.sent(), 2u);
}

TEST_F(BackChannelOps, SessionWithoutBackChannelReportsPathDown) {
  FakeConn a(1);
  connection_ = a.conn;
  Session41 s = Create("no-cb-client", 0);
  EXPECT_EQ(Flags(s), kPathDown | kPathDownSession);
  EXPECT_EQ(a.sent(), 0u);
  // BIND_CONN_TO_SESSION for the back channel on a second connection: the
  // session now has two connections and the next SEQUENCE probes the new one.
  FakeConn b(2);
  connection_ = b.conn;
  Reply bind = RunRaw(Compound(1).BindConnToSession(s.id, 2 /* CDFC4_BACK */, false));
  ASSERT_STATUSES(bind, st::OK);
  WireIn body = bind.Body(0);
  body.Fixed(16);
  EXPECT_EQ(body.U32(), 2u);  // CDFS4_BACK
  EXPECT_EQ(Of(s)->bound_connections(), 2u);
  EXPECT_EQ(Of(s)->bound_connections(true), 1u);
  connection_ = a.conn;  // SEQUENCE on the fore connection
  EXPECT_EQ(Flags(s), 0u);
  ASSERT_EQ(b.sent(), 1u);
  ASSERT_TRUE(b.Answer());
  ASSERT_TRUE(b.AnswerSequence());
  EXPECT_EQ(Flags(s), 0u);
}

TEST_F(BackChannelOps, BackchannelCtlChangesProgramAndCredentialAndProbesAgain) {
  // RFC 8881 section 18.33.
  FakeConn a(1);
  connection_ = a.conn;
  Session41 s = Create("cb-ctl", kBackChan);
  EXPECT_EQ(Flags(s), 0u);
  ASSERT_TRUE(a.Answer());
  ASSERT_TRUE(a.AnswerSequence());
  ASSERT_EQ(Of(s)->path(), BackChannel::Path::kUp);

  constexpr uint32_t kNewProgram = 0x40000123;
  WireOut args;
  args.U32(kNewProgram).U32(1).U32(rpc::kAuthNone);  // one entry: AUTH_NONE
  Reply r = Run41(s, Compound(1).Op(op::BACKCHANNEL_CTL, args.bytes()));
  ASSERT_STATUSES(r, st::OK, st::OK);
  EXPECT_EQ(Of(s)->path(), BackChannel::Path::kDown);
  // The next SEQUENCE probes with the new program and credential.
  EXPECT_EQ(Flags(s), 0u);
  ASSERT_EQ(a.sent(), 3u);
  ASSERT_TRUE(a.Answer());  // CB_NULL
  ASSERT_EQ(a.sent(), 4u);
  {
    Bytes keep;
    xdr::XdrDecoder d = a.LastCall(keep);
    d.U32();
    d.U32();
    d.U32();
    EXPECT_EQ(d.U32(), kNewProgram);
    d.U32();
    EXPECT_EQ(d.U32(), 1u);  // CB_COMPOUND
    EXPECT_EQ(d.U32(), rpc::kAuthNone);
  }
  ASSERT_TRUE(a.AnswerSequence());
  EXPECT_EQ(Of(s)->path(), BackChannel::Path::kUp);

  // Only RPCSEC_GSS: no flavor elfs sends callbacks with.
  WireOut gss;
  gss.U32(kNewProgram).U32(1).U32(6).U32(0).Opaque({}).Opaque({});
  EXPECT_STATUSES(Run41(s, Compound(1).Op(op::BACKCHANNEL_CTL, gss.bytes())), st::OK,
                  st::ENCR_ALG_UNSUPP);
  // Not a callback_sec_parms4 arm, and truncated arguments.
  WireOut bad;
  bad.U32(kNewProgram).U32(1).U32(99);
  EXPECT_STATUSES(Run41(s, Compound(1).Op(op::BACKCHANNEL_CTL, bad.bytes())), st::OK,
                  st::BADXDR);
  EXPECT_STATUSES(Run41(s, Compound(1).Op(op::BACKCHANNEL_CTL, WireOut().U32(1).bytes())),
                  st::OK, st::BADXDR);
  // Outside a session it is not allowed at all.
  EXPECT_STATUSES(RunRaw(Compound(1).Op(op::BACKCHANNEL_CTL, args.bytes())),
                  st::OP_NOT_IN_SESSION);
}

TEST_F(BackChannelOps, SequenceBindsItsConnectionForTheForeChannel) {
  FakeConn a(1), b(2), c(3);
  connection_ = a.conn;
  Session41 s = Create("multi-conn", kBackChan);
  connection_ = b.conn;
  Flags(s);
  connection_ = c.conn;
  Flags(s);
  EXPECT_EQ(Of(s)->bound_connections(), 3u);
  EXPECT_EQ(Of(s)->bound_connections(true), 1u);
  b.conn->Close();
  EXPECT_EQ(Of(s)->bound_connections(), 2u);
}

TEST_F(BackChannelOps, PathDownIsPerClientAcrossSessions) {
  // Two sessions of one client: one with a working back channel, one
  // without. The latter reports CB_PATH_DOWN_SESSION only, since the client
  // still has a back channel.
  FakeConn a(1);
  connection_ = a.conn;
  Session41 s1 = Create("two-sessions", kBackChan);
  EXPECT_EQ(Flags(s1), 0u);
  ASSERT_TRUE(a.Answer());
  ASSERT_TRUE(a.AnswerSequence());
  Reply c = RunRaw(Compound(1).CreateSession(s1.clientid, 2, 0));
  ASSERT_STATUSES(c, st::OK);
  Session41 s2;
  s2.clientid = s1.clientid;
  s2.id = c.CreateSession(0).sessionid;
  s2.slot_seq.assign(1, 0);
  EXPECT_EQ(Flags(s2), kPathDownSession);
  // Without the first session's connection, the client has none at all.
  a.conn->Close();
  FakeConn d(4);
  connection_ = d.conn;
  EXPECT_EQ(Flags(s1), kPathDown | kPathDownSession);
}

}  // namespace
}  // namespace elfs::nfs4::test
