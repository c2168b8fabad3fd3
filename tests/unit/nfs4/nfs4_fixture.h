// The fixture of the NFSv4 unit tests: an Nfs4Server with a fake clock,
// seeded randomness and a fixed file-handle key, serving two in-memory file
// systems (export 1, the one every connection here is bound to, and export 2,
// used only to obtain handles of "another file system"). COMPOUNDs go
// straight to ProcessCompound with an AUTH_SYS identity chosen per call.
//
// Export 1's backend is wrapped in GatedFileSystem, a pass-through that
// counts WRITEs and can hold them until released, so a request can be kept
// in flight while others arrive (SEQUENCE replay tests).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "authz/client_authorizer.h"
#include "authz/posix.h"
#include "backend/memory/memory_file_system.h"
#include "common/clock.h"
#include "common/random.h"
#include "compound_builder.h"
#include "nfs4/compound.h"
#include "nfs4/server.h"
#include "store/store.h"

namespace elfs::nfs4::test {

class GatedFileSystem final : public vfs::FileSystem {
 public:
  explicit GatedFileSystem(std::shared_ptr<vfs::FileSystem> inner) : inner_(std::move(inner)) {}

  // From now on every Write waits until Release().
  void HoldWrites();
  // True once a Write is waiting (within `timeout`).
  bool WaitForHeldWrite(std::chrono::milliseconds timeout);
  void Release();
  int writes() const;

  Result<vfs::Handle> Root() override { return inner_->Root(); }
  Result<vfs::Attr> GetAttr(const vfs::Handle& h) override { return inner_->GetAttr(h); }
  Result<vfs::Entry> Lookup(const vfs::Handle& d, std::string_view n) override {
    return inner_->Lookup(d, n);
  }
  Result<vfs::Entry> LookupParent(const vfs::Handle& d) override { return inner_->LookupParent(d); }
  Result<vfs::Entry> Create(const vfs::Handle& d, std::string_view n,
                            const vfs::CreateRequest& r) override {
    return inner_->Create(d, n, r);
  }
  Result<vfs::Attr> SetAttr(const vfs::Handle& h, const vfs::SetAttrs& s) override {
    return inner_->SetAttr(h, s);
  }
  Result<vfs::ReadResult> Read(const vfs::Handle& h, uint64_t off,
                               std::span<uint8_t> out) override {
    return inner_->Read(h, off, out);
  }
  Result<vfs::WriteResult> Write(const vfs::Handle& h, uint64_t off, std::span<const uint8_t> data,
                                 vfs::Stability how) override;
  Status Commit(const vfs::Handle& h, uint64_t off, uint64_t count) override {
    return inner_->Commit(h, off, count);
  }
  Status Allocate(const vfs::Handle& h, uint64_t off, uint64_t length) override {
    return inner_->Allocate(h, off, length);
  }
  Result<std::string> ReadLink(const vfs::Handle& h) override { return inner_->ReadLink(h); }
  Status Remove(const vfs::Handle& d, std::string_view n) override { return inner_->Remove(d, n); }
  Status Rename(const vfs::Handle& fd, std::string_view fn, const vfs::Handle& td,
                std::string_view tn) override {
    return inner_->Rename(fd, fn, td, tn);
  }
  Status Link(const vfs::Handle& f, const vfs::Handle& d, std::string_view n) override {
    return inner_->Link(f, d, n);
  }
  Result<bool> ReadDir(const vfs::Handle& d, uint64_t cookie, bool with_attrs,
                       const DirSink& sink) override {
    return inner_->ReadDir(d, cookie, with_attrs, sink);
  }
  Result<vfs::FsStats> StatFs() override { return inner_->StatFs(); }

 private:
  std::shared_ptr<vfs::FileSystem> inner_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool hold_ = false;
  int waiting_ = 0;
  int writes_ = 0;
};

// A 4.1 client with one session; slot_seq[i] is the last sequenceid used on
// slot i.
struct Session41 {
  uint64_t clientid = 0;
  SessionId16 id{};
  std::vector<uint32_t> slot_seq;
};

struct Client40 {
  uint64_t clientid = 0;
};

// The result of a successful OPEN done by a helper.
struct Opened {
  Stateid4 stateid;
  Bytes fh;
  uint32_t status = 0;
  OpenRes res;
};

class Nfs4Test : public ::testing::Test {
 public:
  Nfs4Test();

  static authz::Identity Root() { return {}; }
  static authz::Identity User(uint32_t uid = 1000, uint32_t gid = 1000,
                              std::vector<uint32_t> groups = {}) {
    authz::Identity id;
    id.uid = uid;
    id.gid = gid;
    id.groups = std::move(groups);
    return id;
  }

  // Runs the COMPOUND exactly as built.
  Reply RunRaw(const Compound& c, const authz::Identity& who = Root(),
               const Export* exp = nullptr);
  // Runs COMPOUND4args bytes; header_ok is ProcessCompound's result.
  Bytes RunBytes(std::span<const uint8_t> args, const authz::Identity& who = Root(),
                 bool* header_ok = nullptr, const Export* exp = nullptr);
  // A 4.1 compound runs in the default session, after a SEQUENCE on slot 0;
  // a 4.0 compound runs as built.
  Reply Run(const Compound& c, const authz::Identity& who = Root());
  // `body` after a SEQUENCE with the session's next seqid on `slot`.
  Reply Run41(Session41& s, const Compound& body, const authz::Identity& who = Root(),
              uint32_t slot = 0, bool cachethis = false);
  // SEQUENCE for the next seqid on `slot` (advances the recorded seqid).
  Compound SequenceFor(Session41& s, uint32_t slot = 0, bool cachethis = false);

  // EXCHANGE_ID + CREATE_SESSION and, as RFC 8881 section 18.51.3 asks of
  // a client before its first OPEN, RECLAIM_COMPLETE (asserting success).
  Session41 NewSession(std::string_view owner, const authz::Identity& who = Root(),
                       bool reclaim_complete = true, const ChannelAttrs4& fore = {});
  Session41& session();
  // SETCLIENTID + SETCLIENTID_CONFIRM (asserting success).
  Client40 NewClient40(std::string_view owner, const authz::Identity& who = Root());

  // Objects made directly in export 1's backend. Paths are relative to the
  // root ("a/b"); the parent must exist.
  vfs::Handle MakeDir(std::string_view path, uint32_t mode = 0755, uint32_t uid = 0,
                      uint32_t gid = 0);
  vfs::Handle MakeFile(std::string_view path, std::string_view content = "",
                       uint32_t mode = 0644, uint32_t uid = 0, uint32_t gid = 0);
  vfs::Handle MakeSymlink(std::string_view path, std::string_view target);
  std::optional<vfs::Handle> Resolve(std::string_view path);
  vfs::Attr AttrOf(std::string_view path);
  std::string Content(std::string_view path);

  // 4.1 OPEN of dir/name in the default session: PUTROOTFH, LOOKUPs,
  // OPEN, GETFH. `status` is the OPEN's; the rest is valid when it is OK.
  Opened Open41(std::string_view dir, std::string_view name, uint32_t access,
                uint32_t deny = SHARE_DENY_NONE, std::string owner = "owner",
                bool create = false, const authz::Identity& who = Root());

  // PUTROOTFH + one LOOKUP per component.
  static Compound& PutPath(Compound& c, std::string_view path);
  // The wire handle of a path, obtained with GETFH over NFSv4.0 as root.
  Bytes Fh(std::string_view path, const Export* exp = nullptr);

  // A new server instance (a reboot): same key, backends, options and
  // store (so client records survive), `later` on the clock.
  void Restart(std::chrono::seconds later = std::chrono::seconds(100));

  FakeClock clock_;
  SeededRandom random_{20240601};
  std::array<uint8_t, 32> key_{};
  // Shared by every server instance of a test, as the daemon's SQLite store
  // is across restarts.
  std::unique_ptr<store::Store> store_ = store::NewMemoryStore();
  Nfs4Options options_;
  std::shared_ptr<backend::MemoryFileSystem> mem_, mem2_;
  std::shared_ptr<GatedFileSystem> fs_;
  std::unique_ptr<Nfs4Server> server_;
  const Export* exp_ = nullptr;
  const Export* exp2_ = nullptr;
  std::optional<Session41> default_session_;
  uint32_t next_owner_ = 0;
  // When set, every COMPOUND runs under the client authorization decision
  // it returns, applied as Nfs4Program applies a connection's (looked up per
  // COMPOUND, so a policy change reaches the next request).
  std::function<std::shared_ptr<const authz::ClientDecision>()> client_;
  // The RPC connection requests come on (CompoundState::connection); none
  // unless a test sets one.
  std::shared_ptr<rpc::Connection> connection_;
};

// The OPEN at op index `open_at` of `r`, followed by a GETFH.
Opened OpenedFrom(const Reply& r, size_t open_at);

// Expects a parsed reply whose ops have exactly these statuses.
::testing::AssertionResult Statuses(const Reply& r, std::vector<uint32_t> want);
#define EXPECT_STATUSES(reply, ...) EXPECT_TRUE(Statuses(reply, {__VA_ARGS__}))
#define ASSERT_STATUSES(reply, ...) ASSERT_TRUE(Statuses(reply, {__VA_ARGS__}))

}  // namespace elfs::nfs4::test
