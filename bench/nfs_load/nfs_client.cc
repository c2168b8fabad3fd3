#include "nfs_client.h"

#include <cstring>
#include <memory>

namespace elfs::bench {

using namespace elfs::nfs4;

namespace {
constexpr uint32_t kNfsProcCompound = 1;
}

std::string StatusName(uint32_t s) {
  switch (s) {
    case NFS4_OK: return "NFS4_OK";
    case NFS4ERR_PERM: return "NFS4ERR_PERM";
    case NFS4ERR_NOENT: return "NFS4ERR_NOENT";
    case NFS4ERR_IO: return "NFS4ERR_IO";
    case NFS4ERR_ACCESS: return "NFS4ERR_ACCESS";
    case NFS4ERR_EXIST: return "NFS4ERR_EXIST";
    case NFS4ERR_NOTDIR: return "NFS4ERR_NOTDIR";
    case NFS4ERR_ISDIR: return "NFS4ERR_ISDIR";
    case NFS4ERR_INVAL: return "NFS4ERR_INVAL";
    case NFS4ERR_NOSPC: return "NFS4ERR_NOSPC";
    case NFS4ERR_ROFS: return "NFS4ERR_ROFS";
    case NFS4ERR_NOTEMPTY: return "NFS4ERR_NOTEMPTY";
    case NFS4ERR_STALE: return "NFS4ERR_STALE";
    case NFS4ERR_BADHANDLE: return "NFS4ERR_BADHANDLE";
    case NFS4ERR_NOTSUPP: return "NFS4ERR_NOTSUPP";
    case NFS4ERR_SERVERFAULT: return "NFS4ERR_SERVERFAULT";
    case NFS4ERR_DELAY: return "NFS4ERR_DELAY";
    case NFS4ERR_DENIED: return "NFS4ERR_DENIED";
    case NFS4ERR_GRACE: return "NFS4ERR_GRACE";
    case NFS4ERR_RESOURCE: return "NFS4ERR_RESOURCE";
    case NFS4ERR_BAD_STATEID: return "NFS4ERR_BAD_STATEID";
    case NFS4ERR_BAD_SEQID: return "NFS4ERR_BAD_SEQID";
    case NFS4ERR_BADXDR: return "NFS4ERR_BADXDR";
    case NFS4ERR_LOCKS_HELD: return "NFS4ERR_LOCKS_HELD";
    case NFS4ERR_OPENMODE: return "NFS4ERR_OPENMODE";
    case NFS4ERR_BADSESSION: return "NFS4ERR_BADSESSION";
    case NFS4ERR_BADSLOT: return "NFS4ERR_BADSLOT";
    case NFS4ERR_SEQ_MISORDERED: return "NFS4ERR_SEQ_MISORDERED";
    case NFS4ERR_REQ_TOO_BIG: return "NFS4ERR_REQ_TOO_BIG";
    case NFS4ERR_REP_TOO_BIG: return "NFS4ERR_REP_TOO_BIG";
    case NFS4ERR_OP_NOT_IN_SESSION: return "NFS4ERR_OP_NOT_IN_SESSION";
    case NFS4ERR_CLID_INUSE: return "NFS4ERR_CLID_INUSE";
    case NFS4ERR_STALE_CLIENTID: return "NFS4ERR_STALE_CLIENTID";
    case NFS4ERR_WRONGSEC: return "NFS4ERR_WRONGSEC";
    default: return "nfsstat4 " + std::to_string(s);
  }
}

std::string OpName(uint32_t op) {
  switch (op) {
    case OP_ACCESS: return "ACCESS";
    case OP_CLOSE: return "CLOSE";
    case OP_COMMIT: return "COMMIT";
    case OP_CREATE: return "CREATE";
    case OP_GETATTR: return "GETATTR";
    case OP_GETFH: return "GETFH";
    case OP_LOCK: return "LOCK";
    case OP_LOCKU: return "LOCKU";
    case OP_LOOKUP: return "LOOKUP";
    case OP_OPEN: return "OPEN";
    case OP_PUTFH: return "PUTFH";
    case OP_PUTROOTFH: return "PUTROOTFH";
    case OP_READ: return "READ";
    case OP_READDIR: return "READDIR";
    case OP_REMOVE: return "REMOVE";
    case OP_WRITE: return "WRITE";
    case OP_EXCHANGE_ID: return "EXCHANGE_ID";
    case OP_CREATE_SESSION: return "CREATE_SESSION";
    case OP_DESTROY_SESSION: return "DESTROY_SESSION";
    case OP_DESTROY_CLIENTID: return "DESTROY_CLIENTID";
    case OP_SEQUENCE: return "SEQUENCE";
    case OP_RECLAIM_COMPLETE: return "RECLAIM_COMPLETE";
    default: return "op " + std::to_string(op);
  }
}

void StateId::Encode(xdr::XdrEncoder& e) const {
  e.U32(seqid);
  e.FixedOpaque(other);
}

void StateId::Decode(xdr::XdrDecoder& d) {
  seqid = d.U32();
  auto o = d.FixedOpaque(12);
  if (d.ok()) std::memcpy(other.data(), o.data(), 12);
}

// --- CompoundArgs ---

CompoundArgs::CompoundArgs(xdr::XdrEncoder& e, uint32_t minorversion) : e_(e) {
  e_.String("");  // tag
  e_.U32(minorversion);
  count_at_ = e_.Reserve32();
}

xdr::XdrEncoder& CompoundArgs::Op(uint32_t opnum) {
  ++n_;
  e_.U32(opnum);
  return e_;
}

void CompoundArgs::Finish() { e_.Patch32(count_at_, n_); }

void CompoundArgs::GetAttr(std::span<const uint32_t> bitmap) {
  Op(OP_GETATTR).U32(static_cast<uint32_t>(bitmap.size()));
  for (uint32_t w : bitmap) e_.U32(w);
}

void CompoundArgs::Commit(uint64_t offset, uint32_t count) {
  Op(OP_COMMIT).U64(offset);
  e_.U32(count);
}

void CompoundArgs::Read(const StateId& s, uint64_t offset, uint32_t count) {
  Op(OP_READ);
  s.Encode(e_);
  e_.U64(offset);
  e_.U32(count);
}

void CompoundArgs::WriteHead(const StateId& s, uint64_t offset, uint32_t stable, uint32_t count) {
  Op(OP_WRITE);
  s.Encode(e_);
  e_.U64(offset);
  e_.U32(stable);
  e_.U32(count);  // opaque length; the data follows as the call's payload
}

void CompoundArgs::Close(const StateId& s) {
  Op(OP_CLOSE).U32(0);  // seqid: ignored in 4.1
  s.Encode(e_);
}

void CompoundArgs::Open(uint64_t clientid, std::string_view owner, std::string_view name,
                        bool create, bool truncate, uint32_t access) {
  Op(OP_OPEN).U32(0);  // seqid
  e_.U32(access | OPEN4_SHARE_ACCESS_WANT_NO_DELEG);
  e_.U32(OPEN4_SHARE_DENY_NONE);
  e_.U64(clientid);
  e_.String(owner);
  if (create) {
    e_.U32(OPEN4_CREATE);
    e_.U32(UNCHECKED4);
    // fattr4: mode 0644 (bit 33), and size 0 (bit 4) to truncate.
    e_.U32(2);
    e_.U32(truncate ? (1u << FATTR4_SIZE) : 0);
    e_.U32(1u << (FATTR4_MODE - 32));
    e_.U32(truncate ? 12 : 4);
    if (truncate) e_.U64(0);
    e_.U32(0644);
  } else {
    e_.U32(OPEN4_NOCREATE);
  }
  e_.U32(CLAIM_NULL);
  e_.String(name);
}

void CompoundArgs::Mkdir(std::string_view name) {
  Op(OP_CREATE).U32(NF4DIR);
  e_.String(name);
  e_.U32(2);
  e_.U32(0);
  e_.U32(1u << (FATTR4_MODE - 32));
  e_.U32(4);
  e_.U32(0755);
}

void CompoundArgs::Readdir(uint64_t cookie, const std::array<uint8_t, 8>& verf, uint32_t dircount,
                           uint32_t maxcount, std::span<const uint32_t> bitmap) {
  Op(OP_READDIR).U64(cookie);
  e_.FixedOpaque(verf);
  e_.U32(dircount);
  e_.U32(maxcount);
  e_.U32(static_cast<uint32_t>(bitmap.size()));
  for (uint32_t w : bitmap) e_.U32(w);
}

void CompoundArgs::LockNew(uint32_t type, uint64_t offset, uint64_t length, const StateId& open,
                           uint64_t clientid, std::string_view lock_owner) {
  Op(OP_LOCK).U32(type);
  e_.Bool(false);  // reclaim
  e_.U64(offset);
  e_.U64(length);
  e_.Bool(true);  // new_lock_owner: open_to_lock_owner4
  e_.U32(0);      // open_seqid
  open.Encode(e_);
  e_.U32(0);  // lock_seqid
  e_.U64(clientid);
  e_.String(lock_owner);
}

void CompoundArgs::Unlock(uint32_t type, const StateId& lock, uint64_t offset, uint64_t length) {
  Op(OP_LOCKU).U32(type);
  e_.U32(0);  // seqid
  lock.Encode(e_);
  e_.U64(offset);
  e_.U64(length);
}

// --- CompoundReply ---

CompoundReply::CompoundReply(xdr::XdrDecoder d) : d_(d) {
  status_ = d_.U32();
  d_.String(NFS4_OPAQUE_LIMIT);  // tag
  results_ = d_.U32();
  if (!d_.ok()) SetError("short COMPOUND reply");
}

uint32_t CompoundReply::Next(uint32_t opnum) {
  if (!error_.empty()) return NFS4ERR_SERVERFAULT;
  if (seen_ >= results_) {
    SetError("COMPOUND reply (status " + StatusName(status_) + ") has no result for " +
             OpName(opnum));
    return NFS4ERR_SERVERFAULT;
  }
  ++seen_;
  uint32_t op = d_.U32();
  uint32_t st = d_.U32();
  if (!d_.ok()) {
    SetError("short COMPOUND reply at " + OpName(opnum));
    return NFS4ERR_SERVERFAULT;
  }
  if (op != opnum) {
    SetError("reply has " + OpName(op) + " where " + OpName(opnum) + " was sent");
    return NFS4ERR_SERVERFAULT;
  }
  return st;
}

bool CompoundReply::Ok(uint32_t opnum) {
  uint32_t st = Next(opnum);
  if (!error_.empty()) return false;
  if (st != NFS4_OK) {
    SetError(OpName(opnum) + " failed: " + StatusName(st));
    return false;
  }
  return true;
}

void CompoundReply::SkipSequence() {
  d_.FixedOpaque(NFS4_SESSIONID_SIZE);
  for (int i = 0; i < 5; ++i) d_.U32();  // sequenceid slotid highest target status_flags
}

FileHandle CompoundReply::GetFh() {
  auto fh = d_.Opaque(NFS4_FHSIZE);
  if (!d_.ok()) SetError("bad GETFH result");
  return FileHandle(fh.begin(), fh.end());
}

std::span<const uint8_t> CompoundReply::Fattr(std::vector<uint32_t>* bitmap) {
  uint32_t n = d_.ArrayLength(8);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t w = d_.U32();
    if (bitmap) bitmap->push_back(w);
  }
  auto v = d_.Opaque(1 << 20);
  if (!d_.ok()) SetError("bad fattr4");
  return v;
}

void CompoundReply::SkipChangeInfo() {
  d_.Bool();
  d_.U64();
  d_.U64();
}

void CompoundReply::SkipBitmap() {
  uint32_t n = d_.ArrayLength(8);
  for (uint32_t i = 0; i < n; ++i) d_.U32();
}

StateId CompoundReply::Open() {
  StateId s;
  s.Decode(d_);
  SkipChangeInfo();
  d_.U32();  // rflags
  uint32_t n = d_.ArrayLength(8);  // attrset
  for (uint32_t i = 0; i < n; ++i) d_.U32();
  uint32_t deleg = d_.U32();
  auto skip_ace = [&] {
    d_.U32();
    d_.U32();
    d_.U32();
    d_.String(NFS4_OPAQUE_LIMIT);
  };
  switch (deleg) {
    case OPEN_DELEGATE_NONE: break;
    case OPEN_DELEGATE_READ: {
      StateId ds;
      ds.Decode(d_);
      d_.Bool();
      skip_ace();
      break;
    }
    case OPEN_DELEGATE_WRITE: {
      StateId ds;
      ds.Decode(d_);
      d_.Bool();
      uint32_t limitby = d_.U32();
      if (limitby == 1) d_.U64();
      else { d_.U32(); d_.U32(); }
      skip_ace();
      break;
    }
    case OPEN_DELEGATE_NONE_EXT: {
      uint32_t why = d_.U32();
      if (why == WND4_CONTENTION || why == WND4_RESOURCE) d_.Bool();
      break;
    }
    default: SetError("OPEN: bad delegation type " + std::to_string(deleg));
  }
  if (!d_.ok()) SetError("bad OPEN result");
  return s;
}

uint32_t CompoundReply::Write(uint32_t* committed) {
  uint32_t count = d_.U32();
  uint32_t c = d_.U32();
  if (committed) *committed = c;
  d_.FixedOpaque(8);
  if (!d_.ok()) SetError("bad WRITE result");
  return count;
}

std::span<const uint8_t> CompoundReply::Read(bool* eof) {
  *eof = d_.Bool();
  auto data = d_.Opaque(64u << 20);
  if (!d_.ok()) SetError("bad READ result");
  return data;
}

bool CompoundReply::Readdir(std::array<uint8_t, 8>* verf,
                            const std::function<void(uint64_t, std::string_view)>& entry) {
  auto v = d_.FixedOpaque(8);
  if (d_.ok()) std::memcpy(verf->data(), v.data(), 8);
  while (d_.ok() && d_.Bool()) {
    uint64_t cookie = d_.U64();
    std::string_view name = d_.String(NFS4_OPAQUE_LIMIT);
    Fattr();
    if (d_.ok()) entry(cookie, name);
  }
  bool eof = d_.Bool();
  if (!d_.ok()) SetError("bad READDIR result");
  return eof;
}

// --- Client ---

void PlainCompound(Connection* conn, const std::function<void(CompoundArgs&)>& ops,
                   std::function<void(CompoundReply&)> done) {
  conn->Call(
      kNfsProgram, kNfsVersion, kNfsProcCompound,
      [&](xdr::XdrEncoder& e) {
        CompoundArgs a(e);
        ops(a);
        a.Finish();
      },
      [done = std::move(done)](RpcReply& r) {
        CompoundReply c(r.body);
        if (!r.ok) c.SetError(r.error);
        done(c);
      });
}

void Client::Compound(uint32_t slot, const std::function<void(CompoundArgs&)>& ops,
                      std::function<void(CompoundReply&)> done,
                      std::span<const uint8_t> payload) {
  uint32_t seq = ++seq_[slot];
  uint32_t highest = static_cast<uint32_t>(seq_.size() - 1);
  conn_->Call(
      kNfsProgram, kNfsVersion, kNfsProcCompound,
      [&](xdr::XdrEncoder& e) {
        CompoundArgs a(e);
        a.Op(OP_SEQUENCE).FixedOpaque(sessionid_);
        e.U32(seq);
        e.U32(slot);
        e.U32(highest);
        e.Bool(false);  // cachethis
        ops(a);
        a.Finish();
      },
      [done = std::move(done)](RpcReply& r) {
        CompoundReply c(r.body);
        if (!r.ok) {
          c.SetError(r.error);
        } else if (c.Ok(OP_SEQUENCE)) {
          c.SkipSequence();
        }
        done(c);
      },
      payload);
}

void Client::Mount(uint32_t slots, std::function<void(const std::string&)> done) {
  auto self = this;
  auto finish = std::make_shared<std::function<void(const std::string&)>>(std::move(done));
  PlainCompound(
      conn_,
      [&](CompoundArgs& a) {
        auto& e = a.Op(OP_EXCHANGE_ID);
        std::array<uint8_t, 8> verifier{1, 2, 3, 4, 5, 6, 7, 8};
        e.FixedOpaque(verifier);
        e.String(owner_);
        e.U32(EXCHGID4_FLAG_USE_NON_PNFS);
        e.U32(SP4_NONE);
        e.U32(0);  // no implementation id
      },
      [self, slots, finish](CompoundReply& r) {
        if (!r.Ok(OP_EXCHANGE_ID)) return (*finish)(r.error());
        auto& d = r.dec();
        self->clientid_ = d.U64();
        uint32_t seq = d.U32();
        if (!d.ok()) return (*finish)("bad EXCHANGE_ID result");
        PlainCompound(
            self->conn_,
            [&](CompoundArgs& a) {
              auto& e = a.Op(OP_CREATE_SESSION);
              e.U64(self->clientid_);
              e.U32(seq);
              e.U32(0);  // flags: no persistence, no back channel on this connection
              // fore channel: headerpad, maxreq, maxresp, maxresp_cached, maxops, maxreqs, rdma_ird<>
              for (uint32_t v : {0u, 1049600u + 4096, 1049600u + 4096, 16384u, 16u}) e.U32(v);
              e.U32(slots);
              e.U32(0);
              for (uint32_t v : {0u, 4096u, 4096u, 0u, 2u, 1u}) e.U32(v);
              e.U32(0);
              e.U32(0x40000000);  // cb_program
              e.U32(1);           // one callback_sec_parms4
              e.U32(0);           // AUTH_NONE
            },
            [self, finish](CompoundReply& r) {
              if (!r.Ok(OP_CREATE_SESSION)) return (*finish)(r.error());
              auto& d = r.dec();
              auto sid = d.FixedOpaque(NFS4_SESSIONID_SIZE);
              if (!d.ok()) return (*finish)("bad CREATE_SESSION result");
              std::memcpy(self->sessionid_.data(), sid.data(), 16);
              d.U32();  // sequenceid
              d.U32();  // flags
              for (int i = 0; i < 5; ++i) d.U32();
              uint32_t maxreqs = d.U32();
              if (!d.ok() || maxreqs == 0) return (*finish)("bad CREATE_SESSION channel attributes");
              self->seq_.assign(maxreqs, 0);
              self->Compound(
                  0, [](CompoundArgs& a) { a.Op(OP_RECLAIM_COMPLETE).Bool(false); },
                  [finish](CompoundReply& r) {
                    if (!r.error().empty()) return (*finish)(r.error());
                    uint32_t st = r.Next(OP_RECLAIM_COMPLETE);
                    // A server that already saw one for this client says so.
                    if (st != NFS4_OK && st != NFS4ERR_COMPLETE_ALREADY)
                      return (*finish)("RECLAIM_COMPLETE failed: " + StatusName(st));
                    (*finish)(r.error());
                  });
            });
      });
}

void Client::Unmount(std::function<void(const std::string&)> done) {
  auto self = this;
  auto finish = std::make_shared<std::function<void(const std::string&)>>(std::move(done));
  PlainCompound(
      conn_, [&](CompoundArgs& a) { a.Op(OP_DESTROY_SESSION).FixedOpaque(sessionid_); },
      [self, finish](CompoundReply& r) {
        if (!r.Ok(OP_DESTROY_SESSION)) return (*finish)(r.error());
        PlainCompound(
            self->conn_, [&](CompoundArgs& a) { a.Op(OP_DESTROY_CLIENTID).U64(self->clientid_); },
            [finish](CompoundReply& r) {
              r.Ok(OP_DESTROY_CLIENTID);
              (*finish)(r.error());
            });
      });
}

}  // namespace elfs::bench
