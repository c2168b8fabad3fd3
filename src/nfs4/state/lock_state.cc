// Byte-range lock state of StateManager (RFC 8881 sections 9.4-9.6, 18.10-
// 18.12; RFC 7530 sections 9.1.7 and 16.10-16.12): advisory POSIX locks, one
// lock stateid per (lock owner, file), ranges split and merged as POSIX
// fcntl locks are, conflicts only between different lock owners.
#include <algorithm>
#include <cstring>

#include "nfs4/state/state_manager.h"

namespace elfs::nfs4::state {

namespace {

constexpr uint64_t kToEof = ~uint64_t{0};

// [offset, offset+length) with length all-ones meaning "to the end";
// false for a zero length or one that overflows (NFS4ERR_INVAL).
bool ToRange(uint64_t offset, uint64_t length, uint64_t& end) {
  if (length == 0) return false;
  if (length == kToEof) {
    end = kToEof;
    return true;
  }
  if (offset > kToEof - length) return false;
  end = offset + length;
  return true;
}

bool Overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1) { return a0 < b1 && b0 < a1; }

std::string ToKey(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

void StateManager::SetRanges(LockState& ls, std::vector<LockRange> ranges) {
  if (Client* c = FindClient(ls.owner->clientid))
    c->lock_ranges = c->lock_ranges - ls.ranges.size() + ranges.size();
  ls.ranges = std::move(ranges);
}

void StateManager::RemoveLockState(LockState* ls) {
  SetRanges(*ls, {});
  auto range = locks_by_file_.equal_range(ls->file);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second == ls) {
      locks_by_file_.erase(it);
      break;
    }
  }
  auto& ov = ls->open->locks;
  ov.erase(std::remove(ov.begin(), ov.end(), ls), ov.end());
  auto& wv = ls->owner->states;
  wv.erase(std::remove(wv.begin(), wv.end(), ls), wv.end());
  if (Client* c = FindClient(ls->owner->clientid)) c->lock_states--;
  locks_.erase(ls->other);
}

nfsstat4 StateManager::LookupLock(uint32_t minorversion, uint64_t clientid, const Stateid& sid,
                                  LockState** out) {
  if (sid.IsSpecial()) return NFS4ERR_BAD_STATEID;
  auto it = locks_.find(sid.other);
  if (it == locks_.end()) {
    uint32_t epoch;
    std::memcpy(&epoch, sid.other.data(), 4);
    if (revoked_states_.count(sid.other)) return NFS4ERR_EXPIRED;
    return epoch != boot_epoch_ && minorversion == 0 ? NFS4ERR_STALE_STATEID : NFS4ERR_BAD_STATEID;
  }
  LockState* ls = it->second.get();
  Client* c = FindClient(ls->owner->clientid);
  if (!c) return NFS4ERR_BAD_STATEID;
  if (minorversion >= 1 && c->clientid != clientid) return NFS4ERR_BAD_STATEID;
  if (c->minorversion == 0 && Expired(*c)) return NFS4ERR_EXPIRED;
  if (!(minorversion >= 1 && sid.seqid == 0)) {
    if (sid.seqid < ls->seqid) return NFS4ERR_OLD_STATEID;
    if (sid.seqid > ls->seqid) return NFS4ERR_BAD_STATEID;
  }
  c->last_renew = clock_.Monotonic();
  *out = ls;
  return NFS4_OK;
}

nfsstat4 StateManager::BeginLockStateOp(const Stateid& sid, uint32_t seqid, uint32_t opnum,
                                        const FileHandle* file, SeqidAdmission* adm,
                                        LockState** out) {
  // As BeginOpenStateOp, for a lock-owner's seqid. Lock states outlive
  // LOCKU (until their open is closed), so the owner is found by them.
  LockOwner* o = nullptr;
  if (!sid.IsSpecial())
    if (auto it = locks_.find(sid.other); it != locks_.end()) o = it->second->owner;
  if (o) {
    if (auto s = CheckStateOwnerSeqid(*o, seqid, opnum, adm)) return *s;
  }
  nfsstat4 s = LookupLock(0, 0, sid, out);
  if (s == NFS4_OK && file && !((*out)->file == *file)) return NFS4ERR_BAD_STATEID;
  if (o && (s == NFS4_OK || s == NFS4ERR_OLD_STATEID)) Admit(*o, seqid, opnum, adm);
  return s;
}

bool StateManager::FindLockConflict(const FileHandle& file, uint64_t clientid,
                                    const std::string& owner, const LockRange& want,
                                    LockDenied* denied) {
  // Courtesy (RFC 8881 section 8.4.3): an expired client's locks yield.
  std::vector<uint64_t> expired;
  auto range = locks_by_file_.equal_range(file);
  for (auto it = range.first; it != range.second; ++it) {
    const Client* c = FindClient(it->second->owner->clientid);
    if (c && c->clientid != clientid && Expired(*c)) expired.push_back(c->clientid);
  }
  for (uint64_t id : expired) RevokeClient(id, Why::kLeaseLapsed);

  range = locks_by_file_.equal_range(file);
  for (auto it = range.first; it != range.second; ++it) {
    const LockState* ls = it->second;
    if (ls->owner->clientid == clientid && ls->owner->owner == owner) continue;
    for (const LockRange& r : ls->ranges) {
      if (!Overlaps(r.offset, r.end, want.offset, want.end) || (!r.write && !want.write)) continue;
      if (denied) {
        denied->offset = r.offset;
        denied->length = r.end == kToEof ? kToEof : r.end - r.offset;
        denied->locktype = r.write ? WRITE_LT : READ_LT;
        denied->clientid = ls->owner->clientid;
        denied->owner = ls->owner->owner;
      }
      return true;
    }
  }
  return false;
}

NfsResult<Stateid> StateManager::Lock(const LockArgs& a, const FileHandle& file,
                                      LockDenied* denied, SeqidAdmission* adm) {
  RecordFlush flush(*this);
  std::lock_guard lock(mu_);
  LockRange want;
  want.offset = a.offset;
  want.write = a.write;
  const bool v40 = a.minorversion == 0;

  LockState* ls = nullptr;
  if (a.new_lock_owner) {
    OpenState* open = nullptr;
    // 4.0: the open-owner's seqid moves first (RFC 7530 section 16.10.4).
    nfsstat4 s = v40 ? BeginOpenStateOp(a.open_stateid, a.open_seqid, OP_LOCK, &file, adm, &open)
                     : LookupOpen(a.minorversion, a.owner_clientid, a.open_stateid, &open);
    if (s != NFS4_OK) return NfsErr(s);
    if (adm->replay) return Stateid{};
    if (!(open->file == file)) return NfsErr(NFS4ERR_BAD_STATEID);
    if (v40 && !open->owner->confirmed) return NfsErr(NFS4ERR_BAD_STATEID);
    const uint64_t clientid = open->owner->clientid;
    if (v40 && a.owner_clientid != clientid) return NfsErr(NFS4ERR_STALE_CLIENTID);
    Client* c = FindClient(clientid);
    if (!c) return NfsErr(NFS4ERR_STALE_CLIENTID);
    std::string owner_key = ToKey(a.owner);
    if (!c->lock_owners.contains(owner_key)) {
      PruneIdleLockOwners(*c);
      if (c->lock_owners.size() >= options_.max_owners_per_client) return NfsErr(NFS4ERR_RESOURCE);
    }
    auto& slot = c->lock_owners[owner_key];
    if (!slot) {
      slot = std::make_unique<LockOwner>();
      slot->clientid = clientid;
      slot->owner = ToKey(a.owner);
      slot->seqid = a.lock_seqid;
    } else if (v40) {
      // A lock-owner already known. A client whose first LOCK was denied
      // holds no lock stateid for it and must come again through the open
      // (the Linux client does): accept that and restart the owner's seqid
      // from this request. An owner that holds locks on this file must use
      // its lock stateid instead.
      for (const LockState* existing : slot->states)
        if (existing->file == file && !existing->ranges.empty()) return NfsErr(NFS4ERR_BAD_SEQID);
      slot->seqid = a.lock_seqid;
    }
    for (LockState* existing : slot->states)
      if (existing->file == file) ls = existing;
    if (!ls) {
      if (c->lock_states >= options_.max_lock_states_per_client) return NfsErr(NFS4ERR_RESOURCE);
      c->lock_states++;
      auto fresh = std::make_unique<LockState>();
      fresh->other = NewOther();
      fresh->owner = slot.get();
      fresh->open = open;
      fresh->file = file;
      ls = fresh.get();
      slot->states.push_back(ls);
      open->locks.push_back(ls);
      locks_by_file_.emplace(file, ls);
      locks_.emplace(ls->other, std::move(fresh));
    }
  } else {
    nfsstat4 s = v40 ? BeginLockStateOp(a.lock_stateid, a.lock_seqid, OP_LOCK, &file, adm, &ls)
                     : LookupLock(a.minorversion, a.owner_clientid, a.lock_stateid, &ls);
    if (s != NFS4_OK) return NfsErr(s);
    if (adm->replay) return Stateid{};
    if (!(ls->file == file)) return NfsErr(NFS4ERR_BAD_STATEID);
  }
  {
    const uint64_t clientid = ls->owner->clientid;
    if (nfsstat4 s = a.reclaim ? ReclaimStatus(clientid) : NewStateStatus(a.minorversion, clientid);
        s != NFS4_OK)
      return NfsErr(s);
  }
  if (!ToRange(a.offset, a.length, want.end)) return NfsErr(NFS4ERR_INVAL);
  // RFC 8881 section 18.10.4: a write lock needs an open for writing.
  const uint32_t access = ls->open->share_access;
  if (a.write && !(access & OPEN4_SHARE_ACCESS_WRITE)) return NfsErr(NFS4ERR_OPENMODE);
  if (!a.write && !(access & OPEN4_SHARE_ACCESS_READ)) return NfsErr(NFS4ERR_OPENMODE);
  if (FindLockConflict(file, ls->owner->clientid, ls->owner->owner, want, denied))
    return NfsErr(NFS4ERR_DENIED);

  // POSIX semantics: the new range replaces whatever this owner held there
  // (upgrade, downgrade, split), then neighbours of one type merge.
  std::vector<LockRange> next;
  for (const LockRange& r : ls->ranges) {
    if (!Overlaps(r.offset, r.end, want.offset, want.end)) {
      next.push_back(r);
      continue;
    }
    if (r.offset < want.offset) next.push_back({r.offset, want.offset, r.write});
    if (want.end < r.end) next.push_back({want.end, r.end, r.write});
  }
  next.push_back(want);
  std::sort(next.begin(), next.end(),
            [](const LockRange& x, const LockRange& y) { return x.offset < y.offset; });
  std::vector<LockRange> merged;
  for (const LockRange& r : next) {
    if (!merged.empty() && merged.back().write == r.write && merged.back().end >= r.offset) {
      merged.back().end = std::max(merged.back().end, r.end);
    } else {
      merged.push_back(r);
    }
  }
  if (merged.size() > ls->ranges.size()) {
    const size_t more = merged.size() - ls->ranges.size();
    size_t on_file = 0;
    auto held = locks_by_file_.equal_range(file);
    for (auto it = held.first; it != held.second; ++it) on_file += it->second->ranges.size();
    const Client* c = FindClient(ls->owner->clientid);
    if (on_file + more > options_.max_locks_per_file ||
        (c && c->lock_ranges + more > options_.max_locks_per_client))
      return NfsErr(NFS4ERR_RESOURCE);
  }
  SetRanges(*ls, std::move(merged));
  ls->seqid++;
  return Stateid{ls->seqid, ls->other};
}

nfsstat4 StateManager::LockTest(uint64_t clientid, std::span<const uint8_t> owner,
                                const FileHandle& file, bool write, uint64_t offset,
                                uint64_t length, LockDenied* denied) {
  RecordFlush flush(*this);
  std::lock_guard lock(mu_);
  Client* c = nullptr;
  if (nfsstat4 s = CheckClientId(clientid, &c); s != NFS4_OK) return s;
  c->last_renew = clock_.Monotonic();
  LockRange want{offset, 0, write};
  if (!ToRange(offset, length, want.end)) return NFS4ERR_INVAL;
  return FindLockConflict(file, clientid, ToKey(owner), want, denied) ? NFS4ERR_DENIED : NFS4_OK;
}

nfsstat4 StateManager::Unlock(uint32_t minorversion, uint64_t clientid, const Stateid& stateid,
                              uint32_t seqid,
                              const FileHandle& file, uint64_t offset, uint64_t length,
                              SeqidAdmission* adm, Stateid* out) {
  std::lock_guard lock(mu_);
  LockState* ls = nullptr;
  nfsstat4 s = minorversion == 0 ? BeginLockStateOp(stateid, seqid, OP_LOCKU, &file, adm, &ls)
                                 : LookupLock(minorversion, clientid, stateid, &ls);
  if (s != NFS4_OK || adm->replay) return s;
  if (!(ls->file == file)) return NFS4ERR_BAD_STATEID;
  uint64_t end;
  if (!ToRange(offset, length, end)) return NFS4ERR_INVAL;
  std::vector<LockRange> next;
  for (const LockRange& r : ls->ranges) {
    if (!Overlaps(r.offset, r.end, offset, end)) {
      next.push_back(r);
      continue;
    }
    if (r.offset < offset) next.push_back({r.offset, offset, r.write});
    if (end < r.end) next.push_back({end, r.end, r.write});
  }
  SetRanges(*ls, std::move(next));
  ls->seqid++;
  *out = {ls->seqid, ls->other};
  return NFS4_OK;
}

}  // namespace elfs::nfs4::state
