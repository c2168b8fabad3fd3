// SQLite in WAL mode. synchronous=FULL makes a commit durable before it
// returns, so kill -9 loses nothing that was acknowledged. One connection
// behind a mutex: the control plane's write rate is small, and it keeps the
// version checks and the writes of a transaction in one critical section.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>

#include "store/store.h"

namespace elfs::store {
namespace {

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() { return stmt_; }
  explicit operator bool() const { return stmt_ != nullptr; }
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  std::string Text(int col) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, sqlite3_column_bytes(stmt_, col)) : std::string();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override { sqlite3_close(db_); }

  Result<std::optional<Record>> Get(std::string_view kind, std::string_view id) override {
    std::lock_guard lock(mu_);
    Statement st(db_, "SELECT version, value FROM records WHERE kind = ?1 AND id = ?2");
    if (!st) return Err(Error("prepare"));
    st.Bind(1, kind);
    st.Bind(2, id);
    int rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) return std::optional<Record>();
    if (rc != SQLITE_ROW) return Err(Error("get"));
    return std::optional<Record>(Record{std::string(kind), std::string(id),
                                        static_cast<uint64_t>(sqlite3_column_int64(st.get(), 0)),
                                        st.Text(1)});
  }

  Result<std::vector<Record>> List(std::string_view kind) override {
    std::lock_guard lock(mu_);
    Statement st(db_, "SELECT id, version, value FROM records WHERE kind = ?1 ORDER BY id");
    if (!st) return Err(Error("prepare"));
    st.Bind(1, kind);
    std::vector<Record> out;
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      out.push_back({std::string(kind), st.Text(0),
                     static_cast<uint64_t>(sqlite3_column_int64(st.get(), 1)), st.Text(2)});
    }
    if (rc != SQLITE_DONE) return Err(Error("list"));
    return out;
  }

  Status Commit(const Transaction& txn) override {
    std::vector<Key> changed;
    std::vector<Watcher> watchers;
    {
      std::lock_guard lock(mu_);
      if (!Exec("BEGIN IMMEDIATE")) return Error("begin");
      Status s = Apply(txn, changed);
      if (!s.ok()) {
        Exec("ROLLBACK");
        return s;
      }
      if (!Exec("COMMIT")) {
        Status err = Error("commit");
        Exec("ROLLBACK");
        return err;
      }
      watchers = watchers_;
    }
    for (const auto& w : watchers) w(changed);
    return Status::Ok();
  }

  void Watch(Watcher watcher) override {
    std::lock_guard lock(mu_);
    watchers_.push_back(std::move(watcher));
  }

  bool Exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }
  Status Error(std::string_view what) {
    return {Errc::kIo, "sqlite " + std::string(what) + ": " + sqlite3_errmsg(db_)};
  }

 private:
  Status Apply(const Transaction& txn, std::vector<Key>& changed) {
    Statement get(db_, "SELECT version FROM records WHERE kind = ?1 AND id = ?2");
    Statement put(db_,
                  "INSERT INTO records(kind, id, version, value) VALUES(?1, ?2, 1, ?3) "
                  "ON CONFLICT(kind, id) DO UPDATE SET version = version + 1, value = ?3");
    Statement del(db_, "DELETE FROM records WHERE kind = ?1 AND id = ?2");
    if (!get || !put || !del) return Error("prepare");
    for (const auto& op : txn.ops()) {
      if (op.expect) {
        sqlite3_reset(get.get());
        get.Bind(1, op.key.kind);
        get.Bind(2, op.key.id);
        int rc = sqlite3_step(get.get());
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error("get");
        uint64_t have =
            rc == SQLITE_ROW ? static_cast<uint64_t>(sqlite3_column_int64(get.get(), 0)) : kMustNotExist;
        if (have != *op.expect) {
          return {Errc::kConflict, op.key.kind + "/" + op.key.id + " changed concurrently"};
        }
      }
      Statement& st = op.type == Transaction::Op::Type::kPut ? put : del;
      sqlite3_reset(st.get());
      st.Bind(1, op.key.kind);
      st.Bind(2, op.key.id);
      if (op.type == Transaction::Op::Type::kPut) st.Bind(3, op.value);
      if (sqlite3_step(st.get()) != SQLITE_DONE) return Error("write");
      changed.push_back(op.key);
    }
    return Status::Ok();
  }

  std::mutex mu_;
  sqlite3* db_;
  std::vector<Watcher> watchers_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& file) {
  // Create the file 0600 ourselves: it holds access key secrets.
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Err(Errc::kIo, "open " + file.string());
  struct stat st {};
  ::fstat(fd, &st);
  ::close(fd);
  if ((st.st_mode & 077) != 0) {
    return Err(Errc::kAccess, file.string() + " is readable by group or others; chmod 600 it");
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Err(Errc::kIo, "sqlite open " + file.string() + ": " + msg);
  }
  auto store = std::make_unique<SqliteStore>(db);
  sqlite3_busy_timeout(db, 5000);
  if (!store->Exec("PRAGMA journal_mode=WAL") || !store->Exec("PRAGMA synchronous=FULL") ||
      !store->Exec("CREATE TABLE IF NOT EXISTS records(kind TEXT NOT NULL, id TEXT NOT NULL, "
                   "version INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY(kind, id)) "
                   "WITHOUT ROWID")) {
    return Err(store->Error("init"));
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace elfs::store
