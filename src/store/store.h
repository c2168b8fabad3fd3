// The service's state: API objects, IAM and network objects, NFS client
// records. A store holds JSON documents under (kind, id), each with a version
// that counts its changes, and commits transactions all or nothing with
// compare-and-swap on versions. The embedded engine is SQLite; a shared engine
// (RADOS omap objects, issue 8) implements the same interface, which is why
// there is nothing here but get, list, commit and watch.
//
// Kinds are namespaced by the service that owns them ("efs/file-system",
// "iam/user", "ec2/vpc"). Values are whatever the owner writes (JSON text).
//
// Thread safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace elfs::store {

struct Key {
  std::string kind;
  std::string id;
  bool operator==(const Key&) const = default;
};

struct Record {
  std::string kind;
  std::string id;
  uint64_t version = 0;  // 1 after the first write, +1 for every change
  std::string value;
};

// Expectations for compare-and-swap.
inline constexpr uint64_t kMustNotExist = 0;

class Transaction {
 public:
  struct Op {
    enum class Type : uint8_t { kPut, kDelete };
    Type type;
    Key key;
    std::string value;                    // kPut only
    std::optional<uint64_t> expect;       // nullopt: unconditional
  };

  // expect: nullopt writes whatever is there; kMustNotExist requires that the
  // record is absent; n requires that it is at version n.
  Transaction& Put(std::string kind, std::string id, std::string value,
                   std::optional<uint64_t> expect = std::nullopt) {
    ops_.push_back({Op::Type::kPut, {std::move(kind), std::move(id)}, std::move(value), expect});
    return *this;
  }
  // Deleting an absent record is not an error unless expect says otherwise.
  Transaction& Delete(std::string kind, std::string id,
                      std::optional<uint64_t> expect = std::nullopt) {
    ops_.push_back({Op::Type::kDelete, {std::move(kind), std::move(id)}, {}, expect});
    return *this;
  }
  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }

 private:
  std::vector<Op> ops_;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Result<std::optional<Record>> Get(std::string_view kind, std::string_view id) = 0;
  // Every record of a kind, ordered by id (byte order).
  virtual Result<std::vector<Record>> List(std::string_view kind) = 0;
  // All or nothing. A failed expectation is Errc::kConflict and writes
  // nothing. When it returns OK the change is durable (survives kill -9).
  virtual Status Commit(const Transaction& txn) = 0;

  // Called after every successful commit, from the committing thread (and in
  // cluster mode for other nodes' commits), with the keys it changed.
  // Watchers must be quick and must not call Commit.
  using Watcher = std::function<void(const std::vector<Key>& changed)>;
  virtual void Watch(Watcher watcher) = 0;
};

// For tests and for the in-memory backend: nothing persists.
std::unique_ptr<Store> NewMemoryStore();
// SQLite in WAL mode with synchronous=FULL at `file` (created 0600).
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& file);

}  // namespace elfs::store
