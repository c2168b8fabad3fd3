// Call-header decoding and dispatch decisions (RFC 5531 §9, §10), without
// sockets: each case is a record in and the exact reply bytes out.
#include "rpc/call.h"

#include <gtest/gtest.h>

#include "test_client.h"
#include "test_program.h"

namespace elfs::rpc {
namespace {

using testing::AuthSysBody;
using testing::Bytes;
using testing::kTestHigh;
using testing::kTestLow;
using testing::kTestProg;
using testing::MakeCall;
using testing::TestProgram;
using testing::Words;

constexpr uint32_t kXid = 0x12345678;

class CallTest : public ::testing::Test {
 protected:
  CallTest() {
    program_ = std::make_shared<TestProgram>();
    table_.Add(program_);
    ctx_.connection = std::make_shared<Connection>(1, boost::asio::ip::tcp::endpoint{},
                                                   boost::asio::ip::tcp::endpoint{});
  }

  // Runs one record through ProcessRecord (and RunCall if dispatched);
  // returns the reply bytes, or nullopt for kIgnore / kClose.
  std::optional<Bytes> Process(std::span<const uint8_t> record, Action* action = nullptr) {
    xdr::Buffer reply;
    Disposition d = ProcessRecord(record, table_, ctx_, reply);
    if (action != nullptr) *action = d.action;
    if (d.action == Action::kDispatch) {
      RunCall(*d.program, ctx_, record.subspan(d.args_offset), reply);
    } else if (d.action != Action::kSend) {
      return std::nullopt;
    }
    return Bytes(reply.begin(), reply.end());
  }

  static Bytes Success(uint32_t xid, std::initializer_list<uint32_t> body) {
    Bytes b = Words({xid, 1, 0, 0, 0, 0});
    testing::Append(b, Words(body));
    return b;
  }

  static Bytes Accepted(uint32_t xid, AcceptStat stat) {
    return Words({xid, 1, 0, 0, 0, static_cast<uint32_t>(stat)});
  }

  std::shared_ptr<TestProgram> program_;
  ProgramTable table_;
  CallContext ctx_;
};

// A NULL call to NFSv4 and its reply, byte by byte (RFC 5531 §9).
TEST_F(CallTest, GoldenNullCall) {
  struct NfsStub final : Program {
    uint32_t program() const override { return 100003; }
    uint32_t min_version() const override { return 4; }
    uint32_t max_version() const override { return 4; }
    AcceptStat Call(CallContext&, xdr::XdrDecoder&, xdr::XdrEncoder&) override {
      ADD_FAILURE() << "NULL must not reach the program";
      return AcceptStat::kSystemErr;
    }
  };
  table_.Add(std::make_shared<NfsStub>());
  const Bytes call = {
      0x12, 0x34, 0x56, 0x78,  // xid
      0x00, 0x00, 0x00, 0x00,  // CALL
      0x00, 0x00, 0x00, 0x02,  // rpcvers 2
      0x00, 0x01, 0x86, 0xa3,  // prog 100003 (NFS)
      0x00, 0x00, 0x00, 0x04,  // vers 4
      0x00, 0x00, 0x00, 0x00,  // proc 0 (NULL)
      0x00, 0x00, 0x00, 0x00,  // cred AUTH_NONE
      0x00, 0x00, 0x00, 0x00,  //   length 0
      0x00, 0x00, 0x00, 0x00,  // verf AUTH_NONE
      0x00, 0x00, 0x00, 0x00,  //   length 0
  };
  EXPECT_EQ(MakeCall(kXid, 100003, 4, 0), call);
  const Bytes reply = {
      0x12, 0x34, 0x56, 0x78,  // xid
      0x00, 0x00, 0x00, 0x01,  // REPLY
      0x00, 0x00, 0x00, 0x00,  // MSG_ACCEPTED
      0x00, 0x00, 0x00, 0x00,  // verf AUTH_NONE
      0x00, 0x00, 0x00, 0x00,  //   length 0
      0x00, 0x00, 0x00, 0x00,  // SUCCESS
  };
  EXPECT_EQ(Process(call), reply);
}

TEST_F(CallTest, NullAnsweredForEveryVersionInRange) {
  for (uint32_t v = kTestLow; v <= kTestHigh; ++v) {
    EXPECT_EQ(Process(MakeCall(kXid, kTestProg, v, 0)), Accepted(kXid, AcceptStat::kSuccess));
  }
  EXPECT_EQ(program_->calls.load(), 0);
}

TEST_F(CallTest, ProgUnavail) {
  EXPECT_EQ(Process(MakeCall(kXid, 100005, 3, 1)),
            (Words({kXid, 1, 0, 0, 0, 1})));  // accept_stat PROG_UNAVAIL
}

TEST_F(CallTest, ProgMismatchCarriesLowHigh) {
  const Bytes want = Words({kXid, 1, 0, 0, 0, 2, kTestLow, kTestHigh});
  EXPECT_EQ(Process(MakeCall(kXid, kTestProg, kTestLow - 1, 0)), want);
  EXPECT_EQ(Process(MakeCall(kXid, kTestProg, kTestHigh + 1, 2)), want);
  EXPECT_EQ(program_->calls.load(), 0);
}

TEST_F(CallTest, ProcUnavailFromProgram) {
  EXPECT_EQ(Process(MakeCall(kXid, kTestProg, kTestLow, 99)),
            (Words({kXid, 1, 0, 0, 0, 3})));
}

TEST_F(CallTest, GarbageArgsFromProgramDropsItsOutput) {
  EXPECT_EQ(Process(MakeCall(kXid, kTestProg, kTestLow, testing::kNeedsArg)),
            (Words({kXid, 1, 0, 0, 0, 4})));
  EXPECT_EQ(Process(MakeCall(kXid, kTestProg, kTestLow, testing::kNeedsArg, kAuthNone, {},
                             Words({41}))),
            (Words({kXid, 1, 0, 0, 0, 0, 42})));
}

TEST_F(CallTest, SystemErrDropsOutput) {
  EXPECT_EQ(Process(MakeCall(kXid, kTestProg, kTestLow, testing::kSysErr)),
            (Words({kXid, 1, 0, 0, 0, 5})));
}

TEST_F(CallTest, ThrowingProgramIsSystemErr) {
  EXPECT_EQ(Process(MakeCall(kXid, kTestProg, kTestLow, testing::kThrow)),
            (Words({kXid, 1, 0, 0, 0, 5})));
}

TEST_F(CallTest, ProgMismatchFromProgramUsesItsVersions) {
  EXPECT_EQ(Process(MakeCall(kXid, kTestProg, kTestLow, testing::kMismatch)),
            (Words({kXid, 1, 0, 0, 0, 2, kTestLow, kTestHigh})));
}

TEST_F(CallTest, RpcMismatch) {
  Bytes call = MakeCall(kXid, kTestProg, kTestLow, 0);
  call[11] = 3;  // rpcvers 3
  // MSG_DENIED, RPC_MISMATCH, low 2, high 2.
  EXPECT_EQ(Process(call), (Words({kXid, 1, 1, 0, 2, 2})));
  // Only xid, msg_type and rpcvers need to be there.
  EXPECT_EQ(Process(Bytes(call.begin(), call.begin() + 12)), (Words({kXid, 1, 1, 0, 2, 2})));
}

TEST_F(CallTest, AuthTooWeakForOtherFlavors) {
  for (uint32_t flavor : {kAuthShort, kAuthDh, kRpcsecGss, kAuthTls, 12345u}) {
    // MSG_DENIED, AUTH_ERROR, AUTH_TOOWEAK.
    EXPECT_EQ(Process(MakeCall(kXid, kTestProg, kTestLow, 0, flavor, Words({1, 2}))),
              (Words({kXid, 1, 1, 1, 5})))
        << "flavor " << flavor;
  }
  EXPECT_EQ(program_->calls.load(), 0);
}

TEST_F(CallTest, AuthCheckedBeforeProgram) {
  // An unknown program with a refused flavor is an auth error, as in
  // Linux's svc_process: authentication comes first.
  EXPECT_EQ(Process(MakeCall(kXid, 999, 1, 0, kRpcsecGss)), (Words({kXid, 1, 1, 1, 5})));
}

AuthSys Cred(size_t ngids) {
  AuthSys c;
  c.stamp = 0x5eed;
  c.machine_name = "client.example";
  c.uid = 1000;
  c.gid = 100;
  for (size_t i = 0; i < ngids; ++i) c.gids.push_back(static_cast<uint32_t>(2000 + i));
  return c;
}

TEST_F(CallTest, AuthSysWith16Gids) {
  AuthSys c = Cred(16);
  Bytes body = AuthSysBody(c);
  auto reply = Process(MakeCall(kXid, kTestProg, kTestLow, testing::kWhoAmI, kAuthSys, body));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(ctx_.flavor, kAuthSys);
  EXPECT_EQ(ctx_.sys.stamp, 0x5eedu);
  EXPECT_EQ(ctx_.sys.machine_name, "client.example");
  EXPECT_EQ(ctx_.sys.uid, 1000u);
  EXPECT_EQ(ctx_.sys.gid, 100u);
  EXPECT_EQ(ctx_.sys.gids, c.gids);
  Bytes want = Words({kXid, 1, 0, 0, 0, 0, kAuthSys, 1000, 100, 16});
  for (uint32_t g : c.gids) testing::Append(want, Words({g}));
  testing::Append(want, Words({14}));
  testing::Append(want, Bytes{'c', 'l', 'i', 'e', 'n', 't', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e',
                              0, 0});
  EXPECT_EQ(reply, want);
}

TEST_F(CallTest, AuthSysIdentityDoesNotLingerInReusedContext) {
  ASSERT_TRUE(Process(MakeCall(kXid, kTestProg, kTestLow, testing::kWhoAmI, kAuthSys,
                               AuthSysBody(Cred(3)))));
  EXPECT_EQ(ctx_.sys.uid, 1000u);
  EXPECT_EQ(Process(MakeCall(kXid + 1, kTestProg, kTestLow, testing::kWhoAmI)),
            Success(kXid + 1, {kAuthNone, 0, 0, 0, 0}));
  EXPECT_TRUE(ctx_.sys.machine_name.empty());
  EXPECT_TRUE(ctx_.sys.gids.empty());
}

TEST_F(CallTest, AuthSysWith17GidsIsBadCred) {
  Bytes body = AuthSysBody(Cred(17));
  EXPECT_EQ(Process(MakeCall(kXid, kTestProg, kTestLow, testing::kWhoAmI, kAuthSys, body)),
            (Words({kXid, 1, 1, 1, 1})));  // AUTH_ERROR AUTH_BADCRED
  EXPECT_EQ(program_->calls.load(), 0);
}

TEST_F(CallTest, AuthSysMalformedBodies) {
  const Bytes good = AuthSysBody(Cred(2));
  Bytes trailing = good;
  testing::Append(trailing, Words({0}));
  Bytes long_name = AuthSysBody([] {
    AuthSys c = Cred(0);
    c.machine_name.assign(256, 'm');
    return c;
  }());
  const std::vector<std::pair<const char*, Bytes>> cases = {
      {"empty", {}},
      {"truncated", Bytes(good.begin(), good.end() - 4)},
      {"trailing bytes", trailing},
      {"machine name of 256 bytes", long_name},
      {"gid count beyond the body", Words({0, 0, 0, 0, 3, 1})},
  };
  for (const auto& [name, body] : cases) {
    EXPECT_EQ(Process(MakeCall(kXid, kTestProg, kTestLow, 1, kAuthSys, body)),
              (Words({kXid, 1, 1, 1, 1})))
        << name;
  }
}

TEST_F(CallTest, AuthSysMachineNameOf255Accepted) {
  AuthSys c = Cred(0);
  c.machine_name.assign(255, 'm');
  AuthSys out;
  Bytes body = AuthSysBody(c);
  ASSERT_LE(body.size(), kMaxAuthBytes);
  EXPECT_TRUE(DecodeAuthSys(body, out));
  EXPECT_EQ(out.machine_name, c.machine_name);
}

TEST_F(CallTest, AuthNoneWithBodyIsBadCred) {
  EXPECT_EQ(Process(MakeCall(kXid, kTestProg, kTestLow, 0, kAuthNone, Words({7}))),
            (Words({kXid, 1, 1, 1, 1})));
}

TEST_F(CallTest, CredentialOver400BytesIsBadCred) {
  Bytes call = Words({kXid, 0, 2, kTestProg, kTestLow, 0, kAuthSys, 401});
  call.resize(call.size() + 404 + 8, 0);
  EXPECT_EQ(Process(call), (Words({kXid, 1, 1, 1, 1})));
}

TEST_F(CallTest, VerifierOver400BytesIsBadVerf) {
  Bytes call = Words({kXid, 0, 2, kTestProg, kTestLow, 0, kAuthNone, 0, kAuthNone, 401});
  call.resize(call.size() + 404, 0);
  EXPECT_EQ(Process(call), (Words({kXid, 1, 1, 1, 3})));  // AUTH_BADVERF
}

TEST_F(CallTest, VerifierOfAnyFlavorIgnored) {
  Bytes call = Words({kXid, 0, 2, kTestProg, kTestLow, testing::kEcho, kAuthNone, 0, 99, 4,
                      0xfeedface, 77});
  EXPECT_EQ(Process(call), (Words({kXid, 1, 0, 0, 0, 0, 77})));
}

TEST_F(CallTest, TruncatedHeadersAreGarbageArgs) {
  const Bytes full = MakeCall(kXid, kTestProg, kTestLow, 1, kAuthSys, AuthSysBody(Cred(3)));
  // Every cut after the xid and before the end of the verifier: GARBAGE_ARGS.
  for (size_t len = 4; len < full.size(); ++len) {
    Action action;
    auto reply = Process(std::span(full).first(len), &action);
    ASSERT_EQ(action, Action::kSend) << "len " << len;
    EXPECT_EQ(reply, Accepted(kXid, AcceptStat::kGarbageArgs)) << "len " << len;
  }
}

TEST_F(CallTest, BadMsgTypeIsGarbageArgs) {
  EXPECT_EQ(Process(Words({kXid, 2, 2, kTestProg, kTestLow, 0, 0, 0, 0, 0})),
            Accepted(kXid, AcceptStat::kGarbageArgs));
}

TEST_F(CallTest, NoXidCloses) {
  for (size_t len = 0; len < 4; ++len) {
    Action action;
    EXPECT_FALSE(Process(Bytes(len, 0), &action).has_value());
    EXPECT_EQ(action, Action::kClose);
  }
}

TEST_F(CallTest, ReplyMessageIgnored) {
  Action action;
  EXPECT_FALSE(Process(Words({kXid, 1, 0, 0, 0, 0}), &action).has_value());
  EXPECT_EQ(action, Action::kIgnore);
}

TEST(ProgramTable, AddReplacesSameNumber) {
  ProgramTable t;
  auto a = std::make_shared<TestProgram>();
  auto b = std::make_shared<TestProgram>();
  t.Add(a);
  t.Add(nullptr);
  t.Add(b);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.Find(kTestProg), b.get());
  EXPECT_EQ(t.Find(1), nullptr);
}

TEST(Connection, StandaloneCloseAndAttachment) {
  Connection c(7, {}, {});
  EXPECT_EQ(c.id(), 7u);
  EXPECT_FALSE(c.closed());
  auto v = std::make_shared<int>(3);
  c.SetAttachment(v);
  EXPECT_EQ(std::static_pointer_cast<int>(c.attachment()), v);
  c.Close();
  c.Close();
  EXPECT_TRUE(c.closed());
}

}  // namespace
}  // namespace elfs::rpc
