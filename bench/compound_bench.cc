// Micro-benchmarks of the NFSv4 request path without sockets: XDR decoding
// and whole COMPOUNDs (GETATTR, 1 MiB READ, 1 MiB WRITE) on the in-memory
// backend. They show the protocol layers' own cost; the side-by-side
// comparison with NFS-Ganesha over real connections is the load generator's.
//
// Run: build/bench/compound_bench   (add --benchmark_min_time=0.01 for a smoke run)
#include <benchmark/benchmark.h>

#include <array>
#include <memory>

#include "backend/memory/memory_file_system.h"
#include "common/clock.h"
#include "common/random.h"
#include "nfs4/compound.h"
#include "nfs4/server.h"

namespace {

using namespace elfs;

void U32(xdr::XdrEncoder& e, uint32_t v) { e.U32(v); }

struct Bench {
  FakeClock clock;
  SeededRandom random{7};
  std::array<uint8_t, 32> key{};
  std::unique_ptr<nfs4::Nfs4Server> server;
  const nfs4::Export* exp = nullptr;
  xdr::Buffer getattr, read, write;

  Bench() {
    server = std::make_unique<nfs4::Nfs4Server>(nfs4::Nfs4Options{}, clock, random, key);
    auto fs = std::make_shared<backend::MemoryFileSystem>(clock);
    auto root = *fs->Root();
    vfs::CreateRequest file;
    file.mode = 0666;
    auto f = fs->Create(root, "f", file);
    std::vector<uint8_t> mib(1 << 20, 'x');
    (void)fs->Write(f->handle, 0, mib, vfs::Stability::kUnstable);
    exp = *server->AddExport(1, "fs-bench", fs);

    // 4.0 compounds: PUTROOTFH, LOOKUP "f", then the operation.
    auto head = [](xdr::XdrEncoder& e, uint32_t nops) {
      e.String("");
      e.U32(0);
      e.U32(nops);
      e.U32(nfs4::OP_PUTROOTFH);
      e.U32(nfs4::OP_LOOKUP);
      e.String("f");
    };
    const uint8_t zero_other[12] = {};
    {
      xdr::XdrEncoder e(getattr);
      head(e, 3);
      U32(e, nfs4::OP_GETATTR);
      e.U32(2);
      e.U32((1u << nfs4::FATTR4_TYPE) | (1u << nfs4::FATTR4_CHANGE) | (1u << nfs4::FATTR4_SIZE) |
            (1u << nfs4::FATTR4_FSID) | (1u << nfs4::FATTR4_FILEID));
      e.U32((1u << (nfs4::FATTR4_MODE - 32)) | (1u << (nfs4::FATTR4_NUMLINKS - 32)) |
            (1u << (nfs4::FATTR4_OWNER - 32)) | (1u << (nfs4::FATTR4_OWNER_GROUP - 32)) |
            (1u << (nfs4::FATTR4_TIME_MODIFY - 32)));
    }
    {
      xdr::XdrEncoder e(read);
      head(e, 3);
      e.U32(nfs4::OP_READ);
      e.U32(0);
      e.FixedOpaque(zero_other);
      e.U64(0);
      e.U32(1 << 20);
    }
    {
      xdr::XdrEncoder e(write);
      head(e, 3);
      e.U32(nfs4::OP_WRITE);
      e.U32(0);
      e.FixedOpaque(zero_other);
      e.U64(0);
      e.U32(nfs4::UNSTABLE4);
      e.Opaque(mib);
    }
  }

  void Run(benchmark::State& state, const xdr::Buffer& args) {
    xdr::Buffer out;
    out.reserve(2 << 20);
    for (auto _ : state) {
      out.clear();
      nfs4::CompoundState cs(*server, *exp);
      xdr::XdrDecoder d({args.data(), args.size()});
      xdr::XdrEncoder e(out);
      if (!nfs4::ProcessCompound(cs, d, e)) state.SkipWithError("compound failed");
      benchmark::DoNotOptimize(out.data());
    }
  }
};

Bench& World() {
  static Bench b;
  return b;
}

void BM_CompoundGetattr(benchmark::State& state) { World().Run(state, World().getattr); }
BENCHMARK(BM_CompoundGetattr);

void BM_CompoundRead1MiB(benchmark::State& state) {
  World().Run(state, World().read);
  state.SetBytesProcessed(state.iterations() * (1 << 20));
}
BENCHMARK(BM_CompoundRead1MiB);

void BM_CompoundWrite1MiB(benchmark::State& state) {
  World().Run(state, World().write);
  state.SetBytesProcessed(state.iterations() * (1 << 20));
}
BENCHMARK(BM_CompoundWrite1MiB);

void BM_XdrDecodeU32(benchmark::State& state) {
  xdr::Buffer buf;
  xdr::XdrEncoder e(buf);
  for (int i = 0; i < 1024; ++i) e.U32(i);
  for (auto _ : state) {
    xdr::XdrDecoder d({buf.data(), buf.size()});
    uint32_t sum = 0;
    for (int i = 0; i < 1024; ++i) sum += d.U32();
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_XdrDecodeU32);

}  // namespace

BENCHMARK_MAIN();
