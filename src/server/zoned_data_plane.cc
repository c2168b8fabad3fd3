#include "server/zoned_data_plane.h"

#include <chrono>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "api/ec2/model.h"

namespace elfs::server {

ZonedDataPlane::ZonedDataPlane(api::DataPlane& inner, std::string zone_id, store::Store& store,
                               api::NetworkDirectory& network)
    : inner_(inner), zone_id_(std::move(zone_id)), store_(store), network_(network) {}

ZonedDataPlane::~ZonedDataPlane() { Stop(); }

// The network interface records are the EC2 service's (api/ec2/model.cc):
// {"ip": "...", "subnet": "subnet-..."}; anything else is skipped.
std::optional<std::string> ZonedDataPlane::ZoneOfIp(std::string_view ip) {
  auto enis = store_.List(api::ec2::kInterfaceKind);
  if (!enis) return std::nullopt;
  for (const auto& r : *enis) {
    auto j = nlohmann::json::parse(r.value, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) continue;
    auto at = j.find("ip"), subnet = j.find("subnet");
    if (at == j.end() || subnet == j.end() || !at->is_string() || !subnet->is_string()) continue;
    if (at->get<std::string>() != ip) continue;
    if (auto s = network_.FindSubnet(subnet->get<std::string>())) return s->availability_zone_id;
  }
  return std::nullopt;
}

Status ZonedDataPlane::OpenMountTarget(std::string_view mount_target_id, std::string_view fs_id,
                                       std::string_view ip) {
  auto zone = ZoneOfIp(ip);
  if (!zone || *zone != zone_id_) {
    spdlog::info("mount target {} at {} is in zone {}: served by that zone's node", mount_target_id,
                 ip, zone ? *zone : "(unknown)");
    return {};
  }
  std::lock_guard lock(mu_);
  if (open_.count(mount_target_id)) return {};
  ELFS_RETURN_IF_ERROR(inner_.OpenMountTarget(mount_target_id, fs_id, ip));
  open_.emplace(mount_target_id);
  return {};
}

void ZonedDataPlane::CloseMountTarget(std::string_view mount_target_id) {
  std::lock_guard lock(mu_);
  auto it = open_.find(mount_target_id);
  if (it == open_.end()) return;
  inner_.CloseMountTarget(mount_target_id);
  open_.erase(it);
}

void ZonedDataPlane::Reconcile() {
  auto all = list_();
  if (!all) {
    spdlog::error("cluster: listing mount targets: {}", all.error().ToString());
    return;
  }
  std::lock_guard lock(mu_);
  std::set<std::string, std::less<>> wanted;
  for (const auto& t : *all) {
    if (t.zone_id != zone_id_) continue;
    wanted.insert(t.mount_target_id);
    if (open_.count(t.mount_target_id)) continue;
    Status s = inner_.OpenMountTarget(t.mount_target_id, t.file_system_id, t.ip);
    if (!s.ok()) {
      spdlog::error("mount target {}: {}", t.mount_target_id, s.ToString());
      continue;
    }
    open_.insert(t.mount_target_id);
    spdlog::info("serving mount target {} of {} at {} (zone {})", t.mount_target_id,
                 t.file_system_id, t.ip, zone_id_);
  }
  for (auto it = open_.begin(); it != open_.end();) {
    if (wanted.count(*it)) {
      ++it;
      continue;
    }
    spdlog::info("mount target {} is gone: closing it", *it);
    inner_.CloseMountTarget(*it);
    it = open_.erase(it);
  }
}

void ZonedDataPlane::Start(ListTargets list) {
  list_ = std::move(list);
  Reconcile();
  loop_ = std::thread([this] { Loop(); });
}

void ZonedDataPlane::MountTargetsChanged() {
  {
    std::lock_guard lock(loop_mu_);
    due_ = true;
  }
  loop_cv_.notify_all();
}

void ZonedDataPlane::Stop() {
  {
    std::lock_guard lock(loop_mu_);
    stop_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
}

void ZonedDataPlane::Loop() {
  std::unique_lock lock(loop_mu_);
  while (!stop_) {
    loop_cv_.wait_for(lock, std::chrono::seconds(10), [this] { return due_ || stop_; });
    if (stop_) return;
    due_ = false;
    lock.unlock();
    Reconcile();
    lock.lock();
  }
}

}  // namespace elfs::server
