// The load generator's workloads and the machinery that runs them: many
// simulated NFSv4.1 clients (one session each) spread over a few TCP
// connections, each with `depth` actors; an actor holds one session slot and
// runs one operation (one or several COMPOUNDs) at a time, so
// clients × depth operations are in flight. Latency is measured per
// operation from its first call to its last reply.
//
// Every reply is checked (status, counts, data read back against the
// pattern written); the first wrong answer fails the run.
//
// Thread safety: none; everything runs on one Loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "nfs_client.h"
#include "rpc_client.h"

namespace elfs::bench {

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 2049;
  std::string export_path = "/";     // components LOOKUPed from PUTROOTFH
  std::string dir = "nfs_load";       // working directory under the export
  std::string label = "server";       // "server" field of the JSON lines
  uint32_t conns = 4;
  uint32_t clients = 8;
  uint32_t depth = 4;                 // actors (slots in use) per client
  double seconds = 5;
  uint64_t io_size = 1 << 20;         // sequential I/O size
  uint64_t seq_size = 256ull << 20;   // per-client file of seqwrite/seqread
  uint64_t rand_size = 1ull << 30;    // the randread/randwrite file
  uint64_t commit_every = 64ull << 20;  // UNSTABLE writes between COMMITs, per file
  uint32_t stat_files = 1000;
  uint32_t remove_files = 20000;
  uint32_t readdir_entries = 100000;
  uint32_t readdir_maxcount = 65536;
  bool verify_all = false;            // compare every READ (else every 16th)
  int server_pid = 0;                 // if set: the server's CPU time per workload (/proc)
  uint32_t hold_conns = 1000;         // idle connections of `hold`
  std::vector<std::string> workloads;
};

struct Result {
  std::string workload;
  uint64_t ops = 0;
  uint64_t bytes = 0;
  uint64_t items = 0;  // READDIR entries
  double seconds = 0;
  double server_cpu_s = -1;  // CPU the server used during the timed part; -1: unknown
  double server_kib_per_conn = -1;  // hold: server RSS growth per idle connection
  std::vector<uint64_t> lat_ns;
  double Percentile(double p);
};

// The names of every workload, in the order `all` runs them.
const std::vector<std::string>& AllWorkloads();

class Bench {
 public:
  explicit Bench(Options opt);
  ~Bench();

  // Connects, mounts every client, makes the working directory. Returns an
  // error message or "".
  std::string Start();
  // Runs one workload; false if it failed (error()).
  bool RunWorkload(const std::string& name, Result* out);
  void Stop();
  const std::string& error() const { return error_; }

  struct Actor {
    Client* client = nullptr;
    uint32_t slot = 0;
    uint32_t index = 0;  // among all actors
    uint32_t cindex = 0; // index of the client
    uint64_t n = 0;      // operations started by this actor
    std::chrono::steady_clock::time_point t0;
    FileHandle fh;
    StateId open, lock;
    uint64_t offset = 0;
    std::string name;
    std::array<uint8_t, 8> verf{};
    uint64_t cookie = 0, entries = 0;
    std::unique_ptr<Connection> conn;  // connect workload
    std::unique_ptr<Client> own;       // connect workload
  };

 private:
  using StartFn = std::function<bool(Actor&)>;
  // Starts ops on every actor until `seconds` pass (or start returns false,
  // or count ops were started, if count > 0); waits for those in flight.
  bool Run(const StartFn& start, double seconds, uint64_t count, Result* r);
  void Next(Actor& a);
  void Done(Actor& a, uint64_t bytes = 0, uint64_t items = 0);
  void Record(Actor& a, uint64_t bytes, uint64_t items);
  // If the reply failed: records the error, retires the actor, returns false.
  bool Check(Actor& a, CompoundReply& r);
  void Fail(const std::string& e);

  // Blocking helpers on client 0, slot 0 (setup and teardown).
  bool Sync(const std::function<void(CompoundArgs&)>& ops,
            const std::function<void(CompoundReply&)>& read);
  bool EnsureDir(const FileHandle& parent, const std::string& name, FileHandle* out);
  bool Lookup(const FileHandle& parent, const std::string& name, FileHandle* out, bool* found);
  bool GetSize(const FileHandle& fh, uint64_t* size);
  bool RemoveName(const FileHandle& dir, const std::string& name);
  // Creates (or reuses, if it has the size) a file of `size` bytes of the
  // pattern, written with pipelined UNSTABLE writes and a COMMIT.
  bool EnsureDataFile(const std::string& name, uint64_t size, FileHandle* fh);
  // OPEN `name` in dir (creating and truncating it if create) and GETFH into
  // a.open and a.fh, then then().
  void OpenThen(Actor& a, const FileHandle& dir, const std::string& owner, const std::string& name,
                bool create, std::function<void()> then);
  // CLOSE a.open on a.fh, then Done(a, bytes).
  void CloseDone(Actor& a, uint64_t bytes);
  // Creates `count` empty files name_prefix<i> in dir (pipelined).
  bool CreateFiles(const FileHandle& dir, const std::string& prefix, uint64_t count);
  // Removes names from dir (pipelined); timed into r unless it is null.
  bool RemoveFiles(const FileHandle& dir, const std::vector<std::string>& names, Result* r);
  // Ensures dir `name` in the work dir holds `count` files (a marker file
  // `name`.done0 says a previous run finished making it).
  bool EnsurePopulatedDir(const std::string& name, uint64_t count, FileHandle* fh);
  // Opens fh (by name in dir) for every client; stateids per client.
  bool OpenPerClient(const FileHandle& dir, const std::string& name, bool create,
                     std::vector<StateId>* out, std::vector<FileHandle>* fhs = nullptr);
  bool OpenOne(uint32_t ci, const FileHandle& dir, const std::string& name, bool create,
               StateId* st, FileHandle* fh);
  bool ClosePerClient(const std::vector<FileHandle>& fhs, const std::vector<StateId>& st);
  bool CommitFiles(const std::vector<FileHandle>& fhs);
  std::span<const uint8_t> Pattern(uint64_t offset, uint64_t n) const;
  bool VerifyRead(Actor& a, uint64_t offset, std::span<const uint8_t> data, uint64_t want);

  bool SeqWrite(uint32_t stable, Result* r);
  bool SeqRead(Result* r);
  bool RandIo(bool write, Result* r);
  bool SmallCreate(Result* r);
  bool Stat(Result* r);
  bool Remove(Result* r);
  bool Readdir(Result* r);
  bool LockCycle(Result* r);
  bool Connect(Result* r);
  bool Hold(Result* r);

  Options opt_;
  Loop loop_;
  std::vector<std::unique_ptr<Connection>> conns_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<Actor> actors_;
  FileHandle root_, work_;
  std::string run_id_;
  std::string error_;
  std::vector<uint8_t> pattern_;
  std::mt19937_64 rng_;

  // The running Run().
  StartFn start_;
  std::chrono::steady_clock::time_point deadline_;
  uint64_t count_limit_ = 0, started_ = 0;
  uint32_t running_ = 0;
  Result* result_ = nullptr;
};

}  // namespace elfs::bench
