#include "server/data_plane.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "backend/local/local_file_system.h"
#include "backend/memory/memory_file_system.h"
#include "common/clock.h"
#include "nfs4/program.h"

namespace elfs::server {

namespace fs = std::filesystem;
namespace ip = boost::asio::ip;

namespace {

// EFS refreshes SizeInBytes within hours; we re-walk at most this often.
constexpr auto kMeterInterval = std::chrono::seconds(5);

fs::path ExportNumbersFile(const fs::path& data) { return data / "state" / "exports.json"; }

}  // namespace

uint64_t MeterTree(const fs::path& root) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

NfsDataPlane::NfsDataPlane(Options options, nfs4::Nfs4Server& nfs, rpc::RpcServer& rpc)
    : options_(std::move(options)), nfs_(nfs), rpc_(rpc) {
  std::ifstream in(ExportNumbersFile(options_.data_dir));
  if (!in) return;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) {
    spdlog::error("{} is corrupt; file handles of existing file systems will be stale",
                  ExportNumbersFile(options_.data_dir).string());
    return;
  }
  for (auto& [k, v] : j.items())
    if (v.is_number_unsigned()) numbers_[k] = v.get<uint32_t>();
}

Status NfsDataPlane::SaveExportNumbers() {
  fs::path path = ExportNumbersFile(options_.data_dir);
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << nlohmann::json(numbers_).dump(2) << "\n";
    out.flush();
    if (!out) return {Errc::kIo, "cannot write " + tmp.string()};
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return {Errc::kIo, "rename " + tmp.string() + ": " + ec.message()};
  return {};
}

Status NfsDataPlane::Attach(std::string_view fs_id) {
  std::lock_guard lock(mu_);
  if (exports_.count(fs_id)) return {};
  fs::path root = options_.data_dir / "fs" / std::string(fs_id);
  if (::mkdir(root.c_str(), 0755) != 0 && errno != EEXIST)
    return {Errc::kIo, "mkdir " + root.string() + ": " + std::strerror(errno)};
  auto num = numbers_.find(fs_id);
  if (num == numbers_.end()) {
    uint32_t max = 0;
    for (const auto& [k, v] : numbers_) max = std::max(max, v);
    num = numbers_.emplace(std::string(fs_id), max + 1).first;
    ELFS_RETURN_IF_ERROR(SaveExportNumbers());
  }
  std::shared_ptr<vfs::FileSystem> backend;
  if (options_.backend == "memory") {
    backend = std::make_shared<backend::MemoryFileSystem>(SystemClock::Instance());
  } else {
    auto local = backend::LocalFileSystem::Open(root.string(), {});
    if (!local) return local.error();
    backend = std::move(*local);
  }
  auto exp = nfs_.AddExport(num->second, std::string(fs_id), std::move(backend));
  if (!exp) return exp.error();
  exports_[std::string(fs_id)] = *exp;
  return {};
}

Status NfsDataPlane::DeleteStorage(std::string_view fs_id) {
  fs::path root = options_.data_dir / "fs" / std::string(fs_id);
  {
    std::lock_guard lock(mu_);
    auto it = exports_.find(fs_id);
    if (it != exports_.end()) {
      nfs_.RemoveExport(it->second->id);
      exports_.erase(it);
    }
    metered_.erase(std::string(fs_id));
  }
  std::error_code ec;
  fs::remove_all(root, ec);
  if (ec) return {Errc::kIo, "remove " + root.string() + ": " + ec.message()};
  spdlog::info("deleted the data of file system {}", fs_id);
  return {};
}

uint64_t NfsDataPlane::MeteredSize(std::string_view fs_id) {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = metered_.find(fs_id);
    if (it != metered_.end() && now - it->second.at < kMeterInterval) return it->second.bytes;
    if (options_.backend == "memory") {
      auto e = exports_.find(fs_id);
      if (e == exports_.end()) return 0;
      auto st = e->second->fs->StatFs();
      return st ? st->bytes_total - st->bytes_free : 0;
    }
  }
  uint64_t bytes = MeterTree(options_.data_dir / "fs" / std::string(fs_id));
  std::lock_guard lock(mu_);
  metered_[std::string(fs_id)] = {bytes, now};
  return bytes;
}

Result<const nfs4::Export*> NfsDataPlane::ExportOf(std::string_view fs_id) {
  {
    std::lock_guard lock(mu_);
    auto it = exports_.find(fs_id);
    if (it != exports_.end()) return it->second;
  }
  ELFS_RETURN_IF_ERROR_R(Attach(fs_id));
  std::lock_guard lock(mu_);
  return exports_.at(std::string(fs_id));
}

Result<ip::tcp::endpoint> NfsDataPlane::Listen(const nfs4::Export& exp, const ip::tcp::endpoint& at) {
  auto table = std::make_shared<rpc::ProgramTable>();
  table->Add(std::make_shared<nfs4::Nfs4Program>(nfs_, exp));
  return rpc_.Listen(at, table);
}

Result<ip::tcp::endpoint> NfsDataPlane::ServeAt(std::string_view fs_id, const ip::tcp::endpoint& at) {
  auto exp = ExportOf(fs_id);
  if (!exp) return Err(exp.error());
  return Listen(**exp, at);
}

Status NfsDataPlane::OpenMountTarget(std::string_view mount_target_id, std::string_view fs_id,
                                     std::string_view ip_text) {
  boost::system::error_code ec;
  auto addr = ip::make_address(std::string(ip_text), ec);
  if (ec) return {Errc::kInvalid, "bad mount target address " + std::string(ip_text)};
  {
    std::lock_guard lock(mu_);
    if (mount_targets_.count(mount_target_id)) return {};
  }
  auto exp = ExportOf(fs_id);
  if (!exp) return exp.error();
  auto bound = Listen(**exp, ip::tcp::endpoint(addr, options_.nfs_port));
  if (!bound) return bound.error();
  spdlog::info("mount target {} of {} listening at {}:{}", mount_target_id, fs_id,
               bound->address().to_string(), bound->port());
  std::lock_guard lock(mu_);
  mount_targets_[std::string(mount_target_id)] = *bound;
  return {};
}

void NfsDataPlane::CloseMountTarget(std::string_view mount_target_id) {
  ip::tcp::endpoint at;
  {
    std::lock_guard lock(mu_);
    auto it = mount_targets_.find(mount_target_id);
    if (it == mount_targets_.end()) return;
    at = it->second;
    mount_targets_.erase(it);
  }
  (void)rpc_.Unlisten(at);
  spdlog::info("mount target {} closed", mount_target_id);
}

}  // namespace elfs::server
