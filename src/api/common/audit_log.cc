#include "api/common/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "api/common/ids.h"

namespace elfs::api {

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::filesystem::path& file) {
  if (file.empty()) return std::unique_ptr<AuditLog>(new AuditLog(-1));
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Err(Errc::kIo, "open " + file.string() + ": " + std::strerror(errno));
  return std::unique_ptr<AuditLog>(new AuditLog(fd));
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::string ToJsonLine(const AuditEvent& e) {
  nlohmann::json j = {
      {"eventTime", FormatIso8601(e.time)},
      {"eventSource", e.event_source},
      {"eventName", e.event_name},
      {"principal", e.principal.empty() ? "anonymous" : e.principal},
      {"sourceIPAddress", e.source_ip},
      {"decision", e.decision},
  };
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) j[k] = v;
  };
  put("accessKeyId", e.access_key_id);
  put("resource", e.resource);
  put("errorCode", e.error_code);
  put("reason", e.reason);
  put("requestID", e.request_id);
  if (e.details.is_object() && !e.details.empty()) j["details"] = e.details;
  // Invalid UTF-8 from the network must not stop the line from being written.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void AuditLog::Write(const AuditEvent& event) {
  std::string line = ToJsonLine(event);
  std::lock_guard lock(mu_);
  ++written_;
  if (fd_ < 0) return;
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk must not stop the service
    p += n;
    left -= static_cast<size_t>(n);
  }
}

uint64_t AuditLog::written() const {
  std::lock_guard lock(mu_);
  return written_;
}

}  // namespace elfs::api
