#include "nfs4/state/state_manager.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace elfs::nfs4::state {

namespace {

std::string ToKey(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

constexpr std::string_view kClientKind = "nfs4/client";
constexpr std::string_view kBootKind = "nfs4/boot";

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

// A client record's id: the minor version and the client's owner string
// (nfs_client_id4.id / client_owner4.co_ownerid), which is what a client
// presents again after the restart.
std::string RecordId(uint32_t minorversion, const std::string& owner) {
  return (minorversion == 0 ? "4.0:" : "4.1:") + Hex(owner);
}

uint32_t Clamp(uint32_t asked, uint32_t limit) { return asked == 0 ? limit : std::min(asked, limit); }

}  // namespace

size_t StateManager::OtherHash::operator()(const StateOther& o) const {
  uint64_t a, b;
  std::memcpy(&a, o.data(), 8);
  uint32_t c;
  std::memcpy(&c, o.data() + 8, 4);
  b = c;
  return static_cast<size_t>(a * 0x9E3779B97F4A7C15ull ^ b);
}

StateManager::StateManager(StateOptions options, const Clock& clock, Random& random,
                           store::Store* store)
    : options_(options),
      clock_(clock),
      random_(random),
      store_(store),
      // Wall-clock seconds make the epoch differ across restarts; a random
      // value would too, but the time is also useful when debugging.
      boot_epoch_(static_cast<uint32_t>(clock.Now().sec)) {
  LoadRecords();
}

StateManager::~StateManager() = default;

// ---- Restart recovery ----
//
// RFC 8881 section 8.4.2.1 (RFC 7530 section 9.6.3.4) lists the edge
// conditions a server must survive: (1) a client that did not reclaim in
// one grace period must not reclaim in the next, after another restart,
// state that others may have taken meanwhile; (2) a restart during a grace
// period must not cost the clients that had not come back yet their right
// to reclaim. So:
//  - a record is written when a client is confirmed (SETCLIENTID_CONFIRM,
//    the CREATE_SESSION that confirms) before the reply, and removed when
//    the client is destroyed, expires or is replaced by a rebooted one;
//  - at start, the records present name the clients that may reclaim; they
//    stay in the store through the grace period (condition 2), and at its
//    end those of clients that did not come back are removed (condition 1).
// Clients confirmed during the grace period get records too; since no new
// state is granted then, a later reclaim by one of them can only claim
// what the others reclaim (the same limit every server has).
//
// The boot epoch inside client ids and stateids is kept in the store too
// ("nfs4/boot"), so two instances never share one even when they start in
// the same second (kill -9 and an immediate restart).

void StateManager::LoadRecords() {
  if (!store_) return;
  if (auto boot = store_->Get(kBootKind, "epoch"); !boot) {
    spdlog::error("nfs4: reading the boot epoch: {}", boot.error().ToString());
  } else {
    if (*boot) {
      auto j = nlohmann::json::parse((*boot)->value, nullptr, false);
      if (j.is_object() && j.contains("epoch") && j["epoch"].is_number_unsigned()) {
        uint32_t last = j["epoch"].get<uint32_t>();
        if (boot_epoch_ <= last) boot_epoch_ = last + 1;
      }
    }
    store::Transaction txn;
    txn.Put(std::string(kBootKind), "epoch", nlohmann::json{{"epoch", boot_epoch_}}.dump());
    if (Status s = store_->Commit(txn); !s.ok())
      spdlog::error("nfs4: saving the boot epoch: {}", s.ToString());
  }
  auto records = store_->List(kClientKind);
  if (!records) {
    // Without the list no client can be told apart: grant no reclaims
    // rather than wrong ones.
    spdlog::error("nfs4: reading client records: {}", records.error().ToString());
    return;
  }
  for (const store::Record& r : *records) {
    reclaimable_.insert(r.id);
    reclaim_pending_.insert(r.id);
  }
  if (reclaimable_.empty()) return;
  grace_ = true;
  grace_end_ = clock_.Monotonic() + options_.grace_time;
  spdlog::info("nfs4: grace period of {} s for {} client(s) of the previous instance",
               options_.grace_time.count(), reclaimable_.size());
}

namespace {
// The sequence number of the last record change this thread queued and has
// not seen committed yet; 0: none. RecordFlush waits only for its own
// thread's changes, so READs and WRITEs never wait for an fsync.
thread_local uint64_t t_record_target = 0;
}  // namespace

void StateManager::QueueRecord(store::Transaction::Op op) {
  record_queue_.push_back(std::move(op));
  t_record_target = ++queued_seq_;
}

void StateManager::FlushRecords() {
  const uint64_t target = std::exchange(t_record_target, 0);
  if (!store_ || target == 0 || committed_seq_.load() >= target) return;
  std::lock_guard plock(persist_mu_);
  // Another thread may have committed this change meanwhile.
  if (committed_seq_.load() >= target) return;
  std::vector<store::Transaction::Op> ops;
  uint64_t upto;
  {
    std::lock_guard lock(mu_);
    ops.swap(record_queue_);
    upto = queued_seq_;
  }
  store::Transaction txn;
  for (auto& op : ops) {
    if (op.type == store::Transaction::Op::Type::kPut)
      txn.Put(std::move(op.key.kind), std::move(op.key.id), std::move(op.value));
    else
      txn.Delete(std::move(op.key.kind), std::move(op.key.id));
  }
  // A failed write costs the client its reclaim after a restart (or, for a
  // delete, lets a stale record into the next grace period, where the
  // client finds no state of its own to reclaim); it does not make the
  // running server wrong, so the request goes on.
  if (Status s = store_->Commit(txn); !s.ok())
    spdlog::error("nfs4: writing {} client record change(s): {}", ops.size(), s.ToString());
  committed_seq_.store(upto);
}

void StateManager::PersistClient(Client& c) {
  if (!store_) return;
  nlohmann::json j = {{"minor_version", c.minorversion},
                      {"owner", Hex(c.owner)},
                      {"flavor", c.principal.flavor},
                      {"uid", c.principal.uid},
                      {"machine_name", c.principal.machine_name},
                      {"clientid", c.clientid},
                      {"confirmed_at", clock_.Now().sec}};
  store::Transaction::Op op{store::Transaction::Op::Type::kPut,
                            {std::string(kClientKind), RecordId(c.minorversion, c.owner)},
                            // Machine names are the client's bytes: never
                            // let invalid UTF-8 fail the dump.
                            j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                            std::nullopt};
  QueueRecord(std::move(op));
  c.persisted = true;
}

void StateManager::OnConfirmed(Client& c) {
  PersistClient(c);
  if (GraceActive() && reclaimable_.count(RecordId(c.minorversion, c.owner))) c.may_reclaim = true;
}

bool StateManager::GraceActive() {
  if (!grace_) return false;
  if (clock_.Monotonic() < grace_end_ && !reclaim_pending_.empty()) return true;
  grace_ = false;
  std::unordered_set<std::string> back;
  for (const auto& [id, c] : clients_)
    if (c->confirmed && c->persisted) back.insert(RecordId(c->minorversion, c->owner));
  size_t dropped = 0;
  for (const std::string& id : reclaimable_) {
    if (back.count(id)) continue;
    QueueRecord({store::Transaction::Op::Type::kDelete,
                             {std::string(kClientKind), id}, {}, std::nullopt});
    ++dropped;
  }
  reclaimable_.clear();
  reclaim_pending_.clear();
  for (auto& [id, c] : clients_) c->may_reclaim = false;
  spdlog::info("nfs4: grace period over; {} client(s) did not come back", dropped);
  return false;
}

bool StateManager::InGrace() {
  RecordFlush flush(*this);
  std::lock_guard lock(mu_);
  return GraceActive();
}

nfsstat4 StateManager::CheckReclaim(uint64_t clientid) {
  RecordFlush flush(*this);
  std::lock_guard lock(mu_);
  return ReclaimStatus(clientid);
}

nfsstat4 StateManager::CheckNewState(uint32_t minorversion, uint64_t clientid) {
  RecordFlush flush(*this);
  std::lock_guard lock(mu_);
  return NewStateStatus(minorversion, clientid);
}

nfsstat4 StateManager::ReclaimStatus(uint64_t clientid) {
  if (!GraceActive()) return NFS4ERR_NO_GRACE;
  Client* c = FindClient(clientid);
  if (!c) return NFS4ERR_STALE_CLIENTID;
  // RFC 8881 section 18.51.3: after RECLAIM_COMPLETE no more reclaims.
  if (c->reclaim_complete) return NFS4ERR_NO_GRACE;
  if (!c->may_reclaim) return NFS4ERR_RECLAIM_BAD;
  return NFS4_OK;
}

nfsstat4 StateManager::NewStateStatus(uint32_t minorversion, uint64_t clientid) {
  if (GraceActive()) return NFS4ERR_GRACE;
  if (minorversion >= 1) {
    // RFC 8881 section 18.51.3: no new state before RECLAIM_COMPLETE.
    Client* c = FindClient(clientid);
    if (!c || !c->reclaim_complete) return NFS4ERR_GRACE;
  }
  return NFS4_OK;
}

uint64_t StateManager::NewClientId() { return (uint64_t{boot_epoch_} << 32) | next_id_++; }

StateOther StateManager::NewOther() {
  StateOther o;
  uint32_t e = boot_epoch_;
  std::memcpy(o.data(), &e, 4);
  uint64_t n = next_id_++;
  std::memcpy(o.data() + 4, &n, 8);
  return o;
}

bool StateManager::HasState(const Client& c) const {
  if (!c.sessions.empty()) return true;
  for (const auto& [name, owner] : c.open_owners)
    if (!owner->opens.empty()) return true;
  return false;
}

bool StateManager::Expired(const Client& c) const {
  return clock_.Monotonic() - c.last_renew > options_.lease_time;
}

StateManager::Client* StateManager::FindClient(uint64_t clientid) {
  auto it = clients_.find(clientid);
  return it == clients_.end() ? nullptr : it->second.get();
}

StateManager::Client* StateManager::FindConfirmed(const std::string& owner) {
  for (auto& [id, c] : clients_)
    if (c->confirmed && c->owner == owner) return c.get();
  return nullptr;
}

StateManager::Client* StateManager::FindUnconfirmed(const std::string& owner) {
  for (auto& [id, c] : clients_)
    if (!c->confirmed && c->owner == owner) return c.get();
  return nullptr;
}

nfsstat4 StateManager::CheckClientId(uint64_t clientid, Client** out) {
  Client* c = FindClient(clientid);
  if (!c) {
    // RFC 7530 section 9.1.3: an id from another boot is STALE.
    return revoked_clients_.count(clientid) ? NFS4ERR_EXPIRED : NFS4ERR_STALE_CLIENTID;
  }
  if (c->minorversion == 0 && Expired(*c)) {
    // The lease ran out: the client must establish a new one. The record
    // stays (courtesy) until another client needs its state or the sweep
    // of ExpireLeases removes it.
    return NFS4ERR_EXPIRED;
  }
  *out = c;
  return NFS4_OK;
}

void StateManager::RemoveOpen(OpenState* st) {
  while (!st->locks.empty()) RemoveLockState(st->locks.back());
  auto range = opens_by_file_.equal_range(st->file);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second == st) {
      opens_by_file_.erase(it);
      break;
    }
  }
  auto& v = st->owner->opens;
  v.erase(std::remove(v.begin(), v.end(), st), v.end());
  if (Client* c = FindClient(st->owner->clientid)) c->opens--;
  opens_.erase(st->other);
}

void StateManager::RemoveClient(uint64_t clientid) {
  auto it = clients_.find(clientid);
  if (it == clients_.end()) return;
  Client& c = *it->second;
  for (auto& [name, owner] : c.open_owners) {
    while (!owner->opens.empty()) RemoveOpen(owner->opens.back());
    ForgetClosed(*owner);
  }
  for (auto& [name, owner] : c.lock_owners) {
    while (!owner->states.empty()) RemoveLockState(owner->states.back());
  }
  for (const SessionId& sid : c.sessions) sessions_.erase(sid);
  if (c.persisted) {
    QueueRecord({store::Transaction::Op::Type::kDelete,
                             {std::string(kClientKind), RecordId(c.minorversion, c.owner)},
                             {},
                             std::nullopt});
  }
  clients_.erase(it);
}

void StateManager::RevokeClient(uint64_t clientid, Why why) {
  constexpr size_t kMaxRevokedClients = 4096, kMaxRevokedStates = 65536;
  auto it = clients_.find(clientid);
  if (it == clients_.end()) return;
  auto remember_state = [this](const StateOther& o) {
    if (!revoked_states_.insert(o).second) return;
    revoked_states_order_.push_back(o);
    if (revoked_states_order_.size() > kMaxRevokedStates) {
      revoked_states_.erase(revoked_states_order_.front());
      revoked_states_order_.pop_front();
    }
  };
  for (auto& [name, owner] : it->second->open_owners)
    for (const OpenState* st : owner->opens) remember_state(st->other);
  for (auto& [name, owner] : it->second->lock_owners)
    for (const LockState* ls : owner->states) remember_state(ls->other);
  if (why == Why::kLeaseLapsed && revoked_clients_.insert(clientid).second) {
    revoked_clients_order_.push_back(clientid);
    if (revoked_clients_order_.size() > kMaxRevokedClients) {
      revoked_clients_.erase(revoked_clients_order_.front());
      revoked_clients_order_.pop_front();
    }
  }
  RemoveClient(clientid);
}

void StateManager::ExpireLeases() {
  RecordFlush flush(*this);
  std::lock_guard lock(mu_);
  std::vector<uint64_t> dead;
  for (auto& [id, c] : clients_) {
    // Unconfirmed records and clients silent for two leases go; a client
    // only just past its lease keeps its state until someone else needs it
    // (courtesy, as RFC 8881 section 8.4.3 permits).
    if (clock_.Monotonic() - c->last_renew > 2 * options_.lease_time ||
        (!c->confirmed && Expired(*c)))
      dead.push_back(id);
  }
  for (uint64_t id : dead) RevokeClient(id, Why::kLeaseLapsed);
}

bool StateManager::MakeRoomForClient() {
  if (clients_.size() < options_.max_clients) return true;
  // Unconfirmed records cost nothing to drop and must not let one client
  // lock every other out: evict the oldest.
  Client* oldest = nullptr;
  for (auto& [id, c] : clients_)
    if (!c->confirmed && (!oldest || c->last_renew < oldest->last_renew)) oldest = c.get();
  if (!oldest) return false;
  RemoveClient(oldest->clientid);
  return true;
}

size_t StateManager::client_count() {
  std::lock_guard lock(mu_);
  return clients_.size();
}

size_t StateManager::open_count() {
  std::lock_guard lock(mu_);
  return opens_.size();
}

size_t StateManager::lock_state_count() {
  std::lock_guard lock(mu_);
  return locks_.size();
}

// ---- NFSv4.0 ----

NfsResult<StateManager::SetClientIdResult> StateManager::SetClientId(
    const Verifier& verifier, std::span<const uint8_t> owner_bytes, const ClientPrincipal& who) {
  ExpireLeases();
  RecordFlush flush(*this);
  std::lock_guard lock(mu_);
  std::string owner = ToKey(owner_bytes);
  if (!MakeRoomForClient()) return NfsErr(NFS4ERR_RESOURCE);
  Client* confirmed = FindConfirmed(owner);
  if (confirmed && confirmed->minorversion != 0) return NfsErr(NFS4ERR_CLID_INUSE);
  if (confirmed && !(confirmed->principal == who) && !Expired(*confirmed) &&
      !confirmed->open_owners.empty()) {
    // RFC 7530 section 16.33.5, case 1: another principal holds this id.
    return NfsErr(NFS4ERR_CLID_INUSE);
  }
  // Any earlier unconfirmed record of this owner is replaced.
  if (Client* unconf = FindUnconfirmed(owner)) RemoveClient(unconf->clientid);

  auto c = std::make_unique<Client>();
  // Same verifier as the confirmed record: the client updates its callback
  // and keeps its id; a new verifier means it rebooted and gets a new id.
  c->clientid = (confirmed && confirmed->verifier == verifier) ? confirmed->clientid : NewClientId();
  c->owner = owner;
  c->verifier = verifier;
  random_.Fill(c->confirm);
  c->principal = who;
  c->minorversion = 0;
  c->last_renew = clock_.Monotonic();
  SetClientIdResult r{c->clientid, c->confirm};
  if (confirmed && confirmed->clientid == c->clientid) {
    // Keep the confirmed record in place; remember the pending confirm.
    confirmed->confirm = c->confirm;
    confirmed->last_renew = c->last_renew;
    return r;
  }
  clients_[c->clientid] = std::move(c);
  return r;
}

nfsstat4 StateManager::SetClientIdConfirm(uint64_t clientid, const Verifier& confirm,
                                          const ClientPrincipal& who) {
  RecordFlush flush(*this);
  std::lock_guard lock(mu_);
  Client* c = FindClient(clientid);
  if (!c || c->minorversion != 0) return NFS4ERR_STALE_CLIENTID;
  if (c->confirm != confirm) return NFS4ERR_STALE_CLIENTID;
  if (!(c->principal == who)) return NFS4ERR_CLID_INUSE;
  if (!c->confirmed) {
    // The client rebooted: its earlier confirmed record and state go.
    if (Client* old = FindConfirmed(c->owner); old && old != c)
      RevokeClient(old->clientid, Why::kClientRebooted);
    c->confirmed = true;
    OnConfirmed(*c);
  }
  c->last_renew = clock_.Monotonic();
  return NFS4_OK;
}

nfsstat4 StateManager::Renew(uint64_t clientid) {
  std::lock_guard lock(mu_);
  Client* c = nullptr;
  if (nfsstat4 s = CheckClientId(clientid, &c); s != NFS4_OK) return s;
  if (!c->confirmed) return NFS4ERR_STALE_CLIENTID;
  c->last_renew = clock_.Monotonic();
  return NFS4_OK;
}

// ---- NFSv4.1 ----

NfsResult<StateManager::ExchangeIdResult> StateManager::ExchangeId(
    const Verifier& verifier, std::span<const uint8_t> owner_bytes, uint32_t flags,
    const ClientPrincipal& who) {
  ExpireLeases();
  RecordFlush flush(*this);
  std::lock_guard lock(mu_);
  std::string owner = ToKey(owner_bytes);
  Client* confirmed = FindConfirmed(owner);
  const uint32_t reply_flags = EXCHGID4_FLAG_USE_NON_PNFS;

  if (flags & EXCHGID4_FLAG_UPD_CONFIRMED_REC_A) {
    // RFC 8881 section 18.35.5, cases 6-9: update of a confirmed record.
    if (!confirmed) return NfsErr(NFS4ERR_NOENT);
    if (confirmed->verifier != verifier) return NfsErr(NFS4ERR_NOT_SAME);
    if (!(confirmed->principal == who)) return NfsErr(NFS4ERR_PERM);
    confirmed->last_renew = clock_.Monotonic();
    return ExchangeIdResult{confirmed->clientid, confirmed->cs_sequence,
                            reply_flags | EXCHGID4_FLAG_CONFIRMED_R};
  }
  if (confirmed && confirmed->minorversion == 0) {
    // A 4.0 client id of the same owner: treat as a different client.
    confirmed = nullptr;
  }
  if (confirmed && confirmed->verifier == verifier && confirmed->principal == who) {
    // Case 2: the same client again; nothing changes.
    confirmed->last_renew = clock_.Monotonic();
    return ExchangeIdResult{confirmed->clientid, confirmed->cs_sequence,
                            reply_flags | EXCHGID4_FLAG_CONFIRMED_R};
  }
  if (!MakeRoomForClient()) return NfsErr(NFS4ERR_RESOURCE);
  // Cases 1, 3, 4, 5: a new unconfirmed record replaces any earlier
  // unconfirmed one; a confirmed one is replaced when this one is confirmed
  // by CREATE_SESSION.
  if (Client* unconf = FindUnconfirmed(owner)) RemoveClient(unconf->clientid);
  if (confirmed && !(confirmed->principal == who) && (!HasState(*confirmed) || Expired(*confirmed))) {
    // Case 3: another principal takes over an id that holds nothing.
    RemoveClient(confirmed->clientid);
  }
  auto c = std::make_unique<Client>();
  c->clientid = NewClientId();
  c->owner = owner;
  c->verifier = verifier;
  c->principal = who;
  c->minorversion = 1;
  c->cs_sequence = 1;
  c->last_renew = clock_.Monotonic();
  ExchangeIdResult r{c->clientid, c->cs_sequence, reply_flags};
  clients_[c->clientid] = std::move(c);
  return r;
}

NfsResult<StateManager::CreateSessionResult> StateManager::CreateSession(
    const CreateSessionArgs& args, const ClientPrincipal& who) {
  RecordFlush flush(*this);
  std::lock_guard lock(mu_);
  Client* c = FindClient(args.clientid);
  if (!c || c->minorversion == 0) return NfsErr(NFS4ERR_STALE_CLIENTID);
  if (!c->confirmed && Expired(*c)) {
    // RFC 8881 section 18.35.4: an unconfirmed record not confirmed
    // within a lease is gone.
    RemoveClient(args.clientid);
    return NfsErr(NFS4ERR_STALE_CLIENTID);
  }
  if (!c->confirmed && !(c->principal == who)) return NfsErr(NFS4ERR_CLID_INUSE);
  // RFC 8881 section 18.36.4: the create-session sequence id.
  if (args.sequence + 1 == c->cs_sequence && c->last_cs) return *c->last_cs;  // replay
  if (args.sequence != c->cs_sequence) return NfsErr(NFS4ERR_SEQ_MISORDERED);

  if (args.flags & ~(CREATE_SESSION4_FLAG_PERSIST | CREATE_SESSION4_FLAG_CONN_BACK_CHAN |
                     CREATE_SESSION4_FLAG_CONN_RDMA))
    return NfsErr(NFS4ERR_INVAL);
  const ChannelAttrs& f = args.fore;
  const ChannelAttrs& b = args.back;
  // Channels too small to carry a SEQUENCE (or CB_SEQUENCE) and its reply.
  constexpr uint32_t kMinMessage = 256;
  if (f.maxrequestsize < kMinMessage || f.maxresponsesize < kMinMessage ||
      b.maxrequestsize < kMinMessage || b.maxresponsesize < kMinMessage)
    return NfsErr(NFS4ERR_TOOSMALL);
  if (c->sessions.size() >= 16) return NfsErr(NFS4ERR_RESOURCE);
  // The client's reply cache budget: its other sessions' share first, then
  // as many slots of this one's cached size as fit (at least one).
  size_t cache_used = 0;
  for (const SessionId& sid : c->sessions) {
    auto other = sessions_.find(sid);
    if (other == sessions_.end()) continue;
    const ChannelAttrs& o = other->second->fore;
    cache_used += size_t{o.maxrequests} * o.maxresponsesize_cached;
  }
  const uint32_t cached_size = std::min(f.maxresponsesize_cached, options_.max_response_size_cached);
  const size_t cache_left =
      cache_used < options_.max_reply_cache_per_client ? options_.max_reply_cache_per_client - cache_used : 0;
  const size_t slots_that_fit = cached_size == 0 ? options_.max_slots : cache_left / cached_size;
  if (slots_that_fit == 0) return NfsErr(NFS4ERR_RESOURCE);

  auto session = std::make_shared<Session>();
  random_.Fill(session->id);
  // Make the first 8 bytes the client id, so a session id names its client.
  std::memcpy(session->id.data(), &c->clientid, 8);
  session->clientid = c->clientid;
  // No persistent reply cache, no RDMA; keep the back channel flag.
  session->flags = args.flags & CREATE_SESSION4_FLAG_CONN_BACK_CHAN;
  session->fore.headerpadsize = 0;
  session->fore.maxrequestsize = std::min(f.maxrequestsize, options_.max_request_size);
  session->fore.maxresponsesize = std::min(f.maxresponsesize, options_.max_response_size);
  session->fore.maxresponsesize_cached = cached_size;
  session->fore.maxoperations = Clamp(f.maxoperations, options_.max_operations);
  session->fore.maxrequests =
      Clamp(f.maxrequests, static_cast<uint32_t>(std::min<size_t>(options_.max_slots, slots_that_fit)));
  session->back = args.back;
  session->back.headerpadsize = 0;
  session->back.has_rdma_ird = false;
  session->back.maxrequests = Clamp(args.back.maxrequests, 4);
  session->cb_program = args.cb_program;
  session->back_channel = std::make_shared<nfs4::BackChannel>(clock_, args.cb_program);
  session->slots.resize(session->fore.maxrequests);

  if (!c->confirmed) {
    if (Client* old = FindConfirmed(c->owner); old && old != c)
      RevokeClient(old->clientid, Why::kClientRebooted);
    c->confirmed = true;
    OnConfirmed(*c);
  }
  c->cs_sequence++;
  c->last_renew = clock_.Monotonic();
  c->sessions.push_back(session->id);
  sessions_[session->id] = session;

  CreateSessionResult r{session->id, args.sequence, session->flags, session->fore, session->back};
  c->last_cs = r;
  return r;
}

std::shared_ptr<Session> StateManager::FindSession(const SessionId& id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Session>> StateManager::SessionsOf(uint64_t clientid) {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Session>> out;
  if (Client* c = FindClient(clientid)) {
    for (const SessionId& id : c->sessions)
      if (auto it = sessions_.find(id); it != sessions_.end()) out.push_back(it->second);
  }
  return out;
}

nfsstat4 StateManager::DestroySession(const SessionId& id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return NFS4ERR_BADSESSION;
  if (Client* c = FindClient(it->second->clientid)) {
    auto& v = c->sessions;
    v.erase(std::remove(v.begin(), v.end(), id), v.end());
  }
  sessions_.erase(it);
  return NFS4_OK;
}

nfsstat4 StateManager::DestroyClientId(uint64_t clientid) {
  RecordFlush flush(*this);
  std::lock_guard lock(mu_);
  Client* c = FindClient(clientid);
  if (!c) return NFS4ERR_STALE_CLIENTID;
  // RFC 8881 section 18.50.3: not while it has sessions or state.
  if (HasState(*c)) return NFS4ERR_CLIENTID_BUSY;
  RemoveClient(clientid);
  return NFS4_OK;
}

NfsResult<SequenceResult> StateManager::BeginSequence(const SessionId& id, uint32_t sequenceid,
                                                      uint32_t slotid, uint32_t highest_slotid) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return NfsErr(NFS4ERR_BADSESSION);
    session = it->second;
    Client* c = FindClient(session->clientid);
    if (!c) return NfsErr(NFS4ERR_BADSESSION);
    c->last_renew = clock_.Monotonic();  // SEQUENCE renews the lease
  }
  std::lock_guard slock(session->mu);
  const uint32_t nslots = static_cast<uint32_t>(session->slots.size());
  if (slotid >= nslots) return NfsErr(NFS4ERR_BADSLOT);
  if (highest_slotid >= nslots) return NfsErr(NFS4ERR_BAD_HIGH_SLOT);
  Slot& slot = session->slots[slotid];
  SequenceResult r;
  r.session = session;
  r.slotid = slotid;
  r.highest_slotid = nslots - 1;
  r.target_highest_slotid = nslots - 1;
  // RFC 8881 section 2.10.6.1: same seqid = retransmission, +1 = new.
  if (sequenceid == slot.seqid && slot.has_reply) {
    if (slot.in_use) return NfsErr(NFS4ERR_DELAY);  // the original still runs
    if (!slot.reply_cached) return NfsErr(NFS4ERR_RETRY_UNCACHED_REP);
    r.replay = true;
    r.cached = slot.reply;
    return r;
  }
  if (sequenceid != slot.seqid + 1) {
    if (slot.in_use && sequenceid == slot.seqid) return NfsErr(NFS4ERR_DELAY);
    return NfsErr(NFS4ERR_SEQ_MISORDERED);
  }
  if (slot.in_use) return NfsErr(NFS4ERR_DELAY);
  slot.in_use = true;
  slot.seqid = sequenceid;
  slot.has_reply = false;
  return r;
}

void StateManager::EndSequence(Session& session, uint32_t slotid, bool cache,
                               std::span<const uint8_t> reply) {
  std::lock_guard slock(session.mu);
  if (slotid >= session.slots.size()) return;
  Slot& slot = session.slots[slotid];
  slot.in_use = false;
  slot.has_reply = true;
  slot.reply_cached = cache;
  if (cache) {
    slot.reply.assign(reply.begin(), reply.end());
  } else {
    slot.reply.clear();
  }
}

nfsstat4 StateManager::ReclaimComplete(uint64_t clientid) {
  RecordFlush flush(*this);
  std::lock_guard lock(mu_);
  Client* c = FindClient(clientid);
  if (!c) return NFS4ERR_STALE_CLIENTID;
  if (c->reclaim_complete) return NFS4ERR_COMPLETE_ALREADY;
  c->reclaim_complete = true;
  if (c->may_reclaim) {
    // The grace period may end early once all have come back.
    reclaim_pending_.erase(RecordId(c->minorversion, c->owner));
    c->may_reclaim = false;
    GraceActive();
  }
  return NFS4_OK;
}

// ---- Open state ----

// ---- NFSv4.0 seqids and the per-owner reply cache ----
//
// RFC 7530 section 9.1.7: a state-owner's request with seqid L+1 (L the
// last one) is executed and, whatever its outcome except the few errors
// listed there (BAD_STATEID, STALE_STATEID, BAD_SEQID, ...), consumes the
// seqid; a duplicate of the last request (seqid L) gets the stored reply
// (section 9.1.8); anything else is NFS4ERR_BAD_SEQID. We also require the
// duplicate to be the same operation, so a different op that reuses L is
// BAD_SEQID rather than the answer to something else.
//
// CLOSE, OPEN_DOWNGRADE, OPEN_CONFIRM, LOCK and LOCKU name their owner only
// through a stateid, and a CLOSE's stateid is gone once it succeeded: a
// retransmitted CLOSE must still find its owner. Each open-owner therefore
// remembers the `other` of the open its last reply closed, indexed in
// closed_; the entry goes as soon as the owner's seqid moves on, since only
// the last request can be replayed. That bounds closed_ by the number of
// open-owners, which (with their cached replies) stay until their client
// goes; RFC 7530 section 9.1.10 permits releasing owners without state
// earlier, which PruneIdleOpenOwners does when a client has very many.

namespace {
// Open-owners (lock-owners) of one client beyond which those without opens
// (lock states) are released.
constexpr size_t kMaxOpenOwnersPerClient = 1024;
}  // namespace

std::optional<nfsstat4> StateManager::CheckSeqid(const SeqidOwner& o, uint32_t seqid,
                                                 uint32_t opnum, SeqidAdmission* adm) {
  if (seqid == o.seqid) {
    // The original may still be running (a retransmission on a new
    // connection): the client tries again later and then gets its reply.
    if (o.pending_op != 0) return o.pending_op == opnum ? NFS4ERR_DELAY : NFS4ERR_BAD_SEQID;
    if (o.last_reply && o.last_reply->opnum == opnum) {
      adm->replay = o.last_reply;
      return NFS4_OK;
    }
    return NFS4ERR_BAD_SEQID;
  }
  if (seqid != o.seqid + 1) return NFS4ERR_BAD_SEQID;
  return std::nullopt;
}

std::optional<nfsstat4> StateManager::CheckStateOwnerSeqid(const SeqidOwner& o, uint32_t seqid,
                                                           uint32_t opnum, SeqidAdmission* adm) {
  Client* c = FindClient(o.clientid);
  if (!c) return NFS4ERR_BAD_STATEID;
  if (Expired(*c)) return NFS4ERR_EXPIRED;
  auto s = CheckSeqid(o, seqid, opnum, adm);
  if (s == NFS4_OK) c->last_renew = clock_.Monotonic();
  return s;
}

void StateManager::Admit(OpenOwner& o, uint32_t seqid, uint32_t opnum, SeqidAdmission* adm) {
  ForgetClosed(o);
  AdmitSeqid(o, seqid, opnum);
  adm->save_for = OwnerKey{false, o.clientid, o.owner, seqid};
}

void StateManager::Admit(LockOwner& o, uint32_t seqid, uint32_t opnum, SeqidAdmission* adm) {
  AdmitSeqid(o, seqid, opnum);
  adm->save_for = OwnerKey{true, o.clientid, o.owner, seqid};
}

void StateManager::AdmitSeqid(SeqidOwner& o, uint32_t seqid, uint32_t opnum) {
  o.seqid_before = o.seqid;
  o.reply_before = std::move(o.last_reply);
  o.seqid = seqid;
  o.last_reply.reset();
  o.pending_op = opnum;
}

void StateManager::SaveOwnerReply(const OwnerKey& key, uint32_t opnum, nfsstat4 status,
                                  std::span<const uint8_t> body,
                                  const std::optional<vfs::Handle>& cfh) {
  std::lock_guard lock(mu_);
  Client* c = FindClient(key.clientid);
  if (!c) return;
  SeqidOwner* o = nullptr;
  if (key.lock_owner) {
    auto it = c->lock_owners.find(key.owner);
    if (it != c->lock_owners.end()) o = it->second.get();
  } else {
    auto it = c->open_owners.find(key.owner);
    if (it != c->open_owners.end()) o = it->second.get();
  }
  // Gone, or a later request was admitted meanwhile: this reply is stale.
  if (!o || o->seqid != key.seqid || o->pending_op != opnum) return;
  o->pending_op = 0;
  std::optional<OwnerReply> before = std::move(o->reply_before);
  o->reply_before.reset();
  if (status == NFS4ERR_RESOURCE) {
    // RFC 7530 section 9.1.7: NFS4ERR_RESOURCE (a per-client limit, found
    // after the seqid was admitted) does not consume it; the client sends
    // the same seqid again (Linux does), so the owner goes back to before.
    o->seqid = o->seqid_before;
    o->last_reply = std::move(before);
    return;
  }
  if (body.size() > kMaxOwnerReplyBody) return;
  OwnerReply r;
  r.opnum = opnum;
  r.status = status;
  r.body.assign(body.begin(), body.end());
  r.cfh = cfh;
  o->last_reply = std::move(r);
}

StateManager::OpenOwner* StateManager::OpenOwnerOf(const StateOther& other) {
  if (auto it = opens_.find(other); it != opens_.end()) return it->second->owner;
  if (auto it = closed_.find(other); it != closed_.end()) return it->second;
  return nullptr;
}

void StateManager::ForgetClosed(OpenOwner& o) {
  if (!o.closed) return;
  closed_.erase(*o.closed);
  o.closed.reset();
}

void StateManager::PruneIdleLockOwners(Client& c) {
  if (c.lock_owners.size() < kMaxOpenOwnersPerClient) return;
  std::erase_if(c.lock_owners, [](const auto& kv) { return kv.second->states.empty(); });
}

void StateManager::PruneIdleOpenOwners(Client& c, const OpenOwner* keep) {
  if (c.open_owners.size() < kMaxOpenOwnersPerClient) return;
  for (auto it = c.open_owners.begin(); it != c.open_owners.end();) {
    OpenOwner& o = *it->second;
    if (&o != keep && o.opens.empty() && o.pending_op == 0) {
      ForgetClosed(o);
      it = c.open_owners.erase(it);
    } else {
      ++it;
    }
  }
}

nfsstat4 StateManager::BeginOpenStateOp(const Stateid& sid, uint32_t seqid, uint32_t opnum,
                                        const FileHandle* file, SeqidAdmission* adm,
                                        OpenState** out) {
  OpenOwner* o = sid.IsSpecial() ? nullptr : OpenOwnerOf(sid.other);
  if (o) {
    if (auto s = CheckStateOwnerSeqid(*o, seqid, opnum, adm)) return *s;
  }
  // Unknown and stale stateids leave the seqid alone; an old one does not.
  nfsstat4 s = LookupOpen(0, 0, sid, out);
  if (s == NFS4_OK && file && !((*out)->file == *file)) return NFS4ERR_BAD_STATEID;
  if (o && (s == NFS4_OK || s == NFS4ERR_OLD_STATEID)) Admit(*o, seqid, opnum, adm);
  return s;
}

nfsstat4 StateManager::BeginOpen(uint32_t minorversion, uint64_t clientid,
                                 std::span<const uint8_t> owner_bytes, uint32_t seqid,
                                 SeqidAdmission* adm) {
  std::lock_guard lock(mu_);
  Client* c = nullptr;
  if (nfsstat4 s = CheckClientId(clientid, &c); s != NFS4_OK) return s;
  if (!c->confirmed) return NFS4ERR_STALE_CLIENTID;
  c->last_renew = clock_.Monotonic();
  std::string key = ToKey(owner_bytes);
  auto it = c->open_owners.find(key);
  if (it == c->open_owners.end()) {
    PruneIdleOpenOwners(*c, nullptr);
    if (c->open_owners.size() >= options_.max_owners_per_client) return NFS4ERR_RESOURCE;
    auto fresh = std::make_unique<OpenOwner>();
    OpenOwner& o = *fresh;
    o.clientid = clientid;
    o.owner = key;
    o.seqid = seqid;
    o.confirmed = minorversion >= 1;
    c->open_owners.emplace(key, std::move(fresh));
    if (minorversion == 0) Admit(o, seqid, OP_OPEN, adm);
    return NFS4_OK;
  }
  if (minorversion >= 1) return NFS4_OK;
  OpenOwner& o = *it->second;
  const bool duplicate = seqid == o.seqid && (o.pending_op != 0 || o.last_reply);
  if (!o.confirmed && o.opens.empty() && !duplicate) {
    // RFC 7530 section 16.18.5: an unconfirmed owner may start over.
    Admit(o, seqid, OP_OPEN, adm);
    return NFS4_OK;
  }
  if (auto s = CheckSeqid(o, seqid, OP_OPEN, adm)) return *s;
  Admit(o, seqid, OP_OPEN, adm);
  return NFS4_OK;
}

bool StateManager::ShareConflict(const FileHandle& file, const OpenOwner* self, uint32_t access,
                                 uint32_t deny) {
  // A client whose lease ran out keeps its state only until someone else
  // needs it (courtesy, RFC 8881 section 8.4.3): then it is revoked.
  std::vector<uint64_t> expired;
  auto range = opens_by_file_.equal_range(file);
  for (auto it = range.first; it != range.second; ++it) {
    const Client* c = FindClient(it->second->owner->clientid);
    if (c && Expired(*c) && (!self || c->clientid != self->clientid)) expired.push_back(c->clientid);
  }
  for (uint64_t id : expired) RevokeClient(id, Why::kLeaseLapsed);
  range = opens_by_file_.equal_range(file);
  for (auto it = range.first; it != range.second; ++it) {
    const OpenState* other = it->second;
    // The owner's own opens count too (RFC 7530 section 16.16.5): holding
    // deny-read and then asking for read access is refused.
    if ((other->share_deny & access) || (deny & other->share_access)) return true;
  }
  return false;
}

NfsResult<OpenResult> StateManager::Open(uint32_t minorversion, uint64_t clientid,
                                         std::span<const uint8_t> owner_bytes,
                                         const FileHandle& file, uint32_t share_access,
                                         uint32_t share_deny, bool reclaim) {
  RecordFlush flush(*this);
  std::lock_guard lock(mu_);
  Client* c = FindClient(clientid);
  if (!c) return NfsErr(NFS4ERR_STALE_CLIENTID);
  auto oit = c->open_owners.find(ToKey(owner_bytes));
  if (oit == c->open_owners.end()) return NfsErr(NFS4ERR_SERVERFAULT);
  OpenOwner* owner = oit->second.get();
  // A reclaimed open was confirmed before the restart (as knfsd does, no
  // OPEN_CONFIRM is asked for it).
  if (reclaim) owner->confirmed = true;
  if (ShareConflict(file, owner, share_access, share_deny)) return NfsErr(NFS4ERR_SHARE_DENIED);

  for (OpenState* st : owner->opens) {
    if (st->file == file) {
      // RFC 8881 section 18.16.3: the same owner opening again upgrades.
      st->share_access |= share_access;
      st->share_deny |= share_deny;
      st->access_modes |= 1u << share_access;
      st->deny_modes |= 1u << share_deny;
      st->seqid++;
      return OpenResult{{st->seqid, st->other}, !owner->confirmed};
    }
  }
  if (c->opens >= options_.max_opens_per_client) return NfsErr(NFS4ERR_RESOURCE);
  auto st = std::make_unique<OpenState>();
  st->other = NewOther();
  st->seqid = 1;
  st->owner = owner;
  st->file = file;
  st->share_access = share_access;
  st->share_deny = share_deny;
  st->access_modes = 1u << share_access;
  st->deny_modes = 1u << share_deny;
  OpenState* raw = st.get();
  owner->opens.push_back(raw);
  opens_by_file_.emplace(file, raw);
  opens_.emplace(raw->other, std::move(st));
  c->opens++;
  return OpenResult{{raw->seqid, raw->other}, !owner->confirmed};
}

nfsstat4 StateManager::LookupOpen(uint32_t minorversion, uint64_t clientid, const Stateid& sid,
                                  OpenState** out) {
  if (sid.IsSpecial()) return NFS4ERR_BAD_STATEID;
  uint32_t epoch;
  std::memcpy(&epoch, sid.other.data(), 4);
  auto it = opens_.find(sid.other);
  // STALE_STATEID tells 4.0 clients to recover; 4.1 has only BAD_STATEID
  // (RFC 8881 section 8.2.2).
  if (it == opens_.end()) {
    if (revoked_states_.count(sid.other)) return NFS4ERR_EXPIRED;
    return epoch != boot_epoch_ && minorversion == 0 ? NFS4ERR_STALE_STATEID : NFS4ERR_BAD_STATEID;
  }
  OpenState* st = it->second.get();
  Client* c = FindClient(st->owner->clientid);
  if (!c) return NFS4ERR_BAD_STATEID;
  if (minorversion >= 1 && c->clientid != clientid) return NFS4ERR_BAD_STATEID;
  if (c->minorversion == 0 && Expired(*c)) return NFS4ERR_EXPIRED;
  // RFC 8881 section 8.2.2: seqid 0 in 4.1 means "the current one".
  if (!(minorversion >= 1 && sid.seqid == 0)) {
    if (sid.seqid < st->seqid) return NFS4ERR_OLD_STATEID;
    if (sid.seqid > st->seqid) return NFS4ERR_BAD_STATEID;
  }
  c->last_renew = clock_.Monotonic();  // 4.0: use of state renews the lease
  *out = st;
  return NFS4_OK;
}

nfsstat4 StateManager::OpenConfirm(const Stateid& stateid, uint32_t seqid, SeqidAdmission* adm,
                                   Stateid* out) {
  std::lock_guard lock(mu_);
  OpenState* st = nullptr;
  if (nfsstat4 s = BeginOpenStateOp(stateid, seqid, OP_OPEN_CONFIRM, nullptr, adm, &st);
      s != NFS4_OK || adm->replay)
    return s;
  OpenOwner& o = *st->owner;
  if (o.confirmed) return NFS4ERR_BAD_STATEID;
  o.confirmed = true;
  st->seqid++;
  *out = {st->seqid, st->other};
  return NFS4_OK;
}

nfsstat4 StateManager::OpenDowngrade(uint32_t minorversion, uint64_t clientid,
                                     const Stateid& stateid, uint32_t seqid, uint32_t share_access,
                                     uint32_t share_deny, SeqidAdmission* adm, Stateid* out) {
  std::lock_guard lock(mu_);
  OpenState* st = nullptr;
  nfsstat4 s = minorversion == 0
                   ? BeginOpenStateOp(stateid, seqid, OP_OPEN_DOWNGRADE, nullptr, adm, &st)
                   : LookupOpen(minorversion, clientid, stateid, &st);
  if (s != NFS4_OK || adm->replay) return s;
  // RFC 8881 section 18.18.3: only to a subset of what is held, and to
  // modes this owner actually opened the file with.
  if ((share_access & ~st->share_access) || (share_deny & ~st->share_deny) || share_access == 0 ||
      share_access > OPEN4_SHARE_ACCESS_BOTH || share_deny > OPEN4_SHARE_DENY_BOTH ||
      !(st->access_modes & (1u << share_access)) || !(st->deny_modes & (1u << share_deny)))
    return NFS4ERR_INVAL;
  st->share_access = share_access;
  st->share_deny = share_deny;
  st->seqid++;
  *out = {st->seqid, st->other};
  return NFS4_OK;
}

nfsstat4 StateManager::Close(uint32_t minorversion, uint64_t clientid, const Stateid& stateid,
                             uint32_t seqid, SeqidAdmission* adm, Stateid* out) {
  std::lock_guard lock(mu_);
  OpenState* st = nullptr;
  nfsstat4 s = minorversion == 0 ? BeginOpenStateOp(stateid, seqid, OP_CLOSE, nullptr, adm, &st)
                                 : LookupOpen(minorversion, clientid, stateid, &st);
  if (s != NFS4_OK || adm->replay) return s;
  // Byte-range locks of this open at CLOSE (RFC 7530 section 16.2.4 and
  // RFC 8881 section 18.2.4: the server MAY free them, or MUST answer
  // NFS4ERR_LOCKS_HELD if any would remain). 4.0 frees them with the open
  // (RemoveOpen below), as Linux's server does, so a 4.0 client that closes
  // without unlocking loses nothing but the locks; 4.1 clients, which free
  // lock stateids themselves (FREE_STATEID), must unlock first.
  if (minorversion >= 1)
    for (const LockState* ls : st->locks)
      if (!ls->ranges.empty()) return NFS4ERR_LOCKS_HELD;
  if (minorversion == 0) {
    *out = {st->seqid + 1, st->other};
    // Keep the owner findable by this stateid while the CLOSE is its last
    // reply (see "NFSv4.0 seqids" above).
    OpenOwner& o = *st->owner;
    o.closed = st->other;
    closed_[st->other] = &o;
  } else {
    // RFC 8881 section 18.2.4: return the invalid special stateid.
    *out = Stateid::Invalid();
  }
  RemoveOpen(st);
  return NFS4_OK;
}

NfsResult<IoStateCheck> StateManager::CheckIoStateid(uint32_t minorversion, uint64_t clientid,
                                                     const Stateid& sid, const FileHandle& file,
                                                     bool for_write) {
  RecordFlush flush(*this);
  if (sid.IsSpecial()) {
    // Anonymous I/O still honours share reservations of others.
    std::lock_guard lock(mu_);
    if (ShareConflict(file, nullptr,
                      for_write ? OPEN4_SHARE_ACCESS_WRITE : OPEN4_SHARE_ACCESS_READ, 0) &&
        !(sid.IsBypass() && !for_write))
      return NfsErr(NFS4ERR_LOCKED);
    return IoStateCheck{true, 0};
  }
  std::lock_guard lock(mu_);
  OpenState* st = nullptr;
  if (locks_.count(sid.other)) {
    // A lock stateid carries the access of the open it came from.
    LockState* ls = nullptr;
    if (nfsstat4 s = LookupLock(minorversion, clientid, sid, &ls); s != NFS4_OK) return NfsErr(s);
    st = ls->open;
  } else if (nfsstat4 s = LookupOpen(minorversion, clientid, sid, &st); s != NFS4_OK) {
    return NfsErr(s);
  }
  if (!(st->file == file)) return NfsErr(NFS4ERR_BAD_STATEID);
  // 4.1: a stateid belongs to the client of the session (RFC 8881 section 8.2.4).
  if (minorversion >= 1 && st->owner->clientid != clientid) return NfsErr(NFS4ERR_BAD_STATEID);
  if (!st->owner->confirmed) return NfsErr(NFS4ERR_BAD_STATEID);
  if (for_write && !(st->share_access & OPEN4_SHARE_ACCESS_WRITE)) return NfsErr(NFS4ERR_OPENMODE);
  // Reads through a write-only open are allowed, as Linux servers do:
  // clients read to fill partial pages before writing.
  return IoStateCheck{false, st->share_access};
}

nfsstat4 StateManager::TestStateid(uint64_t clientid, const Stateid& sid) {
  std::lock_guard lock(mu_);
  if (sid.IsSpecial()) return NFS4ERR_BAD_STATEID;
  uint64_t owner_clientid;
  uint32_t current;
  if (auto it = opens_.find(sid.other); it != opens_.end()) {
    owner_clientid = it->second->owner->clientid;
    current = it->second->seqid;
  } else if (auto lt = locks_.find(sid.other); lt != locks_.end()) {
    owner_clientid = lt->second->owner->clientid;
    current = lt->second->seqid;
  } else {
    return NFS4ERR_BAD_STATEID;
  }
  if (owner_clientid != clientid) return NFS4ERR_BAD_STATEID;
  if (sid.seqid != 0 && sid.seqid < current) return NFS4ERR_OLD_STATEID;
  if (sid.seqid > current) return NFS4ERR_BAD_STATEID;
  return NFS4_OK;
}

nfsstat4 StateManager::FreeStateid(uint64_t clientid, const Stateid& sid) {
  std::lock_guard lock(mu_);
  if (auto it = opens_.find(sid.other); it != opens_.end()) {
    if (it->second->owner->clientid != clientid) return NFS4ERR_BAD_STATEID;
    // RFC 8881 section 18.38.3: an open stateid is freed only by CLOSE.
    return NFS4ERR_LOCKS_HELD;
  }
  auto lt = locks_.find(sid.other);
  if (lt == locks_.end() || lt->second->owner->clientid != clientid) return NFS4ERR_BAD_STATEID;
  if (!lt->second->ranges.empty()) return NFS4ERR_LOCKS_HELD;
  RemoveLockState(lt->second.get());
  return NFS4_OK;
}

nfsstat4 StateManager::ReleaseLockOwner(uint64_t clientid, std::span<const uint8_t> owner) {
  std::lock_guard lock(mu_);
  Client* c = nullptr;
  if (nfsstat4 s = CheckClientId(clientid, &c); s != NFS4_OK) return s;
  c->last_renew = clock_.Monotonic();
  auto it = c->lock_owners.find(ToKey(owner));
  if (it == c->lock_owners.end()) return NFS4_OK;
  // RFC 7530 section 16.37.4: not while the owner holds locks.
  for (const LockState* ls : it->second->states)
    if (!ls->ranges.empty()) return NFS4ERR_LOCKS_HELD;
  while (!it->second->states.empty()) RemoveLockState(it->second->states.back());
  c->lock_owners.erase(it);
  return NFS4_OK;
}

}  // namespace elfs::nfs4::state
