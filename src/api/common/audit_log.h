// The audit log: one JSON object per line, CloudTrail-like, for every API
// call and every data-plane connection decision. Lines are written whole with
// O_APPEND and flushed at once, so a crash loses at most the line being
// written and concurrent writers never interleave. Secrets never reach it:
// callers pass access key ids, never secret keys or signatures.
//
// Thread safety: thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace elfs::api {

struct AuditEvent {
  std::chrono::system_clock::time_point time;
  std::string event_source;  // "elasticfilesystem", "iam", "sts", "ec2", "nfs"
  std::string event_name;    // API action, or "Connect" for NFS connections
  std::string principal;     // ARN, or "anonymous"
  std::string access_key_id; // the key used, if any
  std::string source_ip;
  std::string resource;      // ARN or id
  std::string decision;      // "allow", "deny" or "error"
  std::string error_code;    // AccessDenied, SignatureDoesNotMatch, ...
  std::string reason;        // why: the matched statement, the rule, the failed check
  std::string request_id;
  nlohmann::json details;    // anything else worth keeping (object or null)
};

class AuditLog {
 public:
  // Appends to `file`, created 0600. An empty path discards events (tests).
  static Result<std::unique_ptr<AuditLog>> Open(const std::filesystem::path& file);
  ~AuditLog();

  void Write(const AuditEvent& event);
  // For tests: how many events were written.
  uint64_t written() const;

 private:
  explicit AuditLog(int fd) : fd_(fd) {}
  int fd_;
  mutable std::mutex mu_;
  uint64_t written_ = 0;
};

std::string ToJsonLine(const AuditEvent& event);

}  // namespace elfs::api
