// The Ceph backend's test environment: each test gets a fresh directory of
// the test cluster's CephFS as its export root, mounted by a CephFileSystem
// of its own. The cluster is the one scripts/ceph/up.sh started; its
// ceph.conf is named by ELFS_CEPH_CONF (tests/unit/backend/run_ceph_tests.sh
// sets it). Not thread-safe; one per test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "backend/ceph/ceph_file_system.h"
#include "common/clock.h"

namespace elfs::backend::testing {

// Options to mount the test cluster's CephFS at root_path.
inline CephFileSystem::Options CephTestOptions(const std::string& root_path) {
  CephFileSystem::Options o;
  const char* conf = std::getenv("ELFS_CEPH_CONF");
  o.conf_path = conf ? conf : "";
  o.client_id = "admin";
  o.root_path = root_path;
  o.client_oc_size = 32 << 20;
  return o;
}

// A mount of the whole CephFS, shared by the tests to make their roots.
inline CephFileSystem& CephSetupMount() {
  static std::unique_ptr<CephFileSystem> fs = [] {
    if (std::getenv("ELFS_CEPH_CONF") == nullptr)
      ADD_FAILURE() << "ELFS_CEPH_CONF is not set: run through run_ceph_tests.sh (ctest -L ceph)";
    auto r = CephFileSystem::Open(CephTestOptions("/"));
    if (!r) {
      ADD_FAILURE() << "mount the test CephFS: " << r.error().ToString();
      std::abort();
    }
    return std::move(*r);
  }();
  return *fs;
}

// Makes a new, empty directory at the top of the CephFS; returns its path.
inline std::string NewCephExportDir(const std::string& prefix) {
  static std::atomic<int> counter{0};
  CephFileSystem& setup = CephSetupMount();
  std::string name = prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  vfs::CreateRequest req;
  req.type = vfs::FileType::kDirectory;
  req.mode = 0755;
  auto d = setup.Create(*setup.Root(), name, req);
  if (!d) ADD_FAILURE() << "mkdir " << name << ": " << d.error().ToString();
  return "/" + name;
}

class CephEnv {
 public:
  static constexpr bool kLocal = false;
  static constexpr const char* kName = "Ceph";
  // CephFS reports a file's blocks from its size, holes included.
  static constexpr bool kSpaceUsedIsSize = true;
  // A directory's link count lags after a subdirectory is renamed out of it.
  static constexpr bool kLazyDirLinkCountAfterRename = true;
  CephEnv() : path_(NewCephExportDir("contract")) {
    auto fs = CephFileSystem::Open(CephTestOptions(path_));
    if (!fs) {
      ADD_FAILURE() << "Open " << path_ << ": " << fs.error().ToString();
      return;
    }
    fs_ = std::move(*fs);
  }
  vfs::FileSystem& fs() { return *fs_; }
  Timespec Now() const { return SystemClock::Instance().Now(); }
  // The client stamps times from the clock: let it move.
  void Tick() { std::this_thread::sleep_for(std::chrono::milliseconds(5)); }
  const std::string& root_path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<CephFileSystem> fs_;
};

}  // namespace elfs::backend::testing
