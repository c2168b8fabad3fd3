// ZonedDataPlane: a cluster node's view of the mount targets (docs/ceph.md,
// "Cluster mode"). Every node of a cluster shares the API state, but a node
// listens only on the mount targets of its own availability zone (its
// --node-az, a zone id such as "use1-az1"), as EFS has one mount target per
// zone. It wraps the node's NfsDataPlane and passes on only the mount
// targets of its zone (the zone of the subnet of the mount target's network
// interface); storage calls pass through. A mount target created or deleted
// through another node's API reaches this node as a store change:
// MountTargetsChanged() wakes a thread that re-lists the mount targets, opens
// what is new in this zone and closes what is gone (also every 10 s, a
// safety net for lost notices).
//
// Thread safety: thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/common/directory.h"
#include "store/store.h"

namespace elfs::server {

class ZonedDataPlane final : public api::DataPlane {
 public:
  struct Target {
    std::string mount_target_id;
    std::string file_system_id;
    std::string ip;
    std::string zone_id;
  };
  using ListTargets = std::function<Result<std::vector<Target>>()>;

  // `inner`, `store` (where network interfaces are) and `network` outlive
  // this object.
  ZonedDataPlane(api::DataPlane& inner, std::string zone_id, store::Store& store,
                 api::NetworkDirectory& network);
  ~ZonedDataPlane() override;

  Status CreateStorage(std::string_view fs_id) override { return inner_.CreateStorage(fs_id); }
  Status DeleteStorage(std::string_view fs_id) override { return inner_.DeleteStorage(fs_id); }
  uint64_t MeteredSize(std::string_view fs_id) override { return inner_.MeteredSize(fs_id); }
  // OK without listening when the address is in another zone.
  Status OpenMountTarget(std::string_view mount_target_id, std::string_view fs_id,
                         std::string_view ip) override;
  void CloseMountTarget(std::string_view mount_target_id) override;

  // Opens this zone's mount targets of `list()` now, then keeps them in step
  // on every MountTargetsChanged() until Stop().
  void Start(ListTargets list);
  // Cheap; callable from a store watcher.
  void MountTargetsChanged();
  void Stop();

 private:
  std::optional<std::string> ZoneOfIp(std::string_view ip);
  void Reconcile();
  void Loop();

  api::DataPlane& inner_;
  const std::string zone_id_;
  store::Store& store_;
  api::NetworkDirectory& network_;
  ListTargets list_;

  std::mutex mu_;  // serializes opening and closing
  std::set<std::string, std::less<>> open_;  // guarded by mu_

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool due_ = false;   // guarded by loop_mu_
  bool stop_ = false;  // guarded by loop_mu_
  std::thread loop_;
};

}  // namespace elfs::server
