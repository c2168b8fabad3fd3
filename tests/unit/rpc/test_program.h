// A Program for tests, whose procedures exercise the server's paths:
// sleeping, echoing, garbage arguments, credentials, blocking on a gate,
// large replies, throwing.
//
// Thread safety: thread-safe (calls run on worker threads).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "rpc/program.h"

namespace elfs::rpc::testing {

inline constexpr uint32_t kTestProg = 0x40000123;
inline constexpr uint32_t kTestLow = 2, kTestHigh = 3;

enum TestProc : uint32_t {
  kSleep = 1,     // u32 ms: sleeps, then replies the same u32
  kEcho = 2,      // u32: replies it
  kNeedsArg = 3,  // u32 v: replies v + 1; GARBAGE_ARGS if there is none
  kWhoAmI = 4,    // replies flavor, uid, gid, gids<>, machinename
  kGate = 5,      // u32: waits until the gate opens, replies the u32
  kBig = 6,       // u32 n: replies n bytes of 0xab (raw, padded)
  kThrow = 7,     // throws
  kMismatch = 8,  // returns PROG_MISMATCH itself
  kSysErr = 9,    // writes something, then returns SYSTEM_ERR
  kSum = 10,      // any bytes: replies their count and their sum (u32 each)
};

class TestProgram final : public Program {
 public:
  uint32_t program() const override { return kTestProg; }
  uint32_t min_version() const override { return kTestLow; }
  uint32_t max_version() const override { return kTestHigh; }

  AcceptStat Call(CallContext& ctx, xdr::XdrDecoder& args, xdr::XdrEncoder& reply) override {
    calls.fetch_add(1);
    {
      std::lock_guard lock(mu_);
      last_connection_ = ctx.connection;
    }
    switch (ctx.proc) {
      case kSleep: {
        uint32_t ms = args.U32();
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        reply.U32(ms);
        return AcceptStat::kSuccess;
      }
      case kEcho:
        reply.U32(args.U32());
        return AcceptStat::kSuccess;
      case kNeedsArg: {
        uint32_t v = args.U32();
        if (!args.ok()) return AcceptStat::kGarbageArgs;
        reply.U32(v + 1);
        return AcceptStat::kSuccess;
      }
      case kWhoAmI:
        reply.U32(ctx.flavor);
        reply.U32(ctx.sys.uid);
        reply.U32(ctx.sys.gid);
        reply.U32(static_cast<uint32_t>(ctx.sys.gids.size()));
        for (uint32_t g : ctx.sys.gids) reply.U32(g);
        reply.String(ctx.sys.machine_name);
        return AcceptStat::kSuccess;
      case kGate: {
        uint32_t v = args.U32();
        gate_started.fetch_add(1);
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return gate_open_; });
        reply.U32(v);
        return AcceptStat::kSuccess;
      }
      case kBig: {
        uint32_t n = args.U32();
        auto raw = reply.AppendRaw(n);
        std::memset(raw.data(), 0xab, raw.size());
        return AcceptStat::kSuccess;
      }
      case kThrow:
        throw std::runtime_error("test program throws");
      case kMismatch:
        return AcceptStat::kProgMismatch;
      case kSysErr:
        reply.U32(0xdeadbeef);
        return AcceptStat::kSystemErr;
      case kSum: {
        auto rest = args.rest();
        uint32_t sum = 0;
        for (uint8_t b : rest) sum += b;
        reply.U32(static_cast<uint32_t>(rest.size()));
        reply.U32(sum);
        return AcceptStat::kSuccess;
      }
      default:
        return AcceptStat::kProcUnavail;
    }
  }

  void SetGate(bool open) {
    {
      std::lock_guard lock(mu_);
      gate_open_ = open;
    }
    cv_.notify_all();
  }

  // The connection of the last call (for back-channel tests).
  std::shared_ptr<Connection> last_connection() {
    std::lock_guard lock(mu_);
    return last_connection_;
  }

  std::atomic<int> calls{0};
  std::atomic<int> gate_started{0};

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool gate_open_ = true;
  std::shared_ptr<Connection> last_connection_;
};

}  // namespace elfs::rpc::testing
