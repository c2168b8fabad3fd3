#include "workloads.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace elfs::bench {

using namespace elfs::nfs4;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint64_t kPatternPeriod = 1 << 20;
constexpr uint32_t kSmallIo = 4096;

// What `stat` asks for: what `ls -l` / the Linux client's GETATTR needs.
constexpr uint32_t kStatAttrs[2] = {
    (1u << FATTR4_TYPE) | (1u << FATTR4_CHANGE) | (1u << FATTR4_SIZE) | (1u << FATTR4_FSID) |
        (1u << FATTR4_FILEID),
    (1u << (FATTR4_MODE - 32)) | (1u << (FATTR4_NUMLINKS - 32)) | (1u << (FATTR4_OWNER - 32)) |
        (1u << (FATTR4_OWNER_GROUP - 32)) | (1u << (FATTR4_SPACE_USED - 32)) |
        (1u << (FATTR4_TIME_ACCESS - 32)) | (1u << (FATTR4_TIME_METADATA - 32)) |
        (1u << (FATTR4_TIME_MODIFY - 32))};
// READDIR as `ls -l` does it (readdirplus): the stat attributes and the handle.
constexpr uint32_t kReaddirAttrs[2] = {kStatAttrs[0] | (1u << FATTR4_RDATTR_ERROR) |
                                           (1u << FATTR4_FILEHANDLE),
                                       kStatAttrs[1]};
constexpr uint32_t kSizeAttr[1] = {1u << FATTR4_SIZE};

// VmRSS of a process in KiB; -1 if it cannot be read.
long ProcessRssKib(int pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  std::fclose(f);
  return kib;
}

// utime + stime of a process, in seconds; -1 if it cannot be read.
double ProcessCpuSeconds(int pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return -1;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  // Fields after the command name, which is in parentheses and may hold spaces.
  const char* p = std::strrchr(buf, ')');
  unsigned long long utime = 0, stime = 0;
  if (!p || std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                        &stime) != 2)
    return -1;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

uint64_t SizeFromFattr(std::span<const uint8_t> v) {
  xdr::XdrDecoder d(v);
  return d.U64();
}

}  // namespace

const std::vector<std::string>& AllWorkloads() {
  static const std::vector<std::string> k = {
      "seqwrite_sync", "seqwrite_unstable", "seqread", "randread", "randwrite", "create",
      "stat", "remove", "readdir", "lock", "connect", "hold"};
  return k;
}

double Result::Percentile(double p) {
  if (lat_ns.empty()) return 0;
  size_t k = static_cast<size_t>(p * (lat_ns.size() - 1) + 0.5);
  std::nth_element(lat_ns.begin(), lat_ns.begin() + k, lat_ns.end());
  return lat_ns[k] / 1000.0;
}

Bench::Bench(Options opt) : opt_(std::move(opt)), rng_(12345) {
  pattern_.resize(2 * kPatternPeriod);
  std::mt19937_64 g(42);
  for (size_t i = 0; i < kPatternPeriod; i += 8) {
    uint64_t v = g();
    std::memcpy(&pattern_[i], &v, 8);
  }
  std::memcpy(&pattern_[kPatternPeriod], &pattern_[0], kPatternPeriod);
  run_id_ = std::to_string(getpid()) + "_" + std::to_string(std::random_device{}() % 100000);
}

Bench::~Bench() = default;

std::span<const uint8_t> Bench::Pattern(uint64_t offset, uint64_t n) const {
  return {pattern_.data() + offset % kPatternPeriod, n};
}

void Bench::Fail(const std::string& e) {
  if (error_.empty()) error_ = e;
}

std::string Bench::Start() {
  if (opt_.io_size == 0 || opt_.io_size > kPatternPeriod || opt_.io_size % kSmallIo)
    return "--io-size must be a multiple of 4096 up to 1 MiB";
  if (opt_.seq_size % opt_.io_size || opt_.rand_size % opt_.io_size || opt_.seq_size == 0 ||
      opt_.rand_size == 0)
    return "--seq-size and --rand-size must be multiples of --io-size";
  for (uint32_t i = 0; i < opt_.conns; ++i) {
    auto c = std::make_unique<Connection>(loop_);
    std::string err = c->Connect(opt_.host, opt_.port);
    if (!err.empty()) return err;
    conns_.push_back(std::move(c));
  }
  uint32_t mounted = 0;
  std::string err;
  for (uint32_t i = 0; i < opt_.clients; ++i) {
    auto cl = std::make_unique<Client>(conns_[i % opt_.conns].get(),
                                       "elfs-nfs-load." + run_id_ + "." + std::to_string(i));
    cl->Mount(opt_.depth, [&](const std::string& e) {
      ++mounted;
      if (!e.empty() && err.empty()) err = "mount: " + e;
    });
    clients_.push_back(std::move(cl));
  }
  if (!loop_.RunUntil([&] { return mounted == opt_.clients; }, 30)) return "mount: timed out";
  if (!err.empty()) return err;
  for (uint32_t c = 0; c < clients_.size(); ++c) {
    uint32_t slots = std::min(opt_.depth, clients_[c]->slots());
    for (uint32_t s = 0; s < slots; ++s) {
      Actor a;
      a.client = clients_[c].get();
      a.slot = s;
      a.cindex = c;
      a.index = static_cast<uint32_t>(actors_.size());
      actors_.push_back(std::move(a));
    }
  }
  // The export's root, then the working directory.
  std::vector<std::string> comps;
  for (size_t i = 0; i < opt_.export_path.size();) {
    size_t j = opt_.export_path.find('/', i);
    if (j == std::string::npos) j = opt_.export_path.size();
    if (j > i) comps.push_back(opt_.export_path.substr(i, j - i));
    i = j + 1;
  }
  bool ok = Sync(
      [&](CompoundArgs& a) {
        a.PutRootFh();
        for (auto& c : comps) a.Lookup(c);
        a.GetFh();
      },
      [&](CompoundReply& r) {
        if (!r.Ok(OP_PUTROOTFH)) return;
        for (size_t i = 0; i < comps.size(); ++i)
          if (!r.Ok(OP_LOOKUP)) return;
        if (r.Ok(OP_GETFH)) root_ = r.GetFh();
      });
  if (!ok) return "export root " + opt_.export_path + ": " + error_;
  if (!EnsureDir(root_, opt_.dir, &work_)) return "working directory: " + error_;
  return {};
}

void Bench::Stop() {
  uint32_t left = static_cast<uint32_t>(clients_.size());
  for (auto& c : clients_)
    c->Unmount([&](const std::string& e) {
      --left;
      if (!e.empty()) Fail("unmount: " + e);
    });
  loop_.RunUntil([&] { return left == 0; }, 10);
  for (auto& c : conns_) c->Close();
}

// --- the runner ---

bool Bench::Run(const StartFn& start, double seconds, uint64_t count, Result* r) {
  start_ = start;
  deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(seconds));
  count_limit_ = count;
  started_ = 0;
  result_ = r;
  running_ = static_cast<uint32_t>(actors_.size());
  const double cpu0 = r && opt_.server_pid ? ProcessCpuSeconds(opt_.server_pid) : -1;
  auto t0 = Clock::now();
  for (auto& a : actors_) Next(a);
  bool finished = loop_.RunUntil([&] { return running_ == 0; }, seconds + 120);
  if (r) r->seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (cpu0 >= 0) {
    double cpu1 = ProcessCpuSeconds(opt_.server_pid);
    if (cpu1 >= 0) r->server_cpu_s = cpu1 - cpu0;
  }
  start_ = nullptr;
  result_ = nullptr;
  if (!finished) Fail("operations did not finish (server stopped answering?)");
  return error_.empty();
}

void Bench::Next(Actor& a) {
  if (!error_.empty() || Clock::now() >= deadline_ ||
      (count_limit_ > 0 && started_ >= count_limit_)) {
    --running_;
    return;
  }
  a.t0 = Clock::now();
  ++started_;
  if (!start_(a)) {
    --running_;
    return;
  }
  ++a.n;
}

void Bench::Record(Actor& a, uint64_t bytes, uint64_t items) {
  if (!result_) return;
  ++result_->ops;
  result_->bytes += bytes;
  result_->items += items;
  result_->lat_ns.push_back(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - a.t0).count()));
}

void Bench::Done(Actor& a, uint64_t bytes, uint64_t items) {
  Record(a, bytes, items);
  Next(a);
}

bool Bench::Check(Actor& a, CompoundReply& r) {
  if (r.error().empty()) return true;
  Fail(r.error());
  --running_;
  return false;
}

bool Bench::Sync(const std::function<void(CompoundArgs&)>& ops,
                 const std::function<void(CompoundReply&)>& read) {
  bool done = false;
  std::string err;
  clients_[0]->Compound(0, ops, [&](CompoundReply& r) {
    if (r.error().empty()) read(r);
    err = r.error();
    done = true;
  });
  if (!loop_.RunUntil([&] { return done; }, 60)) err = "no reply in 60 s";
  if (!err.empty()) Fail(err);
  return err.empty();
}

bool Bench::Lookup(const FileHandle& parent, const std::string& name, FileHandle* out,
                   bool* found) {
  *found = false;
  return Sync(
      [&](CompoundArgs& a) {
        a.PutFh(parent);
        a.Lookup(name);
        a.GetFh();
      },
      [&](CompoundReply& r) {
        if (!r.Ok(OP_PUTFH)) return;
        uint32_t st = r.Next(OP_LOOKUP);
        if (st == NFS4ERR_NOENT) return;
        if (st != NFS4_OK) return r.SetError("LOOKUP " + name + ": " + StatusName(st));
        if (r.Ok(OP_GETFH)) {
          *out = r.GetFh();
          *found = true;
        }
      });
}

bool Bench::EnsureDir(const FileHandle& parent, const std::string& name, FileHandle* out) {
  bool found = false;
  if (!Lookup(parent, name, out, &found)) return false;
  if (found) return true;
  return Sync(
      [&](CompoundArgs& a) {
        a.PutFh(parent);
        a.Mkdir(name);
        a.GetFh();
      },
      [&](CompoundReply& r) {
        if (!r.Ok(OP_PUTFH) || !r.Ok(OP_CREATE)) return;
        r.SkipChangeInfo();
        r.SkipBitmap();  // attrset
        if (r.Ok(OP_GETFH)) *out = r.GetFh();
      });
}

bool Bench::GetSize(const FileHandle& fh, uint64_t* size) {
  return Sync(
      [&](CompoundArgs& a) {
        a.PutFh(fh);
        a.GetAttr(kSizeAttr);
      },
      [&](CompoundReply& r) {
        if (r.Ok(OP_PUTFH) && r.Ok(OP_GETATTR)) *size = SizeFromFattr(r.Fattr());
      });
}

bool Bench::RemoveName(const FileHandle& dir, const std::string& name) {
  return Sync(
      [&](CompoundArgs& a) {
        a.PutFh(dir);
        a.Remove(name);
      },
      [&](CompoundReply& r) {
        if (r.Ok(OP_PUTFH)) r.Ok(OP_REMOVE);
      });
}

bool Bench::OpenPerClient(const FileHandle& dir, const std::string& name, bool create,
                          std::vector<StateId>* out, std::vector<FileHandle>* fhs) {
  out->assign(clients_.size(), {});
  if (fhs) fhs->assign(clients_.size(), {});
  uint32_t left = static_cast<uint32_t>(clients_.size());
  for (uint32_t i = 0; i < clients_.size(); ++i) {
    Client* c = clients_[i].get();
    c->Compound(
        0,
        [&](CompoundArgs& a) {
          a.PutFh(dir);
          a.Open(c->clientid(), "oo.setup", name, create, create);
          a.GetFh();
        },
        [this, i, out, fhs, &left, name](CompoundReply& r) {
          --left;
          if (r.Ok(OP_PUTFH) && r.Ok(OP_OPEN)) {
            (*out)[i] = r.Open();
            if (r.Ok(OP_GETFH) && fhs) (*fhs)[i] = r.GetFh();
          }
          if (!r.error().empty()) Fail("open " + name + ": " + r.error());
        });
  }
  loop_.RunUntil([&] { return left == 0; }, 60);
  return error_.empty() && left == 0;
}

bool Bench::OpenOne(uint32_t ci, const FileHandle& dir, const std::string& name, bool create,
                    StateId* st, FileHandle* fh) {
  bool done = false;
  Client* c = clients_[ci].get();
  c->Compound(
      0,
      [&](CompoundArgs& a) {
        a.PutFh(dir);
        a.Open(c->clientid(), "oo.setup", name, create, create);
        a.GetFh();
      },
      [&](CompoundReply& r) {
        if (r.Ok(OP_PUTFH) && r.Ok(OP_OPEN)) {
          *st = r.Open();
          if (r.Ok(OP_GETFH)) *fh = r.GetFh();
        }
        if (!r.error().empty()) Fail("open " + name + ": " + r.error());
        done = true;
      });
  if (!loop_.RunUntil([&] { return done; }, 60)) Fail("open " + name + ": no reply");
  return error_.empty();
}

bool Bench::ClosePerClient(const std::vector<FileHandle>& fhs, const std::vector<StateId>& st) {
  uint32_t left = static_cast<uint32_t>(clients_.size());
  for (uint32_t i = 0; i < clients_.size(); ++i) {
    clients_[i]->Compound(
        0,
        [&](CompoundArgs& a) {
          a.PutFh(fhs[i]);
          a.Close(st[i]);
        },
        [this, &left](CompoundReply& r) {
          --left;
          if (r.Ok(OP_PUTFH)) r.Ok(OP_CLOSE);
          if (!r.error().empty()) Fail("close: " + r.error());
        });
  }
  loop_.RunUntil([&] { return left == 0; }, 60);
  return error_.empty() && left == 0;
}

bool Bench::CommitFiles(const std::vector<FileHandle>& fhs) {
  uint32_t left = static_cast<uint32_t>(fhs.size());
  for (uint32_t i = 0; i < fhs.size(); ++i) {
    clients_[i % clients_.size()]->Compound(
        0,
        [&](CompoundArgs& a) {
          a.PutFh(fhs[i]);
          a.Commit(0, 0);
        },
        [this, &left](CompoundReply& r) {
          --left;
          if (r.Ok(OP_PUTFH)) r.Ok(OP_COMMIT);
          if (!r.error().empty()) Fail("commit: " + r.error());
        });
  }
  loop_.RunUntil([&] { return left == 0; }, 120);
  return error_.empty() && left == 0;
}

bool Bench::VerifyRead(Actor& a, uint64_t offset, std::span<const uint8_t> data, uint64_t want) {
  if (data.size() != want) {
    Fail("READ at " + std::to_string(offset) + " returned " + std::to_string(data.size()) +
         " bytes, expected " + std::to_string(want));
    return false;
  }
  if (opt_.verify_all || a.n % 16 == 0) {
    if (std::memcmp(data.data(), Pattern(offset, want).data(), want) != 0) {
      Fail("READ at " + std::to_string(offset) + " returned other bytes than were written");
      return false;
    }
  }
  return true;
}

bool Bench::EnsureDataFile(const std::string& name, uint64_t size, FileHandle* fh) {
  bool found = false;
  uint64_t have = 0;
  if (!Lookup(work_, name, fh, &found)) return false;
  if (found && !GetSize(*fh, &have)) return false;
  if (found && have == size) return true;
  std::vector<StateId> st;
  std::vector<FileHandle> fhs;
  if (!OpenPerClient(work_, name, true, &st, &fhs)) return false;
  *fh = fhs[0];
  uint64_t next = 0;
  const uint64_t io = opt_.io_size;
  bool ok = Run(
      [&](Actor& a) {
        if (next >= size) return false;
        uint64_t off = next;
        next += io;
        a.client->Compound(
            a.slot,
            [&](CompoundArgs& c) {
              c.PutFh(fhs[a.cindex]);
              c.WriteHead(st[a.cindex], off, UNSTABLE4, static_cast<uint32_t>(io));
            },
            [this, &a, io](CompoundReply& r) {
              if (r.Ok(OP_PUTFH) && r.Ok(OP_WRITE) && r.Write(nullptr) != io)
                r.SetError("short WRITE");
              if (Check(a, r)) Done(a);
            },
            Pattern(off, io));
        return true;
      },
      1e9, 0, nullptr);
  return ok && CommitFiles({*fh}) && ClosePerClient(fhs, st);
}


bool Bench::CreateFiles(const FileHandle& dir, const std::string& prefix, uint64_t count) {
  uint64_t next = 0;
  return Run(
      [&, this](Actor& a) {
        if (next >= count) return false;
        OpenThen(a, dir, "oo." + std::to_string(a.slot), prefix + std::to_string(next++), true,
                 [this, &a] { CloseDone(a, 0); });
        return true;
      },
      1e9, 0, nullptr);
}

void Bench::OpenThen(Actor& a, const FileHandle& dir, const std::string& owner,
                     const std::string& name, bool create, std::function<void()> then) {
  a.client->Compound(
      a.slot,
      [&](CompoundArgs& c) {
        c.PutFh(dir);
        c.Open(a.client->clientid(), owner, name, create, create);
        c.GetFh();
      },
      [this, &a, then = std::move(then)](CompoundReply& r) {
        if (r.Ok(OP_PUTFH) && r.Ok(OP_OPEN)) {
          a.open = r.Open();
          if (r.Ok(OP_GETFH)) a.fh = r.GetFh();
        }
        if (Check(a, r)) then();
      });
}

void Bench::CloseDone(Actor& a, uint64_t bytes) {
  a.client->Compound(
      a.slot,
      [&](CompoundArgs& c) {
        c.PutFh(a.fh);
        c.Close(a.open);
      },
      [this, &a, bytes](CompoundReply& r) {
        if (r.Ok(OP_PUTFH)) r.Ok(OP_CLOSE);
        if (Check(a, r)) Done(a, bytes);
      });
}

bool Bench::RemoveFiles(const FileHandle& dir, const std::vector<std::string>& names,
                        Result* r) {
  size_t next = 0;
  return Run(
      [&, this](Actor& a) {
        if (next >= names.size()) return false;
        const std::string& name = names[next++];
        a.client->Compound(
            a.slot,
            [&](CompoundArgs& c) {
              c.PutFh(dir);
              c.Remove(name);
            },
            [this, &a](CompoundReply& r) {
              if (r.Ok(OP_PUTFH)) r.Ok(OP_REMOVE);
              if (Check(a, r)) Done(a);
            });
        return true;
      },
      1e9, 0, r);
}

bool Bench::EnsurePopulatedDir(const std::string& name, uint64_t count, FileHandle* fh) {
  // The marker is made by CreateFiles(work_, name + ".done", 1): "<name>.done0".
  FileHandle marker;
  bool done = false;
  if (!Lookup(work_, name + ".done0", &marker, &done)) return false;
  if (!EnsureDir(work_, name, fh)) return false;
  if (done) return true;
  std::fprintf(stderr, "nfs_load: making %s with %llu files (once)\n", name.c_str(),
               static_cast<unsigned long long>(count));
  if (!CreateFiles(*fh, "f", count)) return false;
  return CreateFiles(work_, name + ".done", 1);
}

// --- workloads ---

bool Bench::SeqWrite(uint32_t stable, Result* r) {
  const std::string name = "seqwrite." + run_id_;
  // One file per client, opened by that client.
  std::vector<StateId> st(clients_.size());
  std::vector<FileHandle> fhs(clients_.size());
  for (uint32_t i = 0; i < clients_.size(); ++i)
    if (!OpenOne(i, work_, name + "." + std::to_string(i), true, &st[i], &fhs[i])) return false;

  std::vector<uint64_t> next(clients_.size(), 0), since_commit(clients_.size(), 0);
  const uint64_t io = opt_.io_size;
  bool ok = Run(
      [&, this](Actor& a) {
        uint32_t ci = a.cindex;
        uint64_t off = next[ci];
        next[ci] = (off + io) % opt_.seq_size;
        a.offset = off;
        a.client->Compound(
            a.slot,
            [&](CompoundArgs& c) {
              c.PutFh(fhs[ci]);
              c.WriteHead(st[ci], off, stable, static_cast<uint32_t>(io));
            },
            [this, &a, io, ci, stable, &fhs, &since_commit](CompoundReply& r) {
              uint32_t committed = 0;
              if (r.Ok(OP_PUTFH) && r.Ok(OP_WRITE)) {
                if (r.Write(&committed) != io) r.SetError("short WRITE");
                else if (committed < stable) r.SetError("WRITE committed less than asked");
              }
              if (!Check(a, r)) return;
              since_commit[ci] += io;
              if (stable == UNSTABLE4 && since_commit[ci] >= opt_.commit_every) {
                since_commit[ci] = 0;
                a.client->Compound(
                    a.slot,
                    [&](CompoundArgs& c) {
                      c.PutFh(fhs[ci]);
                      c.Commit(0, 0);
                    },
                    [this, &a, io](CompoundReply& r) {
                      if (r.Ok(OP_PUTFH)) r.Ok(OP_COMMIT);
                      if (Check(a, r)) Done(a, io);
                    });
                return;
              }
              Done(a, io);
            },
            Pattern(off, io));
        return true;
      },
      opt_.seconds, 0, r);
  if (!ok) return false;
  if (stable == UNSTABLE4) {
    // The data is not safe until committed: the final COMMIT is part of the time.
    auto t0 = Clock::now();
    if (!CommitFiles(fhs)) return false;
    r->seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  if (!ClosePerClient(fhs, st)) return false;
  for (uint32_t i = 0; i < clients_.size(); ++i)
    if (!RemoveName(work_, name + "." + std::to_string(i))) return false;
  return true;
}

bool Bench::SeqRead(Result* r) {
  // One file per client, made once and kept (the server's page cache holds
  // it, as it would a hot data set).
  std::vector<FileHandle> fhs(clients_.size());
  std::vector<StateId> st(clients_.size());
  for (uint32_t i = 0; i < clients_.size(); ++i) {
    std::string name = "seqread." + std::to_string(opt_.seq_size) + "." + std::to_string(i);
    if (!EnsureDataFile(name, opt_.seq_size, &fhs[i])) return false;
    if (!OpenOne(i, work_, name, false, &st[i], &fhs[i])) return false;
  }
  std::vector<uint64_t> next(clients_.size(), 0);
  const uint64_t io = opt_.io_size;
  bool ok = Run(
      [&, this](Actor& a) {
        uint32_t ci = a.cindex;
        uint64_t off = next[ci];
        next[ci] = (off + io) % opt_.seq_size;
        a.client->Compound(
            a.slot,
            [&](CompoundArgs& c) {
              c.PutFh(fhs[ci]);
              c.Read(st[ci], off, static_cast<uint32_t>(io));
            },
            [this, &a, io, off](CompoundReply& r) {
              if (r.Ok(OP_PUTFH) && r.Ok(OP_READ)) {
                bool eof = false;
                auto data = r.Read(&eof);
                if (r.error().empty() && !VerifyRead(a, off, data, io)) return (void)--running_;
              }
              if (Check(a, r)) Done(a, io);
            });
        return true;
      },
      opt_.seconds, 0, r);
  return ok && ClosePerClient(fhs, st);
}

bool Bench::RandIo(bool write, Result* r) {
  const std::string name = "rand." + std::to_string(opt_.rand_size);
  FileHandle fh;
  if (!EnsureDataFile(name, opt_.rand_size, &fh)) return false;
  std::vector<StateId> st;
  std::vector<FileHandle> fhs;
  if (!OpenPerClient(work_, name, false, &st, &fhs)) return false;
  const uint64_t blocks = opt_.rand_size / kSmallIo;
  bool ok = Run(
      [&, this](Actor& a) {
        uint32_t ci = a.cindex;
        uint64_t off = (rng_() % blocks) * kSmallIo;
        if (write) {
          a.client->Compound(
              a.slot,
              [&](CompoundArgs& c) {
                c.PutFh(fhs[ci]);
                c.WriteHead(st[ci], off, UNSTABLE4, kSmallIo);
              },
              [this, &a](CompoundReply& r) {
                if (r.Ok(OP_PUTFH) && r.Ok(OP_WRITE) && r.Write(nullptr) != kSmallIo)
                  r.SetError("short WRITE");
                if (Check(a, r)) Done(a, kSmallIo);
              },
              Pattern(off, kSmallIo));
        } else {
          a.client->Compound(
              a.slot,
              [&](CompoundArgs& c) {
                c.PutFh(fhs[ci]);
                c.Read(st[ci], off, kSmallIo);
              },
              [this, &a, off](CompoundReply& r) {
                if (r.Ok(OP_PUTFH) && r.Ok(OP_READ)) {
                  bool eof = false;
                  auto data = r.Read(&eof);
                  if (r.error().empty() && !VerifyRead(a, off, data, kSmallIo))
                    return (void)--running_;
                }
                if (Check(a, r)) Done(a, kSmallIo);
              });
        }
        return true;
      },
      opt_.seconds, 0, r);
  if (!ok) return false;
  if (write) {
    auto t0 = Clock::now();
    if (!CommitFiles({fh})) return false;
    r->seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  return ClosePerClient(fhs, st);
}

bool Bench::SmallCreate(Result* r) {
  FileHandle dir;
  const std::string dname = "create." + run_id_;
  if (!EnsureDir(work_, dname, &dir)) return false;
  std::vector<std::string> made;
  bool ok = Run(
      [&, this](Actor& a) {
        a.name = "f" + std::to_string(a.index) + "_" + std::to_string(a.n);
        made.push_back(a.name);
        OpenThen(a, dir, "oo." + std::to_string(a.slot), a.name, true, [this, &a] {
          a.client->Compound(
              a.slot,
              [&](CompoundArgs& c) {
                c.PutFh(a.fh);
                c.WriteHead(a.open, 0, FILE_SYNC4, kSmallIo);
              },
              [this, &a](CompoundReply& r) {
                uint32_t committed = 0;
                if (r.Ok(OP_PUTFH) && r.Ok(OP_WRITE) &&
                    (r.Write(&committed) != kSmallIo || committed != FILE_SYNC4))
                  r.SetError("WRITE of a new file: short or not FILE_SYNC");
                if (Check(a, r)) CloseDone(a, kSmallIo);
              },
              Pattern(0, kSmallIo));
        });
        return true;
      },
      opt_.seconds, 0, r);
  if (!ok) return false;
  // Check one file's size, then clean up (not timed).
  if (!made.empty()) {
    FileHandle f;
    bool found = false;
    uint64_t size = 0;
    if (!Lookup(dir, made[0], &f, &found) || !found || !GetSize(f, &size) || size != kSmallIo) {
      Fail("create: " + made[0] + " is missing or has the wrong size");
      return false;
    }
  }
  return RemoveFiles(dir, made, nullptr) && RemoveName(work_, dname);
}

bool Bench::Stat(Result* r) {
  FileHandle dir;
  const std::string dname = "stat." + std::to_string(opt_.stat_files);
  if (!EnsurePopulatedDir(dname, opt_.stat_files, &dir)) return false;
  return Run(
      [&, this](Actor& a) {
        std::string name = "f" + std::to_string(rng_() % opt_.stat_files);
        a.client->Compound(
            a.slot,
            [&](CompoundArgs& c) {
              c.PutFh(dir);
              c.Lookup(name);
              c.GetFh();
              c.GetAttr(kStatAttrs);
            },
            [this, &a](CompoundReply& r) {
              if (r.Ok(OP_PUTFH) && r.Ok(OP_LOOKUP) && r.Ok(OP_GETFH)) {
                r.GetFh();
                if (r.Ok(OP_GETATTR)) {
                  std::vector<uint32_t> bm;
                  r.Fattr(&bm);
                  if (bm.empty() || !(bm[0] & (1u << FATTR4_SIZE)))
                    r.SetError("GETATTR did not return the size");
                }
              }
              if (Check(a, r)) Done(a);
            });
        return true;
      },
      opt_.seconds, 0, r);
}

bool Bench::Remove(Result* r) {
  FileHandle dir;
  const std::string dname = "remove." + run_id_;
  if (!EnsureDir(work_, dname, &dir)) return false;
  if (!CreateFiles(dir, "f", opt_.remove_files)) return false;
  std::vector<std::string> names;
  for (uint32_t i = 0; i < opt_.remove_files; ++i) names.push_back("f" + std::to_string(i));
  bool ok = RemoveFiles(dir, names, r);
  // The directory must be empty now: removing it proves every REMOVE worked.
  return ok && RemoveName(work_, dname);
}

bool Bench::Readdir(Result* r) {
  FileHandle dir;
  const std::string dname = "readdir." + std::to_string(opt_.readdir_entries);
  if (!EnsurePopulatedDir(dname, opt_.readdir_entries, &dir)) return false;
  // One listing per client at a time (a listing is many READDIRs in a row).
  std::function<void(Actor&)> step = [&, this](Actor& a) {
    a.client->Compound(
        a.slot,
        [&](CompoundArgs& c) {
          c.PutFh(dir);
          c.Readdir(a.cookie, a.verf, opt_.readdir_maxcount, opt_.readdir_maxcount,
                    kReaddirAttrs);
        },
        [this, &a, &step](CompoundReply& r) {
          bool eof = false;
          if (r.Ok(OP_PUTFH) && r.Ok(OP_READDIR)) {
            uint64_t got = 0;
            eof = r.Readdir(&a.verf, [&](uint64_t cookie, std::string_view) {
              a.cookie = cookie;
              ++got;
            });
            if (r.error().empty() && got == 0 && !eof) r.SetError("READDIR: no entries, no eof");
            a.entries += got;
          }
          if (!Check(a, r)) return;
          if (!eof) return step(a);
          if (a.entries != opt_.readdir_entries) {
            Fail("READDIR listed " + std::to_string(a.entries) + " entries, expected " +
                 std::to_string(opt_.readdir_entries));
            --running_;
            return;
          }
          Done(a, 0, a.entries);
        });
  };
  return Run(
      [&, this](Actor& a) {
        if (a.slot != 0) return false;
        a.cookie = 0;
        a.entries = 0;
        a.verf = {};
        step(a);
        return true;
      },
      opt_.seconds, 0, r);
}

bool Bench::LockCycle(Result* r) {
  FileHandle dir;
  const std::string dname = "lock";
  if (!EnsureDir(work_, dname, &dir)) return false;
  // One file per actor, so cycles never contend.
  {
    FileHandle f;
    bool found = false;
    std::string last = "l" + std::to_string(actors_.size() - 1);
    if (!Lookup(dir, last, &f, &found)) return false;
    if (!found && !CreateFiles(dir, "l", actors_.size())) return false;
  }
  return Run(
      [&, this](Actor& a) {
        OpenThen(a, dir, "oo.lock." + std::to_string(a.index), "l" + std::to_string(a.index),
                 false, [this, &a] {
          a.client->Compound(
              a.slot,
              [&](CompoundArgs& c) {
                c.PutFh(a.fh);
                c.LockNew(WRITE_LT, 0, 4096, a.open, a.client->clientid(),
                          "lo." + std::to_string(a.index) + "." + std::to_string(a.n));
              },
              [this, &a](CompoundReply& r) {
                if (r.Ok(OP_PUTFH) && r.Ok(OP_LOCK)) a.lock = r.StateIdResult();
                if (!Check(a, r)) return;
                a.client->Compound(
                    a.slot,
                    [&](CompoundArgs& c) {
                      c.PutFh(a.fh);
                      c.Unlock(WRITE_LT, a.lock, 0, 4096);
                    },
                    [this, &a](CompoundReply& r) {
                      if (r.Ok(OP_PUTFH) && r.Ok(OP_LOCKU)) r.StateIdResult();
                      if (Check(a, r)) CloseDone(a, 0);
                    });
              });
        });
        return true;
      },
      opt_.seconds, 0, r);
}

bool Bench::Connect(Result* r) {
  // Each actor of slot 0 (one per simulated client) mounts and unmounts in a
  // loop on connections of its own: TCP connect, NULL, EXCHANGE_ID,
  // CREATE_SESSION, RECLAIM_COMPLETE (timed), then DESTROY_SESSION,
  // DESTROY_CLIENTID, close (not timed).
  std::vector<std::unique_ptr<Connection>> closed;
  return Run(
      [&, this](Actor& a) {
        if (a.slot != 0) return false;
        if (a.conn) closed.push_back(std::move(a.conn));
        a.conn = std::make_unique<Connection>(loop_);
        std::string err = a.conn->Connect(opt_.host, opt_.port);
        if (!err.empty()) {
          Fail(err);
          return false;
        }
        a.conn->Call(kNfsProgram, kNfsVersion, 0, nullptr, [this, &a](RpcReply& rr) {
          if (!rr.ok) {
            Fail("NULL: " + rr.error);
            --running_;
            return;
          }
          a.own = std::make_unique<Client>(
              a.conn.get(), "elfs-nfs-load.connect." + run_id_ + "." + std::to_string(a.index) +
                                "." + std::to_string(a.n));
          a.own->Mount(1, [this, &a](const std::string& e) {
            if (!e.empty()) {
              Fail("mount: " + e);
              --running_;
              return;
            }
            Record(a, 0, 0);
            a.own->Unmount([this, &a](const std::string& e) {
              if (!e.empty()) {
                Fail("unmount: " + e);
                --running_;
                return;
              }
              a.conn->Close();
              Next(a);
            });
          });
        });
        return true;
      },
      opt_.seconds, 0, r);
}

bool Bench::Hold(Result* r) {
  // --hold-conns connections, each with a mounted client (one slot), all
  // open at once and idle; the server's RSS before and after, per connection.
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  const long rss0 = opt_.server_pid ? ProcessRssKib(opt_.server_pid) : -1;
  std::vector<std::unique_ptr<Connection>> conns;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<Clock::time_point> t0;
  uint32_t mounted = 0;
  auto start = Clock::now();
  for (uint32_t i = 0; i < opt_.hold_conns; ++i) {
    conns.push_back(std::make_unique<Connection>(loop_));
    std::string err = conns.back()->Connect(opt_.host, opt_.port);
    if (!err.empty()) {
      Fail("hold: connection " + std::to_string(i) + ": " + err);
      break;
    }
    clients.push_back(std::make_unique<Client>(
        conns.back().get(), "elfs-nfs-load.hold." + run_id_ + "." + std::to_string(i)));
    t0.push_back(Clock::now());
    clients.back()->Mount(1, [this, i, r, &mounted, &t0](const std::string& e) {
      ++mounted;
      if (!e.empty()) return Fail("hold: mount " + std::to_string(i) + ": " + e);
      ++r->ops;
      r->lat_ns.push_back(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0[i]).count()));
    });
  }
  loop_.RunUntil([&] { return mounted == clients.size(); }, 60);
  r->seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (error_.empty() && rss0 >= 0) {
    // Let the server settle (buffers of the mount calls given back).
    loop_.RunUntil([] { return false; }, 1.0);
    long rss1 = ProcessRssKib(opt_.server_pid);
    if (rss1 >= 0) r->server_kib_per_conn = double(rss1 - rss0) / double(clients.size());
  }
  uint32_t left = static_cast<uint32_t>(clients.size());
  for (auto& c : clients)
    c->Unmount([&](const std::string& e) {
      --left;
      if (!e.empty()) Fail("hold: unmount: " + e);
    });
  loop_.RunUntil([&] { return left == 0; }, 60);
  for (auto& c : conns) c->Close();
  return error_.empty();
}

bool Bench::RunWorkload(const std::string& name, Result* r) {
  r->workload = name;
  bool ok = false;
  if (name == "seqwrite_sync") ok = SeqWrite(FILE_SYNC4, r);
  else if (name == "seqwrite_unstable") ok = SeqWrite(UNSTABLE4, r);
  else if (name == "seqread") ok = SeqRead(r);
  else if (name == "randread") ok = RandIo(false, r);
  else if (name == "randwrite") ok = RandIo(true, r);
  else if (name == "create") ok = SmallCreate(r);
  else if (name == "stat") ok = Stat(r);
  else if (name == "remove") ok = Remove(r);
  else if (name == "readdir") ok = Readdir(r);
  else if (name == "lock") ok = LockCycle(r);
  else if (name == "connect") ok = Connect(r);
  else if (name == "hold") ok = Hold(r);
  else Fail("unknown workload " + name);
  if (ok && r->ops == 0) Fail(name + ": no operation completed");
  return ok && error_.empty();
}

}  // namespace elfs::bench
