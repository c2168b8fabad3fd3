// RpcServer over real sockets on 127.0.0.1, port 0.
#include "rpc/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "test_client.h"
#include "test_program.h"

namespace elfs::rpc {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using boost::asio::ip::tcp;
using testing::Append;
using testing::AuthSysBody;
using testing::Bytes;
using testing::kTestHigh;
using testing::kTestLow;
using testing::kTestProg;
using testing::MakeCall;
using testing::TestClient;
using testing::TestProgram;
using testing::Words;

template <class Pred>
bool WaitUntil(Pred pred, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

uint32_t Xid(const Bytes& reply) {
  return reply.size() < 4 ? 0 : (uint32_t{reply[0]} << 24) | (uint32_t{reply[1]} << 16) |
                                     (uint32_t{reply[2]} << 8) | reply[3];
}

Bytes Success(uint32_t xid, std::initializer_list<uint32_t> body = {}) {
  Bytes b = Words({xid, 1, 0, 0, 0, 0});
  Append(b, Words(body));
  return b;
}

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() : program_(std::make_shared<TestProgram>()) {}

  void StartServer(ServerOptions options = Small(),
                   std::function<bool(const Connection&)> filter = {}) {
    server_ = std::make_unique<RpcServer>(options);
    auto table = std::make_shared<ProgramTable>();
    table->Add(program_);
    auto ep = server_->Listen({make_address("127.0.0.1"), 0}, table, std::move(filter));
    ASSERT_TRUE(ep.has_value()) << ep.error().ToString();
    endpoint_ = *ep;
    server_->Start();
  }

  static ServerOptions Small() {
    ServerOptions o;
    o.worker_threads = 4;
    return o;
  }

  void TearDown() override {
    program_->SetGate(true);
    if (server_) server_->Stop();
  }

  std::unique_ptr<TestClient> Connect() {
    auto c = TestClient::Connect(endpoint_);
    EXPECT_NE(c, nullptr);
    return c;
  }

  std::shared_ptr<TestProgram> program_;
  std::unique_ptr<RpcServer> server_;
  tcp::endpoint endpoint_;
};

TEST_F(ServerTest, GoldenNullCallOnTheWire) {
  StartServer();
  auto c = Connect();
  const Bytes wire = {
      0x80, 0x00, 0x00, 0x28,  // record mark: last fragment, 40 bytes
      0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
      0x40, 0x00, 0x01, 0x23, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00,
  };
  ASSERT_TRUE(c->Send(wire));
  const Bytes want = {
      0x80, 0x00, 0x00, 0x18,  // record mark: last fragment, 24 bytes
      0x00, 0x00, 0x00, 0x2a,  // xid
      0x00, 0x00, 0x00, 0x01,  // REPLY
      0x00, 0x00, 0x00, 0x00,  // MSG_ACCEPTED
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // verf AUTH_NONE, 0
      0x00, 0x00, 0x00, 0x00,  // SUCCESS
  };
  EXPECT_EQ(c->ReadBytes(want.size()), want);
  EXPECT_FALSE(c->Readable(50ms));  // nothing more
}

// A deleted mount target: its listener and its connections go away, the
// server's other listeners stay.
TEST_F(ServerTest, UnlistenClosesListenerAndItsConnections) {
  StartServer();
  auto table = std::make_shared<ProgramTable>();
  table->Add(program_);
  auto other = server_->Listen({make_address("127.0.0.1"), 0}, table);
  ASSERT_TRUE(other.has_value());
  auto c = Connect();
  auto kept = TestClient::Connect(*other);
  ASSERT_NE(kept, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return server_->connection_count() == 2; }));
  ASSERT_TRUE(server_->Unlisten(endpoint_).ok());
  EXPECT_TRUE(c->WaitForClose());
  // The acceptor closes on its strand, soon after Unlisten returns.
  EXPECT_TRUE(WaitUntil([&] { return TestClient::Connect(endpoint_) == nullptr; }));
  EXPECT_FALSE(kept->Readable(50ms));  // still open, nothing sent
  EXPECT_EQ(server_->Unlisten(endpoint_).code(), Errc::kNotFound);
}

TEST_F(ServerTest, ErrorRepliesByteByByte) {
  StartServer();
  auto c = Connect();
  struct Case {
    const char* name;
    Bytes call;
    Bytes reply;
  };
  Bytes rpcv3 = MakeCall(6, kTestProg, kTestLow, 0);
  rpcv3[11] = 3;
  const std::vector<Case> cases = {
      {"PROG_UNAVAIL", MakeCall(1, 100005, 3, 0), Words({1, 1, 0, 0, 0, 1})},
      {"PROG_MISMATCH", MakeCall(2, kTestProg, 7, 0),
       Words({2, 1, 0, 0, 0, 2, kTestLow, kTestHigh})},
      {"PROC_UNAVAIL", MakeCall(3, kTestProg, kTestLow, 77), Words({3, 1, 0, 0, 0, 3})},
      {"GARBAGE_ARGS (program)", MakeCall(4, kTestProg, kTestLow, testing::kNeedsArg),
       Words({4, 1, 0, 0, 0, 4})},
      {"GARBAGE_ARGS (header)", Words({5, 0, 2, kTestProg}), Words({5, 1, 0, 0, 0, 4})},
      {"RPC_MISMATCH", rpcv3, Words({6, 1, 1, 0, 2, 2})},
      {"AUTH_TOOWEAK", MakeCall(7, kTestProg, kTestLow, 0, kRpcsecGss, Words({1})),
       Words({7, 1, 1, 1, 5})},
      {"AUTH_BADCRED", MakeCall(8, kTestProg, kTestLow, 0, kAuthSys, Words({1})),
       Words({8, 1, 1, 1, 1})},
      {"SYSTEM_ERR", MakeCall(9, kTestProg, kTestLow, testing::kThrow), Words({9, 1, 0, 0, 0, 5})},
  };
  for (const auto& tc : cases) {
    ASSERT_TRUE(c->SendRecord(tc.call)) << tc.name;
    EXPECT_EQ(c->ReadRecord(), tc.reply) << tc.name;
  }
}

TEST_F(ServerTest, AuthSysReachesProgram) {
  StartServer();
  auto c = Connect();
  AuthSys cred;
  cred.machine_name = "m";
  cred.uid = 501;
  cred.gid = 20;
  cred.gids = {1, 2, 3};
  ASSERT_TRUE(c->SendRecord(
      MakeCall(11, kTestProg, kTestLow, testing::kWhoAmI, kAuthSys, AuthSysBody(cred))));
  Bytes want = Success(11, {kAuthSys, 501, 20, 3, 1, 2, 3, 1});
  Append(want, Bytes{'m', 0, 0, 0});
  EXPECT_EQ(c->ReadRecord(), want);
}

TEST_F(ServerTest, FragmentedRecordsReassembled) {
  StartServer();
  auto c = Connect();
  Bytes call = MakeCall(21, kTestProg, kTestLow, testing::kEcho, kAuthNone, {}, Words({99}));
  // Three fragments: 10 bytes, 0 bytes, the rest (RFC 5531 §11).
  Bytes wire = Words({10});
  Append(wire, std::span(call).first(10));
  Append(wire, Words({0}));
  Append(wire, Words({0x80000000u | static_cast<uint32_t>(call.size() - 10)}));
  Append(wire, std::span(call).subspan(10));
  ASSERT_TRUE(c->Send(wire));
  EXPECT_EQ(c->ReadRecord(), Success(21, {99}));

  // The same, one byte per send.
  for (uint8_t b : wire) {
    ASSERT_TRUE(c->Send(std::span(&b, 1)));
  }
  EXPECT_EQ(c->ReadRecord(), Success(21, {99}));
}

TEST_F(ServerTest, LargeFragmentedCallReadInPlace) {
  StartServer();
  auto c = Connect();
  Bytes payload(1 << 20);
  std::mt19937 gen(1);
  uint32_t sum = 0;
  for (auto& b : payload) {
    b = static_cast<uint8_t>(gen());
    sum += b;
  }
  Bytes call = MakeCall(31, kTestProg, kTestLow, testing::kSum, kAuthNone, {}, payload);
  Bytes wire;
  constexpr size_t kFrag = 100'000;
  for (size_t off = 0; off < call.size(); off += kFrag) {
    size_t n = std::min(kFrag, call.size() - off);
    bool last = off + n == call.size();
    Append(wire, Words({(last ? 0x80000000u : 0u) | static_cast<uint32_t>(n)}));
    Append(wire, std::span(call).subspan(off, n));
  }
  std::thread sender([&] { EXPECT_TRUE(c->Send(wire)); });
  auto reply = c->ReadRecord(10s);
  sender.join();
  EXPECT_EQ(reply, Success(31, {static_cast<uint32_t>(payload.size()), sum}));
}

TEST_F(ServerTest, RecordAtLimitServedOneMoreCloses) {
  ServerOptions o = Small();
  o.max_record_size = 4096;
  StartServer(o);
  Bytes call = MakeCall(41, kTestProg, kTestLow, testing::kSum);
  Bytes at_limit = call;
  at_limit.resize(4096, 1);
  auto c = Connect();
  ASSERT_TRUE(c->SendRecord(at_limit));
  EXPECT_EQ(c->ReadRecord(), Success(41, {static_cast<uint32_t>(4096 - call.size()),
                                          static_cast<uint32_t>(4096 - call.size())}));
  Bytes over = at_limit;
  over.push_back(1);
  ASSERT_TRUE(c->SendRecord(over));
  EXPECT_TRUE(c->WaitForClose());
}

TEST_F(ServerTest, OversizedRecordClosesBeforeBodyArrives) {
  StartServer();  // default limit: 1 MiB + 4 KiB
  auto c = Connect();
  auto other = Connect();
  ASSERT_TRUE(c->Send(Words({0x80000000u | ((1u << 20) + 4097)})));
  EXPECT_TRUE(c->WaitForClose());
  // Across fragments too.
  auto c2 = Connect();
  ASSERT_TRUE(c2->Send(Words({1u << 20})));
  ASSERT_TRUE(c2->Send(Bytes(1u << 20, 0)));
  ASSERT_TRUE(c2->Send(Words({0x80000000u | 4097})));
  EXPECT_TRUE(c2->WaitForClose());
  // Others are unaffected.
  ASSERT_TRUE(other->SendRecord(MakeCall(1, kTestProg, kTestLow, 0)));
  EXPECT_EQ(other->ReadRecord(), Success(1));
}

TEST_F(ServerTest, UndecodableRecordCloses) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Send(Words({0x80000002u, 0x01020000})));  // a 2-byte record: no xid
  EXPECT_TRUE(c->WaitForClose());
  auto e = Connect();
  ASSERT_TRUE(e->Send(Words({0x80000000u})));  // an empty record
  EXPECT_TRUE(e->WaitForClose());
}

TEST_F(ServerTest, TruncatedRecordThenCloseDoesNotHang) {
  StartServer();
  {
    auto c = Connect();
    ASSERT_TRUE(c->Send(Words({0x80000064u, 1, 2})));  // 100 announced, 8 sent
  }
  {
    auto c = Connect();
    ASSERT_TRUE(c->Send(Bytes{0x80, 0x00}));  // half a record mark
  }
  EXPECT_TRUE(WaitUntil([&] { return server_->connection_count() == 0; }));
  auto c = Connect();
  ASSERT_TRUE(c->SendRecord(MakeCall(5, kTestProg, kTestLow, 0)));
  EXPECT_EQ(c->ReadRecord(), Success(5));
}

TEST_F(ServerTest, HalfClosedPeerStillGetsReplies) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->SendRecord(MakeCall(1, kTestProg, kTestLow, testing::kSleep, kAuthNone, {},
                                     Words({100}))));
  ASSERT_TRUE(c->SendRecord(MakeCall(2, kTestProg, kTestLow, 0)));
  c->ShutdownWrite();
  EXPECT_EQ(c->ReadRecord(), Success(2));
  EXPECT_EQ(c->ReadRecord(), Success(1, {100}));
  EXPECT_TRUE(c->WaitForClose());
}

TEST_F(ServerTest, ConcurrentCallsCompleteOutOfOrder) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->SendRecord(MakeCall(1, kTestProg, kTestLow, testing::kSleep, kAuthNone, {},
                                     Words({300}))));
  ASSERT_TRUE(c->SendRecord(MakeCall(2, kTestProg, kTestLow, testing::kEcho, kAuthNone, {},
                                     Words({7}))));
  EXPECT_EQ(c->ReadRecord(), Success(2, {7}));
  EXPECT_EQ(c->ReadRecord(), Success(1, {300}));
}

TEST_F(ServerTest, ManyConnectionsAtOnce) {
  StartServer();
  constexpr int kConns = 200;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < kConns; ++i) {
    clients.push_back(Connect());
    ASSERT_NE(clients.back(), nullptr);
  }
  for (int i = 0; i < kConns; ++i) {
    ASSERT_TRUE(clients[i]->SendRecord(MakeCall(1000 + i, kTestProg, kTestLow, testing::kEcho,
                                                kAuthNone, {}, Words({uint32_t(i)}))));
  }
  for (int i = 0; i < kConns; ++i) {
    EXPECT_EQ(clients[i]->ReadRecord(), Success(1000 + i, {uint32_t(i)})) << i;
  }
  EXPECT_TRUE(WaitUntil([&] { return server_->connection_count() == kConns; }));
  size_t visited = 0;
  server_->ForEachConnection([&](Connection&) { ++visited; });
  EXPECT_EQ(visited, size_t{kConns});
}

TEST_F(ServerTest, BlockedCallsDoNotStarveOtherConnections) {
  ServerOptions o = Small();
  o.worker_threads = 2;
  StartServer(o);
  program_->SetGate(false);
  auto blocked = Connect();
  for (uint32_t i = 0; i < 8; ++i) {  // more blocked calls than base workers
    ASSERT_TRUE(blocked->SendRecord(
        MakeCall(i, kTestProg, kTestLow, testing::kGate, kAuthNone, {}, Words({i}))));
  }
  ASSERT_TRUE(WaitUntil([&] { return program_->gate_started.load() == 8; }));
  auto c = Connect();
  ASSERT_TRUE(c->SendRecord(MakeCall(99, kTestProg, kTestLow, testing::kEcho, kAuthNone, {},
                                     Words({5}))));
  EXPECT_EQ(c->ReadRecord(), Success(99, {5}));
  program_->SetGate(true);
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(blocked->ReadRecord().has_value());
}

TEST_F(ServerTest, InflightLimitStopsReading) {
  ServerOptions o = Small();
  o.max_inflight_per_connection = 2;
  StartServer(o);
  program_->SetGate(false);
  auto c = Connect();
  for (uint32_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        c->SendRecord(MakeCall(i, kTestProg, kTestLow, testing::kGate, kAuthNone, {}, Words({i}))));
  }
  ASSERT_TRUE(WaitUntil([&] { return program_->gate_started.load() == 2; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(program_->gate_started.load(), 2);
  program_->SetGate(true);
  std::set<uint32_t> xids;
  for (int i = 0; i < 5; ++i) {
    auto r = c->ReadRecord();
    ASSERT_TRUE(r.has_value());
    xids.insert(Xid(*r));
  }
  EXPECT_EQ(xids, (std::set<uint32_t>{0, 1, 2, 3, 4}));
}

TEST_F(ServerTest, PeerThatNeverReadsIsBounded) {
  ServerOptions o = Small();
  o.max_queued_reply_bytes = 256 * 1024;
  StartServer(o);
  auto c = Connect();
  int small = 16 * 1024;
  ::setsockopt(c->fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  Bytes many;
  constexpr int kCalls = 2000;
  for (uint32_t i = 0; i < kCalls; ++i) {
    Bytes call = MakeCall(i, kTestProg, kTestLow, testing::kBig, kAuthNone, {}, Words({65536}));
    Append(many, Words({0x80000000u | static_cast<uint32_t>(call.size())}));
    Append(many, call);
  }
  ASSERT_TRUE(c->Send(many));  // ~200 KB: fits in socket buffers
  // The server answers until the socket buffers and its reply queue are
  // full, then stops reading.
  int seen = -1;
  ASSERT_TRUE(WaitUntil(
      [&] {
        int now = program_->calls.load();
        bool stable = now == seen;
        seen = now;
        if (!stable) std::this_thread::sleep_for(200ms);
        return stable;
      },
      10s));
  EXPECT_LT(program_->calls.load(), kCalls);
  // The connection is still usable: draining it lets everything through
  // (in completion order).
  std::set<uint32_t> xids;
  for (int got = 0; got < kCalls; ++got) {
    auto r = c->ReadRecord();
    ASSERT_TRUE(r.has_value()) << got;
    ASSERT_EQ(r->size(), 24u + 65536u);
    xids.insert(Xid(*r));
  }
  EXPECT_EQ(xids.size(), size_t{kCalls});
}

TEST_F(ServerTest, CloseAndStopWithWritesBlockedOnThePeer) {
  ServerOptions o = Small();
  o.max_queued_reply_bytes = 128 * 1024;
  StartServer(o);
  std::vector<std::unique_ptr<TestClient>> clients;
  Bytes wire;
  for (uint32_t i = 0; i < 500; ++i) {
    Bytes call = MakeCall(i, kTestProg, kTestLow, testing::kBig, kAuthNone, {}, Words({65536}));
    Append(wire, Words({0x80000000u | static_cast<uint32_t>(call.size())}));
    Append(wire, call);
  }
  for (int i = 0; i < 2; ++i) {
    clients.push_back(Connect());
    ASSERT_TRUE(clients.back()->Send(wire));  // and never read
  }
  int seen = -1;
  ASSERT_TRUE(WaitUntil(
      [&] {
        int now = program_->calls.load();
        bool stable = now == seen;
        seen = now;
        if (!stable) std::this_thread::sleep_for(200ms);
        return stable;
      },
      10s));
  ASSERT_LT(program_->calls.load(), 1000);
  // One closed through its Connection, the other by Stop().
  uint16_t port = clients[0]->local_port();
  server_->ForEachConnection([&](Connection& c) {
    if (c.remote().port() == port) c.Close();
  });
  EXPECT_TRUE(WaitUntil([&] { return server_->connection_count() == 1; }));
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(ServerTest, AcceptFilterRefusesBeforeAnyReply) {
  std::mutex mu;
  tcp::endpoint seen_remote, seen_local;
  StartServer(Small(), [&](const Connection& c) {
    std::lock_guard lock(mu);
    seen_remote = c.remote();
    seen_local = c.local();
    return false;
  });
  auto c = Connect();
  c->SendRecord(MakeCall(1, kTestProg, kTestLow, 0));  // may fail: already closed
  EXPECT_TRUE(c->WaitForClose());
  std::lock_guard lock(mu);
  EXPECT_EQ(seen_remote.address(), make_address("127.0.0.1"));
  EXPECT_EQ(seen_remote.port(), c->local_port());
  EXPECT_EQ(seen_local, endpoint_);
  EXPECT_EQ(program_->calls.load(), 0);
}

TEST_F(ServerTest, AcceptFilterSeesSourceAddress) {
  // Linux routes all of 127/8 to lo: the filter sees the real source.
  StartServer(Small(), [](const Connection& c) {
    return c.remote().address() != make_address("127.0.0.2");
  });
  auto ok = TestClient::Connect(endpoint_, make_address("127.0.0.3"));
  auto denied = TestClient::Connect(endpoint_, make_address("127.0.0.2"));
  ASSERT_NE(ok, nullptr);
  ASSERT_NE(denied, nullptr);
  ASSERT_TRUE(ok->SendRecord(MakeCall(1, kTestProg, kTestLow, 0)));
  EXPECT_EQ(ok->ReadRecord(), Success(1));
  EXPECT_TRUE(denied->WaitForClose());
}

TEST_F(ServerTest, ForEachConnectionCanClose) {
  StartServer();
  auto a = Connect();
  auto b = Connect();
  ASSERT_TRUE(WaitUntil([&] { return server_->connection_count() == 2; }));
  std::atomic<uint16_t> close_port = b->local_port();
  server_->ForEachConnection([&](Connection& c) {
    if (c.remote().port() == close_port) c.Close();
  });
  EXPECT_TRUE(b->WaitForClose());
  ASSERT_TRUE(a->SendRecord(MakeCall(1, kTestProg, kTestLow, 0)));
  EXPECT_EQ(a->ReadRecord(), Success(1));
  EXPECT_TRUE(WaitUntil([&] { return server_->connection_count() == 1; }));
}

TEST_F(ServerTest, CloseFromProgramDropsReply) {
  struct Closer final : Program {
    uint32_t program() const override { return 0x40000999; }
    uint32_t min_version() const override { return 1; }
    uint32_t max_version() const override { return 1; }
    AcceptStat Call(CallContext& ctx, xdr::XdrDecoder&, xdr::XdrEncoder&) override {
      ctx.connection->SetAttachment(std::make_shared<int>(1));
      ctx.connection->Close();
      return AcceptStat::kSuccess;
    }
  };
  server_ = std::make_unique<RpcServer>(Small());
  auto table = std::make_shared<ProgramTable>();
  table->Add(std::make_shared<Closer>());
  auto ep = server_->Listen({make_address("127.0.0.1"), 0}, table);
  ASSERT_TRUE(ep.has_value());
  server_->Start();
  auto c = TestClient::Connect(*ep);
  ASSERT_TRUE(c->SendRecord(MakeCall(1, 0x40000999, 1, 1)));
  EXPECT_TRUE(c->WaitForClose());
}

TEST_F(ServerTest, StopWithLiveConnectionsReturns) {
  StartServer();
  auto idle = Connect();
  auto mid_record = Connect();
  ASSERT_TRUE(mid_record->Send(Words({0x80000100u, 1})));
  auto busy = Connect();
  ASSERT_TRUE(busy->SendRecord(MakeCall(1, kTestProg, kTestLow, testing::kSleep, kAuthNone, {},
                                        Words({200}))));
  ASSERT_TRUE(WaitUntil([&] { return program_->calls.load() == 1; }));
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_TRUE(idle->WaitForClose());
  EXPECT_TRUE(mid_record->WaitForClose());
  EXPECT_TRUE(busy->WaitForClose());
  EXPECT_EQ(server_->connection_count(), 0u);
  server_->Stop();  // idempotent
  auto again = server_->Listen({make_address("127.0.0.1"), 0}, std::make_shared<ProgramTable>());
  EXPECT_FALSE(again.has_value());
}

TEST_F(ServerTest, ListenErrors) {
  StartServer();
  auto dup = server_->Listen(endpoint_, std::make_shared<ProgramTable>());
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code(), Errc::kBusy);
  EXPECT_FALSE(server_->Listen({make_address("127.0.0.1"), 0}, nullptr).has_value());
}

TEST_F(ServerTest, ListenAfterStartAndSeveralListeners) {
  StartServer();
  auto table = std::make_shared<ProgramTable>();  // serves nothing
  auto ep2 = server_->Listen({make_address("127.0.0.1"), 0}, table);
  ASSERT_TRUE(ep2.has_value());
  auto c = TestClient::Connect(*ep2);
  ASSERT_TRUE(c->SendRecord(MakeCall(1, kTestProg, kTestLow, 0)));
  EXPECT_EQ(c->ReadRecord(), (Words({1, 1, 0, 0, 0, 1})));  // PROG_UNAVAIL here
}

TEST_F(ServerTest, RepliesNeverInterleave) {
  StartServer();
  constexpr int kConns = 3, kCalls = 150;
  auto size_of = [](uint32_t xid) { return (xid * 997u) % 70000u; };
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < kConns; ++t) {
    threads.emplace_back([&, t] {
      auto c = TestClient::Connect(endpoint_);
      if (c == nullptr) {
        ++bad;
        return;
      }
      Bytes wire;
      for (uint32_t i = 0; i < kCalls; ++i) {
        uint32_t xid = t * 1000 + i;
        Bytes call = MakeCall(xid, kTestProg, kTestLow, testing::kBig, kAuthNone, {},
                              Words({size_of(xid)}));
        Append(wire, Words({0x80000000u | static_cast<uint32_t>(call.size())}));
        Append(wire, call);
      }
      std::thread sender([&] { c->Send(wire); });
      std::set<uint32_t> seen;
      for (int i = 0; i < kCalls; ++i) {
        auto r = c->ReadRecord(10s);
        if (!r) {
          ++bad;
          break;
        }
        uint32_t xid = Xid(*r);
        size_t n = size_of(xid);
        bool ok = r->size() == 24 + xdr::Pad4(n) && seen.insert(xid).second;
        for (size_t k = 0; ok && k < n; ++k) ok = (*r)[24 + k] == 0xab;
        if (!ok) ++bad;
      }
      sender.join();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(ServerTest, StopUnderLoad) {
  StartServer();
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      while (!done.load()) {
        auto c = TestClient::Connect(endpoint_);
        if (c == nullptr) return;  // the listener is gone
        for (uint32_t i = 0; i < 20 && !done.load(); ++i) {
          uint32_t proc = (i % 3 == 0) ? uint32_t{testing::kSleep} : uint32_t{testing::kEcho};
          if (!c->SendRecord(MakeCall(i, kTestProg, kTestLow, proc, kAuthNone, {}, Words({5}))) ||
              !c->ReadRecord(2s)) {
            break;
          }
        }
        (void)t;
      }
    });
  }
  std::this_thread::sleep_for(300ms);
  server_->Stop();
  done = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST(RpcServerLifecycle, StopWithoutStart) {
  RpcServer s(ServerOptions{});
  auto ep = s.Listen({make_address("127.0.0.1"), 0}, std::make_shared<ProgramTable>());
  ASSERT_TRUE(ep.has_value());
  s.Stop();
  s.Start();  // no effect after Stop
  s.Stop();
}

TEST(RpcServerLifecycle, DestroyWithoutStopAndConnectionOutlivesServer) {
  // Keeps the Connection past the server, as an NFS session might.
  struct Keeper final : Program {
    uint32_t program() const override { return 0x40000998; }
    uint32_t min_version() const override { return 1; }
    uint32_t max_version() const override { return 1; }
    AcceptStat Call(CallContext& ctx, xdr::XdrDecoder&, xdr::XdrEncoder&) override {
      std::lock_guard lock(mu);
      kept = ctx.connection;
      return AcceptStat::kSuccess;
    }
    std::mutex mu;
    std::shared_ptr<Connection> kept;
  };
  auto keeper = std::make_shared<Keeper>();
  auto table = std::make_shared<ProgramTable>();
  table->Add(keeper);
  std::unique_ptr<TestClient> c;
  {
    RpcServer s(ServerOptions{});
    auto ep = s.Listen({make_address("127.0.0.1"), 0}, table,
                       [&](const Connection&) { return true; });
    ASSERT_TRUE(ep.has_value());
    s.Start();
    c = TestClient::Connect(*ep);
    ASSERT_TRUE(c->SendRecord(MakeCall(1, 0x40000998, 1, 1)));
    ASSERT_TRUE(c->ReadRecord().has_value());
  }
  EXPECT_TRUE(c->WaitForClose());
  std::lock_guard lock(keeper->mu);
  ASSERT_NE(keeper->kept, nullptr);
  EXPECT_TRUE(keeper->kept->closed());
  keeper->kept->Close();  // no socket any more: just marks
  keeper->kept->SetAttachment(nullptr);
}

TEST_F(ServerTest, GarbageStreamsNeverCrash) {
  StartServer();
  std::mt19937 gen(42);
  for (int round = 0; round < 50; ++round) {
    auto c = Connect();
    Bytes junk(1 + gen() % 2000);
    for (auto& b : junk) b = static_cast<uint8_t>(gen());
    if (round % 2 == 0) junk[0] &= 0x7f;  // plausible, small-ish fragment sizes
    c->Send(junk);
    if (round % 3 == 0) c->ShutdownWrite();
  }
  auto c = Connect();
  ASSERT_TRUE(c->SendRecord(MakeCall(1, kTestProg, kTestLow, 0)));
  EXPECT_EQ(c->ReadRecord(), Success(1));
}

// ---- The back channel: calls from the server on a client's connection ----

TEST_F(ServerTest, BackChannelCallGoesOutAndItsReplyIsMatched) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->SendRecord(MakeCall(1, kTestProg, kTestLow, testing::kEcho, kAuthNone, {}, Words({5}))));
  ASSERT_EQ(c->ReadRecord(), Success(1, {5}));
  std::shared_ptr<Connection> conn = program_->last_connection();
  ASSERT_NE(conn, nullptr);

  std::mutex mu;
  std::vector<Bytes> replies;
  auto handler = [&](std::span<const uint8_t> r) {
    std::lock_guard lock(mu);
    replies.emplace_back(r.begin(), r.end());
  };
  const uint32_t xid = conn->NextCallXid();
  Bytes call = MakeCall(xid, 0x40000000, 1, 0);
  ASSERT_TRUE(conn->SendCall(call, handler));
  EXPECT_EQ(conn->outstanding_calls(), 1u);
  // The client sees exactly the call as one record.
  EXPECT_EQ(c->ReadRecord(), call);
  // A REPLY with another xid is ignored; the connection still serves.
  ASSERT_TRUE(c->SendRecord(Success(xid + 1000)));
  ASSERT_TRUE(c->SendRecord(MakeCall(2, kTestProg, kTestLow, testing::kEcho, kAuthNone, {}, Words({6}))));
  ASSERT_EQ(c->ReadRecord(), Success(2, {6}));
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(replies.empty());
  }
  // The matching REPLY reaches the handler, once.
  ASSERT_TRUE(c->SendRecord(Success(xid)));
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard lock(mu);
    return !replies.empty();
  }));
  ASSERT_TRUE(c->SendRecord(Success(xid)));  // a duplicate: ignored
  ASSERT_TRUE(c->SendRecord(MakeCall(3, kTestProg, kTestLow, 0)));
  ASSERT_EQ(c->ReadRecord(), Success(3));
  std::lock_guard lock(mu);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], Success(xid));
  EXPECT_EQ(conn->outstanding_calls(), 0u);
}

TEST_F(ServerTest, BackChannelCallFailsWhenTheConnectionCloses) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->SendRecord(MakeCall(1, kTestProg, kTestLow, testing::kEcho, kAuthNone, {}, Words({1}))));
  ASSERT_EQ(c->ReadRecord(), Success(1, {1}));
  std::shared_ptr<Connection> conn = program_->last_connection();
  ASSERT_NE(conn, nullptr);
  std::atomic<int> empty{0}, other{0};
  auto handler = [&](std::span<const uint8_t> r) { (r.empty() ? empty : other).fetch_add(1); };
  ASSERT_TRUE(conn->SendCall(MakeCall(conn->NextCallXid(), 0x40000000, 1, 0), handler));
  ASSERT_TRUE(conn->SendCall(MakeCall(conn->NextCallXid(), 0x40000000, 1, 0), handler));
  // Cancel answers at once with an empty span.
  const uint32_t third = conn->NextCallXid();
  ASSERT_TRUE(conn->SendCall(MakeCall(third, 0x40000000, 1, 0), handler));
  conn->Cancel(third);
  EXPECT_EQ(empty.load(), 1);
  c.reset();  // the client goes away without answering
  ASSERT_TRUE(WaitUntil([&] { return empty.load() == 3; }));
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(conn->outstanding_calls(), 0u);
  // Nothing can be sent on a closed connection.
  ASSERT_TRUE(WaitUntil([&] { return conn->closed(); }));
  EXPECT_FALSE(conn->SendCall(MakeCall(conn->NextCallXid(), 0x40000000, 1, 0), handler));
}

TEST(ConnectionTest, SendCallWithoutTransportIsRefused) {
  Connection conn(1, {}, {});
  bool called = false;
  EXPECT_FALSE(conn.SendCall(MakeCall(conn.NextCallXid(), 0x40000000, 1, 0),
                             [&](std::span<const uint8_t>) { called = true; }));
  EXPECT_FALSE(conn.DeliverReply(Success(1)));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace elfs::rpc
