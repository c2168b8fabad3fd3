#include <map>
#include <mutex>

#include "store/store.h"

namespace elfs::store {
namespace {

class MemoryStore final : public Store {
 public:
  Result<std::optional<Record>> Get(std::string_view kind, std::string_view id) override {
    std::lock_guard lock(mu_);
    auto it = records_.find({std::string(kind), std::string(id)});
    if (it == records_.end()) return std::optional<Record>();
    return std::optional<Record>(it->second);
  }

  Result<std::vector<Record>> List(std::string_view kind) override {
    std::lock_guard lock(mu_);
    std::vector<Record> out;
    for (auto it = records_.lower_bound({std::string(kind), {}});
         it != records_.end() && it->first.first == kind; ++it) {
      out.push_back(it->second);
    }
    return out;
  }

  Status Commit(const Transaction& txn) override {
    std::vector<Key> changed;
    std::vector<Watcher> watchers;
    {
      std::lock_guard lock(mu_);
      for (const auto& op : txn.ops()) {
        if (!op.expect) continue;
        auto it = records_.find({op.key.kind, op.key.id});
        uint64_t have = it == records_.end() ? kMustNotExist : it->second.version;
        if (have != *op.expect) {
          return {Errc::kConflict, op.key.kind + "/" + op.key.id + " changed concurrently"};
        }
      }
      for (const auto& op : txn.ops()) {
        std::pair<std::string, std::string> k{op.key.kind, op.key.id};
        if (op.type == Transaction::Op::Type::kDelete) {
          records_.erase(k);
        } else {
          auto& r = records_[k];
          r.kind = op.key.kind;
          r.id = op.key.id;
          r.version += 1;
          r.value = op.value;
        }
        changed.push_back(op.key);
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

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Record> records_;
  std::vector<Watcher> watchers_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace elfs::store
