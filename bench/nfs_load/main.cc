// nfs_load: an NFSv4.1 load generator (issue 7). Runs workloads against one
// server and prints one JSON line per workload on stdout and a table on
// stderr. How to run it against elfs and NFS-Ganesha: docs/performance.md.
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "workloads.h"

namespace {

// "4K", "256M", "1G" (powers of 1024) or a plain number of bytes.
bool ParseSize(const std::string& s, uint64_t* out) {
  if (s.empty()) return false;
  size_t pos = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(s, &pos);
  } catch (...) {
    return false;
  }
  std::string suf = s.substr(pos);
  uint64_t mul = 1;
  if (suf == "K" || suf == "k" || suf == "KiB") mul = 1ull << 10;
  else if (suf == "M" || suf == "MiB") mul = 1ull << 20;
  else if (suf == "G" || suf == "GiB") mul = 1ull << 30;
  else if (!suf.empty()) return false;
  *out = v * mul;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace elfs::bench;
  Options opt;
  std::string server = "127.0.0.1:2049", workloads = "all", io = "1M", seq = "256M", rnd = "1G",
              commit = "64M";
  CLI::App app{"nfs_load: NFSv4.1 load generator (JSON lines on stdout, a table on stderr)"};
  app.add_option("-s,--server", server, "ADDR:PORT of the NFS server (IPv4)");
  app.add_option("--export", opt.export_path, "path of the export from the server's root (/)");
  app.add_option("--dir", opt.dir, "working directory under the export (made if missing)");
  app.add_option("--label", opt.label, "server name in the JSON output");
  app.add_option("-w,--workloads", workloads,
                 "comma-separated: seqwrite_sync,seqwrite_unstable,seqread,randread,randwrite,"
                 "create,stat,remove,readdir,lock,connect,hold, or all");
  app.add_option("--conns", opt.conns, "TCP connections");
  app.add_option("--clients", opt.clients, "simulated clients (one session each)");
  app.add_option("--depth", opt.depth, "operations in flight per client (session slots)");
  app.add_option("--seconds", opt.seconds, "duration of each timed workload");
  app.add_option("--io-size", io, "sequential I/O size (default 1M)");
  app.add_option("--seq-size", seq, "per-client file size of seqwrite/seqread (default 256M)");
  app.add_option("--rand-size", rnd, "file size of randread/randwrite (default 1G)");
  app.add_option("--commit-every", commit, "UNSTABLE bytes per file between COMMITs (64M)");
  app.add_option("--stat-files", opt.stat_files, "files in the stat directory");
  app.add_option("--remove-files", opt.remove_files, "files removed by `remove`");
  app.add_option("--readdir-entries", opt.readdir_entries, "entries of the READDIR directory");
  app.add_option("--readdir-maxcount", opt.readdir_maxcount, "READDIR maxcount (bytes)");
  app.add_flag("--verify-all", opt.verify_all, "compare every READ with what was written");
  app.add_option("--hold-conns", opt.hold_conns,
                 "idle connections (each with a session) that `hold` opens at once");
  app.add_option("--server-pid", opt.server_pid,
                 "the server's process id (same machine): report its CPU time per workload");
  CLI11_PARSE(app, argc, argv);

  auto colon = server.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "nfs_load: --server must be ADDR:PORT\n");
    return 2;
  }
  opt.host = server.substr(0, colon);
  opt.port = static_cast<uint16_t>(std::stoul(server.substr(colon + 1)));
  if (!ParseSize(io, &opt.io_size) || !ParseSize(seq, &opt.seq_size) ||
      !ParseSize(rnd, &opt.rand_size) || !ParseSize(commit, &opt.commit_every)) {
    std::fprintf(stderr, "nfs_load: bad size\n");
    return 2;
  }
  if (opt.clients == 0 || opt.conns == 0 || opt.depth == 0 || opt.stat_files == 0 ||
      opt.remove_files == 0 || opt.readdir_entries == 0 || opt.hold_conns == 0) {
    std::fprintf(stderr, "nfs_load: counts must be at least 1\n");
    return 2;
  }
  if (workloads == "all") {
    opt.workloads = AllWorkloads();
  } else {
    for (size_t i = 0; i <= workloads.size();) {
      size_t j = workloads.find(',', i);
      if (j == std::string::npos) j = workloads.size();
      if (j > i) opt.workloads.push_back(workloads.substr(i, j - i));
      i = j + 1;
    }
  }
  for (auto& w : opt.workloads) {
    bool known = false;
    for (auto& k : AllWorkloads()) known |= (k == w);
    if (!known) {
      std::fprintf(stderr, "nfs_load: unknown workload %s\n", w.c_str());
      return 2;
    }
  }

  Bench bench(opt);
  std::string err = bench.Start();
  if (!err.empty()) {
    std::fprintf(stderr, "nfs_load: %s\n", err.c_str());
    return 1;
  }
  std::fprintf(stderr, "%-18s %9s %8s %11s %9s %10s %10s %12s\n", "workload", "ops", "seconds",
               "ops/s", "MB/s", "p50 us", "p99 us", "srv cpu us/op");
  int rc = 0;
  for (auto& w : opt.workloads) {
    Result r;
    if (!bench.RunWorkload(w, &r)) {
      std::fprintf(stderr, "nfs_load: %s FAILED: %s\n", w.c_str(), bench.error().c_str());
      std::printf("{\"workload\":\"%s\",\"server\":\"%s\",\"ok\":false}\n", w.c_str(),
                  opt.label.c_str());
      std::fflush(stdout);
      rc = 1;
      break;
    }
    double ops_s = r.ops / r.seconds, mb_s = r.bytes / r.seconds / 1e6;
    double p50 = r.Percentile(0.50), p99 = r.Percentile(0.99);
    double cpu_us = r.server_cpu_s >= 0 ? r.server_cpu_s * 1e6 / r.ops : -1;
    std::fprintf(stderr, "%-18s %9llu %8.2f %11.1f %9.1f %10.1f %10.1f %12.1f\n", w.c_str(),
                 static_cast<unsigned long long>(r.ops), r.seconds, ops_s, mb_s, p50, p99, cpu_us);
    std::printf(
        "{\"workload\":\"%s\",\"server\":\"%s\",\"ok\":true,\"ops\":%llu,\"seconds\":%.4f,"
        "\"ops_per_s\":%.1f,\"mb_per_s\":%.2f,\"entries_per_s\":%.1f,\"p50_us\":%.1f,"
        "\"p99_us\":%.1f,\"server_cpu_s\":%.3f,\"server_kib_per_conn\":%.1f,\"conns\":%u,"
        "\"clients\":%u,\"depth\":%u,\"io_size\":%llu}\n",
        w.c_str(), opt.label.c_str(), static_cast<unsigned long long>(r.ops), r.seconds, ops_s,
        mb_s, r.items / r.seconds, p50, p99, r.server_cpu_s, r.server_kib_per_conn, opt.conns,
        opt.clients, opt.depth, static_cast<unsigned long long>(opt.io_size));
    if (r.server_kib_per_conn >= 0)
      std::fprintf(stderr, "%-18s server memory per idle connection: %.1f KiB\n", "",
                   r.server_kib_per_conn);
    std::fflush(stdout);
  }
  bench.Stop();
  if (rc == 0 && !bench.error().empty()) {
    std::fprintf(stderr, "nfs_load: %s\n", bench.error().c_str());
    rc = 1;
  }
  return rc;
}
