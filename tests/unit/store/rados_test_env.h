// The RADOS store of a test: the cluster of ELFS_CEPH_CONF (set by
// tests/unit/backend/run_ceph_tests.sh), pool elfs-test, one object per test
// and process so that tests never see each other's records.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "store/rados_store.h"

namespace elfs::store {

inline RadosStoreOptions TestRadosOptions(const std::string& prefix) {
  RadosStoreOptions o;
  const char* conf = std::getenv("ELFS_CEPH_CONF");
  o.conf_path = conf ? conf : "";
  o.pool = "elfs-test";
  o.object = prefix + "-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name();
  return o;
}

}  // namespace elfs::store
