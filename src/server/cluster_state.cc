#include "server/cluster_state.h"

#include <string>

#include <nlohmann/json.hpp>

namespace elfs::server {
namespace {

constexpr std::string_view kSecretKind = "nfs/secret";
constexpr std::string_view kCounterKind = "nfs/export-counter";
constexpr std::string_view kCounterId = "next";
constexpr std::string_view kNumberKind = "nfs/export-number";
// Commits race only with other nodes attaching file systems at the same
// moment; each lost race means another node made progress.
constexpr int kMaxAttempts = 100;

std::string Hex(const std::vector<uint8_t>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::optional<std::vector<uint8_t>> Unhex(const std::string& s) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (s.size() % 2 != 0) return std::nullopt;
  std::vector<uint8_t> out;
  for (size_t i = 0; i < s.size(); i += 2) {
    int hi = digit(s[i]), lo = digit(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

// The secret in a stored record; the message never includes the value.
Result<std::vector<uint8_t>> ParseSecret(const store::Record& r, size_t size) {
  auto j = nlohmann::json::parse(r.value, nullptr, false);
  std::optional<std::vector<uint8_t>> key;
  if (j.is_object() && j.contains("hex") && j["hex"].is_string())
    key = Unhex(j["hex"].get<std::string>());
  if (!key || key->size() != size)
    return Err(Errc::kInvalid, "the shared " + r.kind + " " + r.id + " is malformed");
  return *key;
}

std::optional<uint32_t> ParseNumber(const std::string& value, const char* field) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (!j.is_object() || !j.contains(field) || !j[field].is_number_unsigned()) return std::nullopt;
  uint64_t n = j[field].get<uint64_t>();
  if (n == 0 || n > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(n);
}

}  // namespace

Result<std::vector<uint8_t>> LoadOrCreateClusterSecret(store::Store& store, std::string_view name,
                                                       size_t size, Random& random) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto got = store.Get(kSecretKind, name);
    if (!got) return Err(got.error());
    if (*got) return ParseSecret(**got, size);
    std::vector<uint8_t> key(size);
    random.Fill(key);
    store::Transaction txn;
    txn.Put(std::string(kSecretKind), std::string(name),
            nlohmann::json{{"hex", Hex(key)}}.dump(), store::kMustNotExist);
    Status s = store.Commit(txn);
    if (s.ok()) return key;
    if (s.code() != Errc::kConflict) return Err(s);
    // Another node made it first: read theirs.
  }
  return Err(Errc::kConflict, "could not agree on the shared " + std::string(name));
}

Result<uint32_t> ClusterExportNumber(store::Store& store, std::string_view fs_id) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto mine = store.Get(kNumberKind, fs_id);
    if (!mine) return Err(mine.error());
    if (*mine) {
      auto n = ParseNumber((*mine)->value, "number");
      if (!n) return Err(Errc::kInvalid, "the export number of " + std::string(fs_id) + " is malformed");
      return *n;
    }
    auto counter = store.Get(kCounterKind, kCounterId);
    if (!counter) return Err(counter.error());
    uint32_t next = 1;
    uint64_t expect = store::kMustNotExist;
    if (*counter) {
      auto n = ParseNumber((*counter)->value, "next");
      if (!n) return Err(Errc::kInvalid, "the shared export counter is malformed");
      next = *n;
      expect = (*counter)->version;
    }
    if (next == UINT32_MAX) return Err(Errc::kNoSpace, "no export numbers left");
    store::Transaction txn;
    txn.Put(std::string(kCounterKind), std::string(kCounterId),
            nlohmann::json{{"next", next + 1}}.dump(), expect);
    txn.Put(std::string(kNumberKind), std::string(fs_id), nlohmann::json{{"number", next}}.dump(),
            store::kMustNotExist);
    Status s = store.Commit(txn);
    if (s.ok()) return next;
    if (s.code() != Errc::kConflict) return Err(s);
    // Another node took this number (or numbered fs_id): look again.
  }
  return Err(Errc::kConflict, "could not agree on an export number for " + std::string(fs_id));
}

}  // namespace elfs::server
