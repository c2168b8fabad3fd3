// RadosStore (see rados_store.h for the layout). Errors from librados are
// negative errno values, translated in RadosError only.
#include "store/rados_store.h"

#include <rados/librados.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace elfs::store {
namespace {

constexpr char kSeqXattr[] = "elfs.seq";
constexpr size_t kVersionBytes = 8;
constexpr uint64_t kListPage = 512;
constexpr int kCommitAttempts = 200;
constexpr uint64_t kNotifyTimeoutMs = 10000;

Status RadosError(std::string_view what, int r) {
  int e = r < 0 ? -r : r;
  Errc code = Errc::kIo;
  switch (e) {
    case ETIMEDOUT:
    case ENOTCONN:
    case EAGAIN:
    case ESHUTDOWN:
    case ECONNREFUSED:
      code = Errc::kUnavailable;
      break;
    case EACCES:
    case EPERM:
      code = Errc::kAccess;
      break;
    case ENOENT:
      code = Errc::kNotFound;
      break;
    default:
      break;
  }
  return {code, "rados " + std::string(what) + ": " + std::strerror(e)};
}

// Keys are "<kind>\x01<id>": librados takes the start and the prefix of an
// omap listing as C strings, so keys hold no NUL (Commit refuses it in kinds
// and ids); \x01 sorts a kind's keys before those of any longer kind.
constexpr char kSeparator = '\x01';

bool ValidKind(std::string_view kind) {
  return !kind.empty() && kind.find_first_of(std::string_view("\0\x01", 2)) == std::string_view::npos;
}

std::string OmapKey(std::string_view kind, std::string_view id) {
  std::string k(kind);
  k.push_back(kSeparator);
  k.append(id);
  return k;
}

std::string EncodeValue(uint64_t version, std::string_view value) {
  std::string out(kVersionBytes, '\0');
  for (size_t i = 0; i < kVersionBytes; ++i) out[i] = static_cast<char>(version >> (8 * i));
  out.append(value);
  return out;
}

// nullopt: too short to hold a version (not written by this store).
std::optional<std::pair<uint64_t, std::string>> DecodeValue(const char* p, size_t n) {
  if (n < kVersionBytes) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < kVersionBytes; ++i) v |= uint64_t(static_cast<uint8_t>(p[i])) << (8 * i);
  return std::make_pair(v, std::string(p + kVersionBytes, n - kVersionBytes));
}

// The sequence as fixed-width hex, so that cmpxattr compares exact bytes.
std::string SeqText(uint64_t seq) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(seq));
  return buf;
}

// Notify payload: the sender's instance id (8 bytes), then for each key
// u32 kind length, kind, u32 id length, id (all little endian).
void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
std::string EncodeNotify(uint64_t sender, const std::vector<Key>& keys) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(sender >> (8 * i)));
  for (const auto& k : keys) {
    PutU32(out, static_cast<uint32_t>(k.kind.size()));
    out.append(k.kind);
    PutU32(out, static_cast<uint32_t>(k.id.size()));
    out.append(k.id);
  }
  return out;
}
// nullopt when malformed: any client with access to the pool may notify.
std::optional<std::pair<uint64_t, std::vector<Key>>> DecodeNotify(std::string_view in) {
  auto take = [&in](size_t n, uint64_t& v) {
    if (in.size() < n) return false;
    v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t(static_cast<uint8_t>(in[i])) << (8 * i);
    in.remove_prefix(n);
    return true;
  };
  auto take_string = [&](std::string& s) {
    uint64_t n;
    if (!take(4, n) || in.size() < n) return false;
    s.assign(in.substr(0, n));
    in.remove_prefix(n);
    return true;
  };
  uint64_t sender;
  if (!take(8, sender)) return std::nullopt;
  std::vector<Key> keys;
  while (!in.empty()) {
    Key k;
    if (!take_string(k.kind) || !take_string(k.id)) return std::nullopt;
    keys.push_back(std::move(k));
  }
  return std::make_pair(sender, std::move(keys));
}

class RadosStore final : public Store {
 public:
  RadosStore(rados_t cluster, rados_ioctx_t io, std::string object)
      : cluster_(cluster), io_(io), object_(std::move(object)) {
    std::random_device rd;
    instance_ = (uint64_t(rd()) << 32) ^ rd();
  }

  ~RadosStore() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (rewatcher_.joinable()) rewatcher_.join();
    if (watching_) rados_unwatch2(io_, cookie_);
    ReapNotifies(/*wait=*/true);
    rados_watch_flush(cluster_);
    rados_ioctx_destroy(io_);
    rados_shutdown(cluster_);
  }

  Status Init() {
    rados_write_op_t op = rados_create_write_op();
    rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, nullptr);
    std::string zero = SeqText(0);
    rados_write_op_setxattr(op, kSeqXattr, zero.data(), zero.size());
    int r = rados_write_op_operate2(op, io_, object_.c_str(), nullptr, 0);
    rados_release_write_op(op);
    if (r < 0 && r != -EEXIST) return RadosError("create " + object_, r);
    ELFS_RETURN_IF_ERROR(StartWatch());
    rewatcher_ = std::thread([this] { Rewatch(); });
    return {};
  }

  Result<std::optional<Record>> Get(std::string_view kind, std::string_view id) override {
    if (!ValidKind(kind)) return Err(Errc::kInvalid, "store keys: bad kind");
    std::vector<Key> keys{{std::string(kind), std::string(id)}};
    std::map<std::string, std::pair<uint64_t, std::string>> found;
    uint64_t seq;
    ELFS_RETURN_IF_ERROR_R(ReadKeys(keys, seq, found));
    auto it = found.find(OmapKey(kind, id));
    if (it == found.end()) return std::optional<Record>();
    return std::optional<Record>(
        Record{std::string(kind), std::string(id), it->second.first, std::move(it->second.second)});
  }

  Result<std::vector<Record>> List(std::string_view kind) override {
    if (!ValidKind(kind)) return Err(Errc::kInvalid, "store keys: bad kind");
    std::string prefix = OmapKey(kind, "");
    auto entries = ListPrefix(prefix);
    if (!entries) return Err(entries.error());
    std::vector<Record> out;
    out.reserve(entries->size());
    for (auto& [k, v] : *entries)
      out.push_back({std::string(kind), k.substr(prefix.size()), v.first, std::move(v.second)});
    return out;
  }

  Status Commit(const Transaction& txn) override {
    for (const auto& op : txn.ops()) {
      if (!ValidKind(op.key.kind) || op.key.id.find('\0') != std::string::npos)
        return {Errc::kInvalid, "store keys: a kind is non-empty without NUL or \\x01, an id without NUL"};
    }
    std::vector<Key> changed;
    std::mt19937_64 rng(instance_ ^ reinterpret_cast<uintptr_t>(&txn));
    for (int attempt = 0; attempt < kCommitAttempts; ++attempt) {
      std::vector<Key> keys;
      for (const auto& op : txn.ops()) keys.push_back(op.key);
      std::map<std::string, std::pair<uint64_t, std::string>> found;
      uint64_t seq;
      ELFS_RETURN_IF_ERROR(ReadKeys(keys, seq, found));
      // The final state of every key, applying the ops in order (as SQLite
      // does: an expectation sees the transaction's earlier ops).
      std::map<std::string, std::optional<std::pair<uint64_t, std::string>>> state;
      for (auto& [k, v] : found) state[k] = v;
      changed.clear();
      for (const auto& op : txn.ops()) {
        std::string k = OmapKey(op.key.kind, op.key.id);
        auto& cur = state[k];
        uint64_t have = cur ? cur->first : kMustNotExist;
        if (op.expect && have != *op.expect)
          return {Errc::kConflict, op.key.kind + "/" + op.key.id + " changed concurrently"};
        if (op.type == Transaction::Op::Type::kPut) {
          cur = std::make_pair(have + 1, op.value);
        } else {
          cur.reset();
        }
        changed.push_back(op.key);
      }
      int r = WriteGuarded(seq, state, found);
      if (r == -ECANCELED) {
        // Another node committed in between: read again. Short random
        // pauses keep two busy nodes from colliding in lockstep.
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % (200 * (attempt + 1))));
        continue;
      }
      if (r < 0) return RadosError("commit", r);
      Announce(changed);
      return {};
    }
    return {Errc::kUnavailable, "rados commit: too many concurrent commits"};
  }

  void Watch(Watcher watcher) override {
    std::lock_guard lock(mu_);
    watchers_.push_back(std::move(watcher));
  }

 private:
  struct PendingNotify {
    rados_completion_t completion = nullptr;
    char* reply = nullptr;
    size_t reply_len = 0;
  };

  // Reads the sequence and the given keys in one read operation.
  Status ReadKeys(const std::vector<Key>& keys, uint64_t& seq,
                  std::map<std::string, std::pair<uint64_t, std::string>>& found) {
    std::vector<std::string> names;
    for (const auto& k : keys) names.push_back(OmapKey(k.kind, k.id));
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& n : names) {
      ptrs.push_back(n.data());
      lens.push_back(n.size());
    }
    rados_read_op_t op = rados_create_read_op();
    rados_xattrs_iter_t xiter = nullptr;
    int xrval = 0;
    rados_read_op_getxattrs(op, &xiter, &xrval);
    rados_omap_iter_t iter = nullptr;
    int prval = 0;
    rados_read_op_omap_get_vals_by_keys2(op, ptrs.data(), ptrs.size(), lens.data(), &iter, &prval);
    int r = rados_read_op_operate(op, io_, object_.c_str(), 0);
    rados_release_read_op(op);
    if (r >= 0 && xrval < 0) r = xrval;
    if (r >= 0 && prval < 0) r = prval;
    bool have_seq = false;
    if (r >= 0) {
      const char *name, *val;
      size_t len;
      while (rados_getxattrs_next(xiter, &name, &val, &len) == 0 && name != nullptr) {
        if (std::strcmp(name, kSeqXattr) == 0) {
          std::string text(val, len);
          char* end = nullptr;
          seq = std::strtoull(text.c_str(), &end, 16);
          have_seq = text.size() == 16 && end == text.c_str() + 16;
        }
      }
      char *k, *v;
      size_t kl, vl;
      while (rados_omap_get_next2(iter, &k, &v, &kl, &vl) == 0 && k != nullptr) {
        if (auto dv = DecodeValue(v, vl)) found[std::string(k, kl)] = std::move(*dv);
      }
    }
    if (xiter) rados_getxattrs_end(xiter);
    if (iter) rados_omap_get_end(iter);
    if (r < 0) return RadosError("read " + object_, r);
    if (!have_seq) return {Errc::kIo, "rados: " + object_ + " has no valid " + kSeqXattr};
    return {};
  }

  // One write operation: the guard, every change, the next sequence.
  int WriteGuarded(uint64_t seq,
                   const std::map<std::string, std::optional<std::pair<uint64_t, std::string>>>& state,
                   const std::map<std::string, std::pair<uint64_t, std::string>>& found) {
    std::vector<std::string> set_keys, set_vals, rm_keys;
    for (const auto& [k, v] : state) {
      if (v) {
        set_keys.push_back(k);
        set_vals.push_back(EncodeValue(v->first, v->second));
      } else if (found.count(k)) {
        rm_keys.push_back(k);
      }
    }
    auto arrays = [](const std::vector<std::string>& v, std::vector<const char*>& p,
                     std::vector<size_t>& l) {
      for (const auto& s : v) {
        p.push_back(s.data());
        l.push_back(s.size());
      }
    };
    std::vector<const char*> sk, sv, rk;
    std::vector<size_t> skl, svl, rkl;
    arrays(set_keys, sk, skl);
    arrays(set_vals, sv, svl);
    arrays(rm_keys, rk, rkl);
    std::string old_seq = SeqText(seq), new_seq = SeqText(seq + 1);
    rados_write_op_t op = rados_create_write_op();
    rados_write_op_cmpxattr(op, kSeqXattr, LIBRADOS_CMPXATTR_OP_EQ, old_seq.data(), old_seq.size());
    if (!sk.empty()) rados_write_op_omap_set2(op, sk.data(), sv.data(), skl.data(), svl.data(), sk.size());
    if (!rk.empty()) rados_write_op_omap_rm_keys2(op, rk.data(), rkl.data(), rk.size());
    rados_write_op_setxattr(op, kSeqXattr, new_seq.data(), new_seq.size());
    int r = rados_write_op_operate2(op, io_, object_.c_str(), nullptr, 0);
    rados_release_write_op(op);
    return r;
  }

  // Every record whose omap key starts with `prefix`, in key order, a page
  // per read. Pages are not one snapshot: a record committed meanwhile may
  // or may not be in the answer, as with any read racing a commit.
  Result<std::vector<std::pair<std::string, std::pair<uint64_t, std::string>>>> ListPrefix(
      const std::string& prefix) {
    std::vector<std::pair<std::string, std::pair<uint64_t, std::string>>> out;
    std::string after;
    for (;;) {
      rados_read_op_t op = rados_create_read_op();
      rados_omap_iter_t iter = nullptr;
      unsigned char more = 0;
      int prval = 0;
      rados_read_op_omap_get_vals2(op, after.c_str(), prefix.c_str(), kListPage, &iter, &more, &prval);
      int r = rados_read_op_operate(op, io_, object_.c_str(), 0);
      rados_release_read_op(op);
      if (r >= 0 && prval < 0) r = prval;
      size_t n = 0;
      if (r >= 0) {
        char *k, *v;
        size_t kl, vl;
        while (rados_omap_get_next2(iter, &k, &v, &kl, &vl) == 0 && k != nullptr) {
          ++n;
          after.assign(k, kl);
          if (auto dv = DecodeValue(v, vl)) out.emplace_back(after, std::move(*dv));
        }
      }
      if (iter) rados_omap_get_end(iter);
      if (r < 0) return Err(RadosError("list " + object_, r));
      if (!more || n == 0) break;
    }
    return out;
  }

  // Local watchers now (the contract), other nodes by a notify that nobody
  // waits for: a dead watcher would hold a synchronous notify for its timeout.
  void Announce(const std::vector<Key>& changed) {
    std::vector<Watcher> watchers;
    {
      std::lock_guard lock(mu_);
      watchers = watchers_;
    }
    for (const auto& w : watchers) w(changed);
    ReapNotifies(/*wait=*/false);
    std::string payload = EncodeNotify(instance_, changed);
    auto pending = std::make_unique<PendingNotify>();
    if (rados_aio_create_completion2(nullptr, nullptr, &pending->completion) < 0) return;
    int r = rados_aio_notify(io_, object_.c_str(), pending->completion, payload.data(),
                             static_cast<int>(payload.size()), kNotifyTimeoutMs, &pending->reply,
                             &pending->reply_len);
    if (r < 0) {
      rados_aio_release(pending->completion);
      return;
    }
    std::lock_guard lock(notify_mu_);
    notifies_.push_back(std::move(pending));
  }

  void ReapNotifies(bool wait) {
    std::lock_guard lock(notify_mu_);
    for (auto it = notifies_.begin(); it != notifies_.end();) {
      auto& p = **it;
      if (wait) rados_aio_wait_for_complete(p.completion);
      if (!rados_aio_is_complete(p.completion)) {
        ++it;
        continue;
      }
      rados_aio_release(p.completion);
      if (p.reply) rados_buffer_free(p.reply);
      it = notifies_.erase(it);
    }
  }

  Status StartWatch() {
    uint64_t cookie = 0;
    int r = rados_watch3(io_, object_.c_str(), &cookie, &RadosStore::OnNotify,
                         &RadosStore::OnWatchError, 30, this);
    if (r < 0) return RadosError("watch " + object_, r);
    cookie_ = cookie;
    watching_ = true;
    return {};
  }

  static void OnNotify(void* arg, uint64_t notify_id, uint64_t cookie, uint64_t /*notifier*/,
                       void* data, size_t len) {
    auto* self = static_cast<RadosStore*>(arg);
    rados_notify_ack(self->io_, self->object_.c_str(), notify_id, cookie, nullptr, 0);
    auto msg = DecodeNotify(std::string_view(static_cast<const char*>(data), len));
    if (!msg || msg->first == self->instance_) return;  // malformed, or our own commit
    self->Deliver(msg->second);
  }

  static void OnWatchError(void* arg, uint64_t /*cookie*/, int /*err*/) {
    auto* self = static_cast<RadosStore*>(arg);
    {
      std::lock_guard lock(self->mu_);
      self->watch_lost_ = true;
    }
    self->cv_.notify_all();
  }

  void Deliver(const std::vector<Key>& keys) {
    std::vector<Watcher> watchers;
    {
      std::lock_guard lock(mu_);
      watchers = watchers_;
    }
    for (const auto& w : watchers) w(keys);
  }

  // A lost watch may have missed notifies: watch again, then tell the
  // watchers that every record may have changed.
  void Rewatch() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stopping_ || watch_lost_; });
      if (stopping_) return;
      lock.unlock();
      if (watching_) rados_unwatch2(io_, cookie_);
      watching_ = false;
      Status s = StartWatch();
      std::vector<Key> all;
      if (s.ok()) {
        if (auto records = ListPrefix("")) {
          for (const auto& [k, v] : *records) {
            size_t sep = k.find(kSeparator);
            if (sep != std::string::npos) all.push_back({k.substr(0, sep), k.substr(sep + 1)});
          }
        }
      }
      lock.lock();
      if (s.ok()) watch_lost_ = false;
      lock.unlock();
      if (s.ok()) {
        Deliver(all);
      } else {
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
      lock.lock();
    }
  }

  rados_t cluster_;
  rados_ioctx_t io_;
  const std::string object_;
  uint64_t instance_ = 0;  // tells our own notifies from other stores'
  std::atomic<uint64_t> cookie_{0};
  std::atomic<bool> watching_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Watcher> watchers_;  // guarded by mu_
  bool watch_lost_ = false;        // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  std::thread rewatcher_;

  std::mutex notify_mu_;
  std::vector<std::unique_ptr<PendingNotify>> notifies_;  // guarded by notify_mu_
};

}  // namespace

Result<std::unique_ptr<Store>> OpenRadosStore(const RadosStoreOptions& options) {
  if (options.pool.empty() || options.object.empty())
    return Err(Errc::kInvalid, "rados store: pool and object must be named");
  rados_t cluster = nullptr;
  std::string name = "client." + options.client_id;
  int r = rados_create2(&cluster, "ceph", name.c_str(), 0);
  if (r < 0) return Err(RadosError("create", r));
  auto fail = [&cluster](std::string_view what, int r) {
    rados_shutdown(cluster);
    return Err(RadosError(what, r));
  };
  r = rados_conf_read_file(cluster, options.conf_path.empty() ? nullptr : options.conf_path.c_str());
  if (r < 0) return fail("read " + (options.conf_path.empty() ? "ceph.conf" : options.conf_path), r);
  // A cluster that stops answering fails calls instead of hanging them.
  rados_conf_set(cluster, "rados_osd_op_timeout", "30");
  rados_conf_set(cluster, "rados_mon_op_timeout", "30");
  rados_conf_set(cluster, "client_mount_timeout", "30");
  r = rados_connect(cluster);
  if (r < 0) return fail("connect", r);
  if (rados_pool_lookup(cluster, options.pool.c_str()) == -ENOENT) {
    r = rados_pool_create(cluster, options.pool.c_str());
    if (r < 0 && r != -EEXIST) return fail("create pool " + options.pool, r);
  }
  rados_ioctx_t io = nullptr;
  r = rados_ioctx_create(cluster, options.pool.c_str(), &io);
  if (r < 0) return fail("open pool " + options.pool, r);
  // Tagging the pool keeps the cluster's health quiet; refusal is harmless.
  rados_application_enable(io, "elfs", 1);
  if (!options.nspace.empty()) rados_ioctx_set_namespace(io, options.nspace.c_str());
  auto store = std::make_unique<RadosStore>(cluster, io, options.object);
  ELFS_RETURN_IF_ERROR_R(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace elfs::store
