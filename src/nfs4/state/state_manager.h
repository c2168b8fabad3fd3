// NFSv4 protocol state: client records, sessions with slot tables and reply
// cache, open owners and open stateids with share reservations.
//
// NFSv4.0 (RFC 7530 sections 9, 16.33-16.34) and NFSv4.1 (RFC 8881 sections
// 2.4, 2.10, 8, 9, 18.35-18.37, 18.46) share one model: a client record owns
// open owners, which own open states; 4.1 clients also own sessions.
// Identifiers carry the boot epoch so ids from an earlier server instance are
// recognised as STALE rather than BAD. Leases are checked lazily on use.
//
// Restart recovery (RFC 8881 sections 8.4.2-8.4.3, RFC 7530 section 9.6):
// a record per confirmed client persists in the store (kind "nfs4/client");
// after a restart the records of the previous instance name the clients that
// may reclaim their opens and locks during the grace period, while new state
// is refused with NFS4ERR_GRACE. See "Restart recovery" in the .cc.
//
// Thread safety: all methods are thread-safe. One mutex guards the tables;
// each session's slot table has its own mutex so SEQUENCE processing of one
// session never waits for another's request. Store commits happen after
// that mutex is released, in order, under a second one (see RecordFlush).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <deque>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "nfs4/back_channel.h"
#include "nfs4/file_handle.h"
#include "nfs4/state/state_types.h"
#include "store/store.h"
#include "xdr/xdr.h"

namespace elfs::nfs4::state {

struct StateOptions {
  std::chrono::seconds lease_time{90};
  uint32_t max_slots = 64;
  uint32_t max_operations = 64;
  uint32_t max_request_size = (1u << 20) + 4096;
  uint32_t max_response_size = (1u << 20) + 4096;
  uint32_t max_response_size_cached = 64 * 1024;
  size_t max_clients = 4096;
  // The grace period after a restart in which clients with a record of the
  // previous instance reclaim their state (RFC 8881 section 8.4.2.1); EFS
  // uses 90 s. It ends early once every such client sent RECLAIM_COMPLETE,
  // and is skipped when there are no records.
  std::chrono::seconds grace_time{90};
  // Byte-range lock limits, as EFS's quotas for NFS clients: 512 locks per
  // file and 8,192 per mount (counted per client id here, which is what one
  // mount of a Linux client uses). A lock here is one held range; a LOCK
  // that would exceed a limit fails with NFS4ERR_RESOURCE (see
  // docs/design.md). LOCKU never fails for it, though it may split a range.
  size_t max_locks_per_file = 512;
  size_t max_locks_per_client = 8192;
  // What one client may hold, so its memory is bounded whatever it sends
  // (docs/design.md has the arithmetic): opens (EFS's quota of 32,768 open
  // files per client), lock stateids (one per lock-owner and file),
  // open-owners and lock-owners (those without state are released first),
  // and the bytes its sessions' slots may cache (CREATE_SESSION gives fewer
  // slots rather than more than this). Over a limit: NFS4ERR_RESOURCE.
  size_t max_opens_per_client = 32768;
  size_t max_lock_states_per_client = 8192;
  size_t max_owners_per_client = 4096;  // open-owners, and lock-owners apart
  size_t max_reply_cache_per_client = 4u << 20;
};

// One slot of a session's fore channel (RFC 8881 section 2.10.6.1).
struct Slot {
  uint32_t seqid = 0;
  bool in_use = false;
  bool has_reply = false;     // a reply was cached for seqid
  bool reply_cached = false;  // false: the client did not ask to cache it
  xdr::Buffer reply;          // the whole COMPOUND4res
};

class Session {
 public:
  SessionId id{};
  uint64_t clientid = 0;
  uint32_t flags = 0;
  ChannelAttrs fore, back;
  uint32_t cb_program = 0;
  // Bound connections and the back channel's state (thread-safe itself).
  std::shared_ptr<nfs4::BackChannel> back_channel;

  std::mutex mu;
  std::vector<Slot> slots;  // GUARDED_BY(mu)
};

// The outcome of SEQUENCE's slot check.
struct SequenceResult {
  std::shared_ptr<Session> session;
  uint32_t slotid = 0;
  uint32_t highest_slotid = 0;
  uint32_t target_highest_slotid = 0;
  uint32_t status_flags = 0;
  bool replay = false;      // send `cached` instead of executing
  xdr::Buffer cached;       // a copy: the slot may be reused meanwhile
};

// Why a LOCK or LOCKT was refused (LOCK4denied, RFC 8881 section 18.10).
struct LockDenied {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t locktype = READ_LT;
  uint64_t clientid = 0;
  std::string owner;
};

struct LockArgs {
  uint32_t minorversion = 0;
  bool write = false;
  // A reclaim after a restart; else new state, refused during the grace
  // period (checked after the 4.0 seqid is consumed: RFC 7530 section 9.1.7
  // does not exempt NFS4ERR_GRACE).
  bool reclaim = false;
  uint64_t offset = 0;
  uint64_t length = 0;
  bool new_lock_owner = false;
  // new_lock_owner: the open it comes from and the new owner.
  uint32_t open_seqid = 0;
  Stateid open_stateid;
  uint64_t owner_clientid = 0;  // 4.0: from lock_owner4; 4.1: the session's
  std::span<const uint8_t> owner;
  // !new_lock_owner: the owner's lock stateid.
  Stateid lock_stateid;
  uint32_t lock_seqid = 0;
};

// NFSv4.0 per-owner replay (RFC 7530 sections 9.1.7 and 9.1.8). Every
// seqid-mutating operation (OPEN, OPEN_CONFIRM, OPEN_DOWNGRADE, CLOSE: the
// open-owner's seqid; LOCK: the open-owner's for a new lock-owner, else the
// lock-owner's; LOCKU: the lock-owner's) goes through one check: seqid L+1
// is admitted and consumes the seqid, a retransmission of the last request
// (seqid L, same operation) is answered with the reply saved for it, all
// else is NFS4ERR_BAD_SEQID. The state layer decides; the COMPOUND
// dispatcher saves and replays the bytes (see CompoundState::seqid_op), so
// no operation keeps its own copy of this logic. 4.1 has sessions instead.

// The reply to an owner's last admitted request.
struct OwnerReply {
  uint32_t opnum = 0;
  nfsstat4 status = NFS4_OK;
  xdr::Buffer body;  // the op's result after its status
  // The current file handle after the op (OPEN sets it: a replayed OPEN
  // must leave the same file current for the GETFH that follows it).
  std::optional<vfs::Handle> cfh;
};
// Bodies are small (a stateid; OPEN4resok is ~60 bytes); the largest,
// LOCK4denied with a 1 KiB owner, is not kept: its retransmission is then
// NFS4ERR_BAD_SEQID, which a client handles as for a lost reply.
inline constexpr size_t kMaxOwnerReplyBody = 1024;

// Names a 4.0 state-owner (it is looked up again when the reply is saved:
// the owner may be gone by then, with its client).
struct OwnerKey {
  bool lock_owner = false;  // false: an open-owner
  uint64_t clientid = 0;
  std::string owner;
  uint32_t seqid = 0;  // the seqid admitted
};

// The outcome of a 4.0 seqid check, for the dispatcher. At most one is set.
struct SeqidAdmission {
  std::optional<OwnerReply> replay;  // answer with this; nothing was executed
  std::optional<OwnerKey> save_for;  // the seqid was consumed: save the reply
};

struct OpenResult {
  Stateid stateid;
  bool needs_confirm = false;  // 4.0: first OPEN of an unconfirmed owner
};

// The state an I/O operation runs under, after stateid validation.
struct IoStateCheck {
  bool special = false;  // anonymous or bypass stateid
  uint32_t share_access = 0;
};

class StateManager {
 public:
  // `store` (not owned; may be null: nothing persists) holds the client
  // records; the constructor reads the previous instance's and starts the
  // grace period if there are any.
  StateManager(StateOptions options, const Clock& clock, Random& random,
               store::Store* store = nullptr);
  ~StateManager();
  StateManager(const StateManager&) = delete;
  StateManager& operator=(const StateManager&) = delete;

  // ---- Grace period and reclaim (RFC 8881 sections 8.4.2, 18.51; RFC 7530 9.6.2) ----
  bool InGrace();
  // Whether `clientid` may reclaim now: OK, NFS4ERR_NO_GRACE (no grace
  // period, or the client already sent RECLAIM_COMPLETE) or
  // NFS4ERR_RECLAIM_BAD (no record of it from before the restart).
  nfsstat4 CheckReclaim(uint64_t clientid);
  // Whether `clientid` may obtain new (non-reclaim) state: NFS4ERR_GRACE
  // during the grace period, and for 4.1 before its RECLAIM_COMPLETE.
  nfsstat4 CheckNewState(uint32_t minorversion, uint64_t clientid);

  const StateOptions& options() const { return options_; }
  // The boot epoch embedded in client ids and stateids.
  uint32_t boot_epoch() const { return boot_epoch_; }

  // ---- NFSv4.0 client ids (RFC 7530 sections 16.33, 16.34, 16.29) ----
  struct SetClientIdResult {
    uint64_t clientid;
    Verifier confirm;
  };
  NfsResult<SetClientIdResult> SetClientId(const Verifier& verifier,
                                           std::span<const uint8_t> owner,
                                           const ClientPrincipal& who);
  nfsstat4 SetClientIdConfirm(uint64_t clientid, const Verifier& confirm,
                              const ClientPrincipal& who);
  nfsstat4 Renew(uint64_t clientid);

  // ---- NFSv4.1 client ids and sessions (RFC 8881 sections 18.35-18.37, 18.46, 18.50) ----
  struct ExchangeIdResult {
    uint64_t clientid;
    uint32_t sequenceid;
    uint32_t flags;
  };
  NfsResult<ExchangeIdResult> ExchangeId(const Verifier& verifier, std::span<const uint8_t> owner,
                                         uint32_t flags, const ClientPrincipal& who);
  struct CreateSessionArgs {
    uint64_t clientid = 0;
    uint32_t sequence = 0;
    uint32_t flags = 0;
    ChannelAttrs fore, back;
    uint32_t cb_program = 0;
  };
  struct CreateSessionResult {
    SessionId sessionid;
    uint32_t sequence;
    uint32_t flags;
    ChannelAttrs fore, back;
  };
  NfsResult<CreateSessionResult> CreateSession(const CreateSessionArgs& args,
                                               const ClientPrincipal& who);
  nfsstat4 DestroySession(const SessionId& id);
  nfsstat4 DestroyClientId(uint64_t clientid);
  std::shared_ptr<Session> FindSession(const SessionId& id);
  // The sessions of a client (for SEQ4_STATUS_CB_PATH_DOWN, which is about
  // all of them).
  std::vector<std::shared_ptr<Session>> SessionsOf(uint64_t clientid);
  // Checks and claims a slot. On success the slot is in use until
  // EndSequence (or, for a replay, nothing further is needed).
  NfsResult<SequenceResult> BeginSequence(const SessionId& id, uint32_t sequenceid,
                                          uint32_t slotid, uint32_t highest_slotid);
  // Releases the slot claimed by BeginSequence, caching `reply` when asked.
  void EndSequence(Session& session, uint32_t slotid, bool cache, std::span<const uint8_t> reply);
  nfsstat4 ReclaimComplete(uint64_t clientid);

  // ---- Open state (RFC 8881 sections 9, 18.16, 18.2, 18.18; RFC 7530 16.18) ----
  // Checks the client id and, for 4.0, the open-owner's seqid, and advances
  // it (RFC 7530 section 9.1.7: errors after this point still consume the
  // seqid). Call before any work of OPEN.
  // A retransmission of the owner's last OPEN (same seqid) returns OK with
  // adm->replay filled: answer with it and do nothing else.
  //
  // The 4.0 operations below take a SeqidAdmission: OK with adm->replay set
  // means "a retransmission, answered from the cache, nothing done"; once
  // the seqid is consumed adm->save_for is set (also when an error follows)
  // and the caller must hand the op's reply to SaveOwnerReply.
  // NFS4ERR_DELAY: the request with this seqid is still being executed.
  nfsstat4 BeginOpen(uint32_t minorversion, uint64_t clientid, std::span<const uint8_t> owner,
                     uint32_t seqid, SeqidAdmission* adm);
  // Remembers the reply to a 4.0 request admitted for `key` (replacing the
  // previous one). Bodies over kMaxOwnerReplyBody are not kept.
  void SaveOwnerReply(const OwnerKey& key, uint32_t opnum, nfsstat4 status,
                      std::span<const uint8_t> body, const std::optional<vfs::Handle>& cfh);
  // Records an open (or upgrades the owner's open of the same file).
  // REQUIRES: BeginOpen succeeded for this owner.
  // `reclaim`: CLAIM_PREVIOUS (the caller checked CheckReclaim); a 4.0
  // reclaim needs no OPEN_CONFIRM.
  NfsResult<OpenResult> Open(uint32_t minorversion, uint64_t clientid,
                             std::span<const uint8_t> owner, const FileHandle& file,
                             uint32_t share_access, uint32_t share_deny, bool reclaim = false);
  nfsstat4 OpenConfirm(const Stateid& stateid, uint32_t seqid, SeqidAdmission* adm, Stateid* out);
  // `clientid`: the 4.1 session's client (ignored for 4.0).
  nfsstat4 OpenDowngrade(uint32_t minorversion, uint64_t clientid, const Stateid& stateid,
                         uint32_t seqid, uint32_t share_access, uint32_t share_deny,
                         SeqidAdmission* adm, Stateid* out);
  nfsstat4 Close(uint32_t minorversion, uint64_t clientid, const Stateid& stateid, uint32_t seqid,
                 SeqidAdmission* adm, Stateid* out);
  // Validates a stateid given to READ/WRITE/SETATTR for `file`.
  // `clientid` is the 4.1 session's client (ignored for 4.0).
  NfsResult<IoStateCheck> CheckIoStateid(uint32_t minorversion, uint64_t clientid,
                                         const Stateid& stateid, const FileHandle& file,
                                         bool for_write);
  // ---- Byte-range locks (RFC 8881 sections 9.4-9.6, 18.10-18.12) ----
  // Advisory POSIX locks. `denied` is filled when the result is DENIED.
  // 4.0: see SeqidAdmission above (a replay returns an empty Stateid).
  NfsResult<Stateid> Lock(const LockArgs& args, const FileHandle& file, LockDenied* denied,
                          SeqidAdmission* adm);
  nfsstat4 LockTest(uint64_t clientid, std::span<const uint8_t> owner, const FileHandle& file,
                    bool write, uint64_t offset, uint64_t length, LockDenied* denied);
  nfsstat4 Unlock(uint32_t minorversion, uint64_t clientid, const Stateid& stateid, uint32_t seqid,
                  const FileHandle& file, uint64_t offset, uint64_t length, SeqidAdmission* adm,
                  Stateid* out);

  // TEST_STATEID's per-stateid answer.
  nfsstat4 TestStateid(uint64_t clientid, const Stateid& stateid);
  nfsstat4 FreeStateid(uint64_t clientid, const Stateid& stateid);
  nfsstat4 ReleaseLockOwner(uint64_t clientid, std::span<const uint8_t> owner);

  // Drops clients whose lease ran out (lazy: called on client creation).
  void ExpireLeases();
  size_t client_count();
  // Open and lock stateids held by all clients (tests: nothing leaks).
  size_t open_count();
  size_t lock_state_count();

 private:
  struct OpenState;
  struct LockState;
  // A held range [offset, end); end == UINT64_MAX reaches to the end of file.
  struct LockRange {
    uint64_t offset = 0;
    uint64_t end = 0;
    bool write = false;
  };
  // The 4.0 sequencing state every state-owner has (RFC 7530 section 9.1.7).
  struct SeqidOwner {
    uint64_t clientid = 0;
    std::string owner;
    uint32_t seqid = 0;                     // last seqid seen
    uint32_t pending_op = 0;                // admitted, its reply not saved yet
    std::optional<OwnerReply> last_reply;   // the reply to `seqid`
    // While an op is pending: the seqid and reply before it, put back if
    // the op ends in an error that does not consume the seqid.
    uint32_t seqid_before = 0;
    std::optional<OwnerReply> reply_before;
  };
  struct LockOwner : SeqidOwner {
    std::vector<LockState*> states;
  };
  struct LockState {
    StateOther other{};
    uint32_t seqid = 0;  // the first LOCK makes it 1
    LockOwner* owner = nullptr;
    OpenState* open = nullptr;
    FileHandle file;
    std::vector<LockRange> ranges;
  };
  struct OpenOwner : SeqidOwner {
    bool confirmed = false; // 4.0
    // 4.0: the open its last reply (a CLOSE) removed; a key of closed_.
    std::optional<StateOther> closed;
    std::vector<OpenState*> opens;
  };
  struct OpenState {
    StateOther other{};
    uint32_t seqid = 1;
    OpenOwner* owner = nullptr;
    FileHandle file;
    uint32_t share_access = 0;
    uint32_t share_deny = 0;
    // Bit n set: the owner opened with share_access (or share_deny) n; the
    // modes OPEN_DOWNGRADE may return to.
    uint32_t access_modes = 0;
    uint32_t deny_modes = 0;
    std::vector<LockState*> locks;
  };
  struct Client {
    uint64_t clientid = 0;
    std::string owner;
    Verifier verifier{};
    Verifier confirm{};
    ClientPrincipal principal;
    bool confirmed = false;
    uint32_t minorversion = 0;
    uint32_t cs_sequence = 0;  // 4.1: next CREATE_SESSION sequence expected
    std::optional<CreateSessionResult> last_cs;  // 4.1: CREATE_SESSION replay
    bool reclaim_complete = false;
    bool persisted = false;   // its record is in the store
    bool may_reclaim = false; // a record of the previous instance names it
    size_t lock_ranges = 0;   // ranges held by all its lock states
    size_t opens = 0;         // its open states
    size_t lock_states = 0;   // its lock states
    std::chrono::steady_clock::time_point last_renew;
    std::vector<SessionId> sessions;
    std::map<std::string, std::unique_ptr<OpenOwner>> open_owners;
    std::map<std::string, std::unique_ptr<LockOwner>> lock_owners;
  };
  struct OtherHash {
    size_t operator()(const StateOther& o) const;
  };
  struct FileKeyHash {
    size_t operator()(const FileHandle& f) const { return vfs::HandleHash{}(f.handle) ^ f.fs_id; }
  };

  // ---- Restart recovery ----
  // Store changes queued under mu_ and committed, in order, after it is
  // released: a RecordFlush declared before the lock_guard of a public
  // method commits on the way out, so a record is durable before the reply
  // that depends on it, and no thread waits for an fsync while holding mu_.
  class RecordFlush {
   public:
    explicit RecordFlush(StateManager& m) : m_(m) {}
    ~RecordFlush() { m_.FlushRecords(); }

   private:
    StateManager& m_;
  };
  void FlushRecords();
  void QueueRecord(store::Transaction::Op op);  // REQUIRES: mu_
  void LoadRecords();  // constructor only
  // The record of a confirmed client goes to the store. REQUIRES: mu_
  void PersistClient(Client& c);
  // Ends the grace period when it is over, dropping the records of clients
  // that did not come back (RFC 8881 section 8.4.2.1: they must not reclaim
  // after a further restart). REQUIRES: mu_
  bool GraceActive();
  nfsstat4 ReclaimStatus(uint64_t clientid);                         // REQUIRES: mu_
  nfsstat4 NewStateStatus(uint32_t minorversion, uint64_t clientid);  // REQUIRES: mu_
  void OnConfirmed(Client& c);  // REQUIRES: mu_; persist, reclaim rights

  uint64_t NewClientId();                   // REQUIRES: mu_
  StateOther NewOther();                    // REQUIRES: mu_
  Client* FindClient(uint64_t clientid);    // REQUIRES: mu_
  Client* FindConfirmed(const std::string& owner);    // REQUIRES: mu_
  Client* FindUnconfirmed(const std::string& owner);  // REQUIRES: mu_
  void RemoveClient(uint64_t clientid);     // REQUIRES: mu_; drops all its state
  // Removes a client whose lease lapsed (or that rebooted), remembering its
  // stateids, and for a lapsed lease its id, so later use of them is
  // NFS4ERR_EXPIRED, not BAD or STALE (RFC 7530 sections 9.6.3, 16.30.5).
  // A rebooted client's old id is simply unknown (STALE_CLIENTID).
  enum class Why { kLeaseLapsed, kClientRebooted };
  void RevokeClient(uint64_t clientid, Why why);  // REQUIRES: mu_
  void RemoveOpen(OpenState* st);           // REQUIRES: mu_; and its lock states
  void RemoveLockState(LockState* ls);      // REQUIRES: mu_
  // Replaces the ranges of `ls`, keeping its client's count. REQUIRES: mu_
  void SetRanges(LockState& ls, std::vector<LockRange> ranges);
  // Finds a lock state for a stateid with the seqid rules (see LookupOpen).
  nfsstat4 LookupLock(uint32_t minorversion, uint64_t clientid, const Stateid& sid,
                      LockState** out);  // REQUIRES: mu_
  // The first lock of another owner that conflicts, revoking locks of
  // expired clients on the way (courtesy). REQUIRES: mu_
  bool FindLockConflict(const FileHandle& file, uint64_t clientid, const std::string& owner,
                        const LockRange& want, LockDenied* denied);
  nfsstat4 CheckClientId(uint64_t clientid, Client** out);  // REQUIRES: mu_
  // Finds the open state for a stateid with the seqid rules of
  // RFC 8881 section 8.2.2 (4.1: seqid 0 = current).
  // 4.1: the stateid must belong to `clientid`, the session's client.
  nfsstat4 LookupOpen(uint32_t minorversion, uint64_t clientid, const Stateid& sid,
                      OpenState** out);  // REQUIRES: mu_
  // RFC 7530 section 9.1.7 for `o`: nullopt to go on with seqid L+1 (not
  // consumed yet: see Admit), or the status to answer now (OK: a replay,
  // adm->replay filled; BAD_SEQID; DELAY). REQUIRES: mu_
  std::optional<nfsstat4> CheckSeqid(const SeqidOwner& o, uint32_t seqid, uint32_t opnum,
                                     SeqidAdmission* adm);
  // CheckSeqid for the owner of a stateid, whose client must still hold its
  // lease (BAD_STATEID without a client, EXPIRED); renews it on a decision
  // of OK. Shared by BeginOpenStateOp and BeginLockStateOp. REQUIRES: mu_
  std::optional<nfsstat4> CheckStateOwnerSeqid(const SeqidOwner& o, uint32_t seqid,
                                               uint32_t opnum, SeqidAdmission* adm);
  // Consumes `seqid` for `o`: its saved reply goes, this op's is expected.
  void Admit(OpenOwner& o, uint32_t seqid, uint32_t opnum, SeqidAdmission* adm);  // REQUIRES: mu_
  void Admit(LockOwner& o, uint32_t seqid, uint32_t opnum, SeqidAdmission* adm);  // REQUIRES: mu_
  void AdmitSeqid(SeqidOwner& o, uint32_t seqid, uint32_t opnum);                 // REQUIRES: mu_
  // The seqid handling of a 4.0 op on an open (lock) stateid: finds the
  // owner (of an open also after its CLOSE), answers a replay, else looks
  // the state up (LookupOpen / LookupLock; `file`, if given, must match) and
  // consumes the seqid unless the stateid is unknown, stale or of another
  // file. OK with adm->replay: answer from the cache. REQUIRES: mu_
  nfsstat4 BeginOpenStateOp(const Stateid& sid, uint32_t seqid, uint32_t opnum,
                            const FileHandle* file, SeqidAdmission* adm, OpenState** out);
  nfsstat4 BeginLockStateOp(const Stateid& sid, uint32_t seqid, uint32_t opnum,
                            const FileHandle* file, SeqidAdmission* adm, LockState** out);
  // The open-owner of an open stateid, or of one its last reply closed
  // (nullptr: neither). REQUIRES: mu_
  OpenOwner* OpenOwnerOf(const StateOther& other);
  // Drops an owner's entry in closed_. REQUIRES: mu_
  void ForgetClosed(OpenOwner& o);
  // Bounds a client's open-owners without opens (RFC 7530 section 9.1.10
  // lets the server release them). REQUIRES: mu_
  void PruneIdleOpenOwners(Client& c, const OpenOwner* keep);
  // The same for lock-owners without lock states. REQUIRES: mu_
  void PruneIdleLockOwners(Client& c);
  bool Expired(const Client& c) const;
  bool HasState(const Client& c) const;  // sessions or opens
  bool MakeRoomForClient();               // REQUIRES: mu_
  bool ShareConflict(const FileHandle& file, const OpenOwner* self, uint32_t access,
                     uint32_t deny);  // REQUIRES: mu_

  const StateOptions options_;
  const Clock& clock_;
  Random& random_;
  store::Store* const store_;
  uint32_t boot_epoch_;  // set in the constructor only

  std::mutex persist_mu_;  // serialises FlushRecords (taken before mu_)
  std::mutex mu_;
  std::vector<store::Transaction::Op> record_queue_;                       // GUARDED_BY(mu_)
  uint64_t queued_seq_ = 0;                                                // GUARDED_BY(mu_)
  std::atomic<uint64_t> committed_seq_{0};  // queued_seq_ of the last commit
  bool grace_ = false;                                                     // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point grace_end_;                        // GUARDED_BY(mu_)
  // Record ids of the previous instance's clients, and those of them that
  // have not sent RECLAIM_COMPLETE yet (only 4.1 clients can).
  std::unordered_set<std::string> reclaimable_;                            // GUARDED_BY(mu_)
  std::unordered_set<std::string> reclaim_pending_;                        // GUARDED_BY(mu_)
  uint64_t next_id_ = 1;                                                   // GUARDED_BY(mu_)
  std::unordered_map<uint64_t, std::unique_ptr<Client>> clients_;          // GUARDED_BY(mu_)
  std::map<SessionId, std::shared_ptr<Session>> sessions_;                 // GUARDED_BY(mu_)
  std::unordered_map<StateOther, std::unique_ptr<OpenState>, OtherHash> opens_;  // GUARDED_BY(mu_)
  std::unordered_multimap<FileHandle, OpenState*, FileKeyHash> opens_by_file_;  // GUARDED_BY(mu_)
  std::unordered_map<StateOther, std::unique_ptr<LockState>, OtherHash> locks_;  // GUARDED_BY(mu_)
  // Tombstones of revoked clients and their stateids, oldest dropped first.
  std::unordered_set<uint64_t> revoked_clients_;                      // GUARDED_BY(mu_)
  std::deque<uint64_t> revoked_clients_order_;                        // GUARDED_BY(mu_)
  std::unordered_set<StateOther, OtherHash> revoked_states_;          // GUARDED_BY(mu_)
  std::deque<StateOther> revoked_states_order_;                       // GUARDED_BY(mu_)
  std::unordered_multimap<FileHandle, LockState*, FileKeyHash> locks_by_file_;  // GUARDED_BY(mu_)
  // 4.0: the stateid `other` of each open a CLOSE removed, while that CLOSE
  // is its open-owner's last reply, so a retransmitted CLOSE still finds the
  // owner (RFC 7530 section 9.1.8). At most one entry per open-owner.
  std::unordered_map<StateOther, OpenOwner*, OtherHash> closed_;  // GUARDED_BY(mu_)
};

}  // namespace elfs::nfs4::state
