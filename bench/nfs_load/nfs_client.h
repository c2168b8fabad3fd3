// The NFSv4.1 side of the load generator: COMPOUND encoding and reply
// reading (RFC 8881 section 16.2, 18), a simulated client (EXCHANGE_ID,
// CREATE_SESSION, a slot table) and the argument/result codecs of the
// operations the workloads send. Only what a client needs: every result is
// checked strictly, so a server that answers wrong fails the run.
//
// Thread safety: none; one Loop thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "nfs4/nfs4_const.h"
#include "rpc_client.h"
#include "xdr/xdr.h"

namespace elfs::bench {

using nfs4::nfsstat4;

std::string StatusName(uint32_t status);
std::string OpName(uint32_t op);

struct StateId {
  uint32_t seqid = 0;
  std::array<uint8_t, 12> other{};
  void Encode(xdr::XdrEncoder& e) const;
  void Decode(xdr::XdrDecoder& d);
};

using FileHandle = std::vector<uint8_t>;

// Encodes COMPOUND4args op by op; Finish() patches the count.
class CompoundArgs {
 public:
  explicit CompoundArgs(xdr::XdrEncoder& e, uint32_t minorversion = 1);
  xdr::XdrEncoder& Op(uint32_t opnum);
  void Finish();
  xdr::XdrEncoder& enc() { return e_; }

  // Common operations.
  void PutRootFh() { Op(nfs4::OP_PUTROOTFH); }
  void PutFh(const FileHandle& fh) { Op(nfs4::OP_PUTFH).Opaque(fh); }
  void GetFh() { Op(nfs4::OP_GETFH); }
  void Lookup(std::string_view name) { Op(nfs4::OP_LOOKUP).String(name); }
  void Remove(std::string_view name) { Op(nfs4::OP_REMOVE).String(name); }
  void GetAttr(std::span<const uint32_t> bitmap);
  void Commit(uint64_t offset, uint32_t count);
  void Read(const StateId& s, uint64_t offset, uint32_t count);
  // WRITE up to the data's length word; the caller sends the data as the
  // call's payload (it must be the last operation).
  void WriteHead(const StateId& s, uint64_t offset, uint32_t stable, uint32_t count);
  void Close(const StateId& s);
  // OPEN by name in the current directory (CLAIM_NULL). create: UNCHECKED4
  // with mode 0644 (and size 0 if truncate); else OPEN4_NOCREATE.
  void Open(uint64_t clientid, std::string_view owner, std::string_view name, bool create,
            bool truncate, uint32_t access = nfs4::OPEN4_SHARE_ACCESS_BOTH);
  void Mkdir(std::string_view name);
  void Readdir(uint64_t cookie, const std::array<uint8_t, 8>& verf, uint32_t dircount,
               uint32_t maxcount, std::span<const uint32_t> bitmap);
  void LockNew(uint32_t type, uint64_t offset, uint64_t length, const StateId& open,
               uint64_t clientid, std::string_view lock_owner);
  void Unlock(uint32_t type, const StateId& lock, uint64_t offset, uint64_t length);

 private:
  xdr::XdrEncoder& e_;
  size_t count_at_;
  uint32_t n_ = 0;
};

// Reads COMPOUND4res op by op. Any mismatch (wrong op number, short reply)
// makes error() non-empty.
class CompoundReply {
 public:
  explicit CompoundReply(xdr::XdrDecoder d);
  uint32_t status() const { return status_; }
  // Reads the next result's opnum and status; returns the status, or
  // NFS4ERR_SERVERFAULT (with error() set) if the reply does not hold it.
  uint32_t Next(uint32_t opnum);
  // Next(opnum) and fails unless it is NFS4_OK.
  bool Ok(uint32_t opnum);
  xdr::XdrDecoder& dec() { return d_; }
  const std::string& error() const { return error_; }
  void SetError(std::string e) {
    if (error_.empty()) error_ = std::move(e);
  }

  // Result bodies (after Ok()).
  void SkipSequence();
  FileHandle GetFh();
  // fattr4: returns the attribute bytes; bitmap words in *bitmap.
  std::span<const uint8_t> Fattr(std::vector<uint32_t>* bitmap = nullptr);
  StateId Open();  // OPEN4resok: stateid; checks the rest parses
  uint32_t Write(uint32_t* committed);
  std::span<const uint8_t> Read(bool* eof);
  void SkipChangeInfo();
  void SkipBitmap();
  StateId StateIdResult() {
    StateId s;
    s.Decode(d_);
    return s;
  }
  // READDIR4resok: calls entry(cookie, name) for each; returns eof.
  bool Readdir(std::array<uint8_t, 8>* verf,
               const std::function<void(uint64_t, std::string_view)>& entry);

 private:
  xdr::XdrDecoder d_;
  uint32_t status_ = 0;
  uint32_t results_ = 0, seen_ = 0;
  std::string error_;
};

// One simulated NFSv4.1 client: a client ID and a session with `slots`
// slots, on one connection. Each slot is used by one actor at a time.
class Client {
 public:
  Client(Connection* conn, std::string owner) : conn_(conn), owner_(std::move(owner)) {}

  // EXCHANGE_ID, CREATE_SESSION, RECLAIM_COMPLETE, asynchronously; done("")
  // on success, done(error) otherwise. The session gets at most `slots` slots.
  void Mount(uint32_t slots, std::function<void(const std::string&)> done);
  // DESTROY_SESSION, DESTROY_CLIENTID.
  void Unmount(std::function<void(const std::string&)> done);

  // Sends SEQUENCE on `slot` followed by what ops() encodes; done(reply)
  // gets the reply after SEQUENCE was checked (or with error() set).
  // payload: see Connection::Call (for WRITE).
  void Compound(uint32_t slot, const std::function<void(CompoundArgs&)>& ops,
                std::function<void(CompoundReply&)> done, std::span<const uint8_t> payload = {});

  uint64_t clientid() const { return clientid_; }
  uint32_t slots() const { return static_cast<uint32_t>(seq_.size()); }
  const std::string& owner() const { return owner_; }
  Connection* conn() const { return conn_; }

 private:
  Connection* conn_;
  std::string owner_;
  uint64_t clientid_ = 0;
  std::array<uint8_t, 16> sessionid_{};
  std::vector<uint32_t> seq_;
};

// Runs a compound with no SEQUENCE (EXCHANGE_ID, CREATE_SESSION, ...).
void PlainCompound(Connection* conn, const std::function<void(CompoundArgs&)>& ops,
                   std::function<void(CompoundReply&)> done);

}  // namespace elfs::bench
