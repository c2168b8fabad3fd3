#include "server/data_plane.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <condition_variable>
#include <fstream>
#include <utility>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "backend/local/local_file_system.h"
#include "backend/memory/memory_file_system.h"
#include "api/ec2/cidr.h"
#include "common/clock.h"
#include "net/tls_listener.h"
#include "nfs4/program.h"
#include "rpc/efs_bind.h"
#include "server/cluster_state.h"

namespace elfs::server {

namespace fs = std::filesystem;
namespace ip = boost::asio::ip;

namespace {

// EFS refreshes SizeInBytes within hours; we re-walk at most this often.
constexpr auto kMeterInterval = std::chrono::seconds(5);

fs::path ExportNumbersFile(const fs::path& data) { return data / "state" / "exports.json"; }

// Without a change notice, live connections are still re-checked this often
// when the rules' generation moved (a safety net; notices are immediate).
constexpr auto kRecheckInterval = std::chrono::seconds(1);

api::ec2::IpAddress ToIp(const ip::address& a) {
  api::ec2::IpAddress out;
  if (a.is_v4()) return api::ec2::FromV4(a.to_v4().to_uint());
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return api::ec2::FromV4(ip::make_address_v4(ip::v4_mapped, v6).to_uint());
  out.v6 = true;
  out.bytes = v6.to_bytes();
  return out;
}

// Store changes that can change a network decision.
bool AffectsNetwork(const store::Key& k) {
  return k.kind.starts_with("ec2/") || k.kind == "efs/mount-target";
}

}  // namespace

struct NfsDataPlane::Network {
  explicit Network(store::Store& store) : guard(store) {}

  net::NetworkDecision Decide(const std::string& mt_id, const api::ec2::IpAddress& mt_ip,
                              const rpc::Connection& c) {
    return guard.Check(mt_id, mt_ip, ToIp(c.remote().address()), c.remote().port());
  }

  // One audit line per decision: "Accept" at accept time, "Disconnect" when
  // a rule change closes a live connection. The principal is not known yet
  // at this layer (TLS and credentials come after).
  void Record(const char* event, const std::string& mt_id, const std::string& fs_id,
              const rpc::Connection& c, const net::NetworkDecision& d) {
    api::AuditLog* log = audit.load(std::memory_order_acquire);
    if (!d.allowed)
      spdlog::debug("nfs: {} {}:{} at mount target {}: {} ({})", event,
                    c.remote().address().to_string(), c.remote().port(), mt_id, d.reason,
                    net::LayerName(d.layer));
    if (!log) return;
    api::AuditEvent e;
    e.time = std::chrono::system_clock::now();
    e.event_source = "nfs";
    e.event_name = event;
    e.source_ip = ToIpText(c.remote().address());
    e.resource = mt_id;
    e.decision = d.allowed ? "allow" : "deny";
    if (!d.allowed) e.error_code = "NetworkDenied";
    e.reason = d.reason;
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& ch : d.checks)
      checks.push_back({{"layer", net::LayerName(ch.layer)}, {"allowed", ch.allowed}, {"rule", ch.rule}});
    e.details = {{"layer", "network"},
                 {"check", net::LayerName(d.layer)},
                 {"rule", d.rule},
                 {"mount_target", mt_id},
                 {"file_system", fs_id},
                 {"source_port", c.remote().port()},
                 {"local", ToIpText(c.local().address()) + ":" + std::to_string(c.local().port())},
                 {"connection", c.id()},
                 {"client_interface", d.client_interface},
                 {"client_subnet", d.client_subnet},
                 {"checks", std::move(checks)}};
    log->Write(e);
  }

  static std::string ToIpText(const ip::address& a) { return api::ec2::FormatIp(ToIp(a)); }

  net::MountTargetGuard guard;
  std::atomic<api::AuditLog*> audit{nullptr};
  std::mutex mu;
  std::condition_variable cv;
  bool changed = false;  // guarded by mu: a relevant store change since the last re-check
  bool stop = false;     // guarded by mu
};

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

NfsDataPlane::NfsDataPlane(Options options, nfs4::Nfs4Server& nfs, rpc::RpcServer& rpc,
                           store::Store& store)
    : options_(std::move(options)), nfs_(nfs), rpc_(rpc),
      network_(std::make_shared<Network>(store)) {
  std::weak_ptr<Network> weak = network_;
  store.Watch([weak](const std::vector<store::Key>& changed) {
    auto n = weak.lock();
    if (!n) return;
    for (const auto& k : changed) {
      if (!AffectsNetwork(k)) continue;
      {
        std::lock_guard lock(n->mu);
        n->changed = true;
      }
      n->cv.notify_one();
      return;
    }
  });
  recheck_ = std::thread([this] { RecheckLoop(); });
  if (options_.shared_numbers) return;
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

NfsDataPlane::~NfsDataPlane() {
  {
    std::lock_guard lock(network_->mu);
    network_->stop = true;
  }
  network_->cv.notify_one();
  recheck_.join();
}

void NfsDataPlane::SetAuditLog(api::AuditLog* audit) {
  network_->audit.store(audit, std::memory_order_release);
}

void NfsDataPlane::RecheckLoop() {
  Network& n = *network_;
  uint64_t seen = n.guard.Generation();
  std::unique_lock lock(n.mu);
  while (!n.stop) {
    n.cv.wait_for(lock, kRecheckInterval, [&] { return n.stop || n.changed; });
    if (n.stop) break;
    uint64_t gen = n.guard.Generation();
    if (!n.changed && gen == seen) continue;
    n.changed = false;
    seen = gen;
    lock.unlock();
    RecheckConnections();
    lock.lock();
  }
}

void NfsDataPlane::RecheckConnections() {
  std::map<ip::tcp::endpoint, std::pair<std::string, std::string>> by_endpoint;  // → (mt, fs)
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, mt] : mount_targets_) by_endpoint[mt.bound] = {id, mt.fs_id};
  }
  if (by_endpoint.empty()) return;
  size_t closed = 0;
  // A connection belongs to the mount target whose listener address it
  // reached: mount target addresses are unique (docs/network.md).
  rpc_.ForEachConnection([&](rpc::Connection& c) {
    if (c.closed()) return;
    auto it = by_endpoint.find(c.local());
    if (it == by_endpoint.end()) return;
    const auto& [mt_id, fs_id] = it->second;
    net::NetworkDecision d = network_->Decide(mt_id, ToIp(c.local().address()), c);
    if (d.allowed) return;
    network_->Record("Disconnect", mt_id, fs_id, c, d);
    c.Close();
    ++closed;
  });
  if (closed > 0)
    spdlog::info("nfs: closed {} connection(s) that changed network rules no longer allow", closed);
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

namespace {

// The directory /<fs-id> of the CephFS, made (0755, root) on first use.
// A node's Ceph client of a file system is named <node's reclaim id>/<fs-id>.
Result<std::unique_ptr<backend::CephFileSystem>> OpenCeph(backend::CephFileSystemOptions options,
                                                          std::string_view fs_id) {
  options.root_path = "/" + std::string(fs_id);
  if (!options.reclaim_uuid.empty()) options.reclaim_uuid += "/" + std::string(fs_id);
  auto fs = backend::CephFileSystem::Open(options);
  if (fs || fs.error().code() != Errc::kNotFound) return fs;
  options.root_path = "/";
  std::string reclaim = std::exchange(options.reclaim_uuid, "");  // the top is unmounted at once
  auto top = backend::CephFileSystem::Open(options);
  if (!top) return top;
  vfs::CreateRequest dir;
  dir.type = vfs::FileType::kDirectory;
  dir.mode = 0755;
  auto made = (*top)->Create(*(*top)->Root(), fs_id, dir);
  if (!made && made.error().code() != Errc::kExists) return Err(made.error());
  top->reset();
  options.root_path = "/" + std::string(fs_id);
  options.reclaim_uuid = reclaim;
  return backend::CephFileSystem::Open(options);
}

}  // namespace

Status NfsDataPlane::Attach(std::string_view fs_id) {
  std::lock_guard lock(mu_);
  if (exports_.count(fs_id)) return {};
  fs::path root = options_.data_dir / "fs" / std::string(fs_id);
  if (::mkdir(root.c_str(), 0755) != 0 && errno != EEXIST)
    return {Errc::kIo, "mkdir " + root.string() + ": " + std::strerror(errno)};
  auto num = numbers_.find(fs_id);
  if (num == numbers_.end() && options_.shared_numbers) {
    // Store round trips under mu_: attaching is rare (startup, CreateFileSystem).
    auto n = ClusterExportNumber(*options_.shared_numbers, fs_id);
    if (!n) return n.error();
    num = numbers_.emplace(std::string(fs_id), *n).first;
  } else if (num == numbers_.end()) {
    uint32_t max = 0;
    for (const auto& [k, v] : numbers_) max = std::max(max, v);
    num = numbers_.emplace(std::string(fs_id), max + 1).first;
    ELFS_RETURN_IF_ERROR(SaveExportNumbers());
  }
  std::shared_ptr<vfs::FileSystem> backend;
  if (options_.backend == "memory") {
    backend = std::make_shared<backend::MemoryFileSystem>(SystemClock::Instance());
  } else if (options_.backend == "ceph") {
    auto ceph = OpenCeph(options_.ceph, fs_id);
    if (!ceph) return ceph.error();
    backend = std::move(*ceph);
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
    // Metering a CephFS directory (its ceph.dir.rbytes) is still to come.
    if (options_.backend == "ceph") return 0;
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

Result<ip::tcp::endpoint> NfsDataPlane::Listen(
    const nfs4::Export& exp, const ip::tcp::endpoint& at,
    std::function<bool(const rpc::Connection&)> accept_filter,
    std::shared_ptr<const rpc::TlsOptions> tls) {
  auto table = std::make_shared<rpc::ProgramTable>();
  table->Add(std::make_shared<nfs4::Nfs4Program>(nfs_, exp));
  // efs-utils' proxy binds each connection to a partition first.
  rpc::AddEfsBindPrograms(*table, rpc::EfsBindOptions{exp.name});
  return rpc_.Listen(at, table, std::move(accept_filter), std::move(tls));
}

void NfsDataPlane::SetTls(std::shared_ptr<net::CertificateAuthority> ca, std::string region,
                          sigv4::SecretLookup secrets) {
  std::lock_guard lock(mu_);
  tls_ca_ = std::move(ca);
  tls_region_ = std::move(region);
  tls_secrets_ = std::move(secrets);
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
  // The network layer: decided from the real endpoints before any byte is
  // read. The filter holds the shared network state, not this object.
  auto filter = [n = network_, id = std::string(mount_target_id), fs = std::string(fs_id),
                 mt_ip = ToIp(addr)](const rpc::Connection& c) {
    net::NetworkDecision d = n->Decide(id, mt_ip, c);
    n->Record("Accept", id, fs, c, d);
    return d.allowed;
  };
  std::shared_ptr<const rpc::TlsOptions> tls;
  std::unique_lock tls_lock(mu_);
  if (tls_ca_) {
    net::EfsTlsListenerConfig cfg;
    cfg.region = tls_region_;
    cfg.file_system_id = std::string(fs_id);
    cfg.secrets = tls_secrets_;
    // Transport decisions go to the audit log next to the network ones.
    cfg.audit = [n = network_, id = std::string(mount_target_id), fs = std::string(fs_id)](
                    const rpc::Connection& c, const net::TlsAuditEvent& ev) {
      api::AuditLog* log = n->audit.load(std::memory_order_acquire);
      if (!log) return;
      api::AuditEvent e;
      e.time = std::chrono::system_clock::now();
      e.event_source = "nfs";
      e.event_name = "TlsConnect";
      e.principal = ev.access_key_id.empty() ? "anonymous" : "";
      e.access_key_id = ev.access_key_id;
      e.source_ip = Network::ToIpText(c.remote().address());
      e.resource = id;
      e.decision = ev.accepted ? "allow" : "deny";
      if (!ev.accepted) e.error_code = ev.reason.substr(0, ev.reason.find(':'));
      e.reason = ev.reason;
      e.details = {{"layer", "transport"},
                   {"protocol", ev.protocol},
                   {"cipher", ev.cipher},
                   {"starttls", ev.starttls},
                   {"client_certificate", ev.client_certificate},
                   {"access_point", ev.access_point_id},
                   {"mount_target", id},
                   {"file_system", fs},
                   {"connection", c.id()}};
      log->Write(e);
    };
    auto ca = tls_ca_;
    tls_lock.unlock();
    // A fresh certificate per mount target: its file system's names and its
    // address.
    auto o = net::MakeMountTargetTlsOptions(*ca, ip_text, std::move(cfg));
    if (!o) return o.error();
    tls = *o;
  } else {
    tls_lock.unlock();
  }
  auto bound = Listen(**exp, ip::tcp::endpoint(addr, options_.nfs_port), std::move(filter), tls);
  if (!bound) return bound.error();
  spdlog::info("mount target {} of {} listening at {}:{}", mount_target_id, fs_id,
               bound->address().to_string(), bound->port());
  std::lock_guard lock(mu_);
  mount_targets_[std::string(mount_target_id)] = {*bound, std::string(fs_id)};
  return {};
}

void NfsDataPlane::CloseMountTarget(std::string_view mount_target_id) {
  ip::tcp::endpoint at;
  {
    std::lock_guard lock(mu_);
    auto it = mount_targets_.find(mount_target_id);
    if (it == mount_targets_.end()) return;
    at = it->second.bound;
    mount_targets_.erase(it);
  }
  (void)rpc_.Unlisten(at);
  spdlog::info("mount target {} closed", mount_target_id);
}

}  // namespace elfs::server
