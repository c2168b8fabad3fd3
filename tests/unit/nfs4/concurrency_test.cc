// The state layer under concurrency: many clients opening, locking and
// closing at once (mutual exclusion holds, nothing leaks), and a lease that
// runs out while one of its client's operations is still in flight.
#include <atomic>
#include <future>
#include <thread>

#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class StateConcurrency : public Nfs4Test {};

TEST_F(StateConcurrency, ManyClientsOpenLockAndCloseAtOnce) {
  // 4 threads x 50 clients. Each client creates its own file, writes it,
  // and tries (without blocking) an exclusive lock of one shared file in
  // each of three rounds. A client that gets the lock checks that nobody
  // else holds it; at the end every open and lock state is gone.
  constexpr int kThreads = 4, kClientsPerThread = 50, kRounds = 3;
  MakeFile("shared", "", 0666);
  const Bytes shared_fh = Fh("shared");
  std::atomic<int> holders{0}, max_holders{0}, granted{0}, denied{0}, errors{0};

  auto client = [&](int t, int i) {
    const std::string name = "c" + std::to_string(t) + "-" + std::to_string(i);
    Session41 s = NewSession(name);
    // Its own file: OPEN(create) + WRITE + CLOSE.
    Compound oc(1);
    oc.PutRootFh()
        .Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "o", .create = true, .name = name})
        .GetFh();
    Opened own = OpenedFrom(Run41(s, oc), 2);
    if (own.status != st::OK) return errors++, void();
    Reply w = Run41(s, Compound(1).PutFh(own.fh).Write(own.stateid, 0, UNSTABLE4, ToBytes(name)));
    if (w.status != st::OK) errors++;
    // The shared file: open, then rounds of LOCK / check / LOCKU.
    // CLAIM_FH (4): the current file handle itself.
    Compound sc(1);
    sc.PutFh(shared_fh)
        .Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "o", .claim = 4})
        .GetFh();
    Opened shared = OpenedFrom(Run41(s, sc), 2);
    if (shared.status != st::OK) return errors++, void();
    bool first = true;
    Stateid4 lsid;
    for (int round = 0; round < kRounds; ++round) {
      Compound lc(1);
      lc.PutFh(shared_fh);
      if (first) {
        lc.LockNew(WRITE_LT, 0, 100, 0, shared.stateid, 0, 0, "lo");
      } else {
        lc.LockExisting(WRITE_LT, 0, 100, lsid, 0);
      }
      Reply l = Run41(s, lc);
      if (l.last_status() == st::DENIED) {
        denied++;
        continue;
      }
      if (l.status != st::OK) {
        errors++;
        continue;
      }
      first = false;
      lsid = l.StateidRes(2);
      int now = ++holders;
      int seen = max_holders.load();
      while (now > seen && !max_holders.compare_exchange_weak(seen, now)) {
      }
      granted++;
      std::this_thread::yield();
      --holders;
      Reply u = Run41(s, Compound(1).PutFh(shared_fh).LockU(WRITE_LT, 0, lsid, 0, 100));
      if (u.status != st::OK) {
        errors++;
        continue;
      }
      lsid = u.StateidRes(2);
    }
    if (!first) {
      lsid.seqid = 0;
      if (Run41(s, Compound(1).FreeStateid(lsid)).status != st::OK) errors++;
    }
    Stateid4 ssid = shared.stateid, osid = own.stateid;
    ssid.seqid = 0;
    osid.seqid = 0;
    if (Run41(s, Compound(1).PutFh(shared_fh).Close(0, ssid)).status != st::OK) errors++;
    if (Run41(s, Compound(1).PutFh(own.fh).Close(0, osid)).status != st::OK) errors++;
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kClientsPerThread; ++i) client(t, i);
    });
  for (auto& th : threads) th.join();

  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(max_holders.load(), 1) << "two clients held the exclusive lock at once";
  EXPECT_GT(granted.load(), 0);
  EXPECT_EQ(granted.load() + denied.load(), kThreads * kClientsPerThread * kRounds);
  EXPECT_EQ(server_->state().client_count(), size_t{kThreads * kClientsPerThread});
  EXPECT_EQ(server_->state().open_count(), 0u);
  EXPECT_EQ(server_->state().lock_state_count(), 0u);
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kClientsPerThread; ++i) {
      const std::string name = "c" + std::to_string(t) + "-" + std::to_string(i);
      EXPECT_EQ(Content(name), name);
    }
}

TEST_F(StateConcurrency, LeaseRunsOutWhileAWriteIsInFlight) {
  // Client A's WRITE is held in the backend; meanwhile its lease runs out
  // and client B's conflicting lock revokes A's state (courtesy, RFC 8881
  // section 8.4.3). The WRITE then finishes without harm, B holds the lock,
  // and A learns on its next request that its state is gone.
  MakeFile("f", "", 0666);
  // OPEN of f for `owner`, then a write lock of [0, 10): the LOCK's status.
  auto open_and_lock = [&](Session41& s, const std::string& owner, Opened* out) {
    Compound oc(1);
    oc.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = owner, .name = "f"}).GetFh();
    *out = OpenedFrom(Run41(s, oc), 2);
    if (out->status != st::OK) return out->status;
    Compound lc(1);
    lc.PutFh(out->fh).LockNew(WRITE_LT, 0, 10, 0, out->stateid, 0, 0, owner + "-lock");
    return Run41(s, lc).status;
  };
  Session41 a = NewSession("client-a");
  Opened fa;
  ASSERT_EQ(open_and_lock(a, "a", &fa), st::OK);

  fs_->HoldWrites();
  Compound wc = SequenceFor(a, 0);
  wc.PutFh(fa.fh).Write(fa.stateid, 0, FILE_SYNC4, ToBytes("late"));
  auto write = std::async(std::launch::async, [&] { return RunRaw(wc); });
  ASSERT_TRUE(fs_->WaitForHeldWrite(std::chrono::seconds(10)));

  clock_.Advance(std::chrono::seconds(server_->lease_seconds() * 2));
  Session41 b = NewSession("client-b");
  Opened fb;
  EXPECT_EQ(open_and_lock(b, "b", &fb), st::OK) << "the expired client's lock should have yielded";

  fs_->Release();
  Reply w = write.get();
  ASSERT_TRUE(w.parsed) << w.error;
  // Admitted before the lease ran out, the WRITE completes.
  EXPECT_EQ(w.status, st::OK);
  // A's session went with its state.
  Reply next = Run41(a, Compound(1).PutRootFh());
  EXPECT_EQ(next.ops.at(0).status, st::BADSESSION);
  EXPECT_EQ(server_->state().lock_state_count(), 1u);  // B's
}

}  // namespace
}  // namespace elfs::nfs4::test
