// Test environments for the backend contract suite: each one owns a fresh
// vfs::FileSystem (and whatever it stands on: a fake clock, a temporary
// directory) for one test. Not thread-safe; one per test.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "backend/local/local_file_system.h"
#include "backend/memory/memory_file_system.h"
#include "common/clock.h"

namespace elfs::backend::testing {

// A directory under /tmp, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/elfs-backend-XXXXXX";
    char* p = mkdtemp(tmpl.data());
    if (p == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class MemoryEnv {
 public:
  static constexpr bool kLocal = false;
  static constexpr const char* kName = "Memory";
  MemoryEnv() : fs_(clock_) {}
  vfs::FileSystem& fs() { return fs_; }
  // The time the file system stamps with.
  Timespec Now() const { return clock_.Now(); }
  // Lets time pass so that a later stamp differs from an earlier one.
  void Tick() { clock_.Advance(std::chrono::milliseconds(1)); }

 private:
  FakeClock clock_;
  MemoryFileSystem fs_;
};

class LocalEnv {
 public:
  static constexpr bool kLocal = true;
  static constexpr const char* kName = "Local";
  LocalEnv() {
    auto fs = LocalFileSystem::Open(dir_.path(), LocalFileSystem::Options());
    if (!fs) {
      ADD_FAILURE() << "Open: " << fs.error().ToString();
      return;
    }
    fs_ = std::move(*fs);
  }
  vfs::FileSystem& fs() { return *fs_; }
  Timespec Now() const { return SystemClock::Instance().Now(); }
  // Kernel timestamps can be a jiffy coarse: let one pass.
  void Tick() { std::this_thread::sleep_for(std::chrono::milliseconds(15)); }
  const std::string& root_path() const { return dir_.path(); }

 private:
  TempDir dir_;
  std::unique_ptr<LocalFileSystem> fs_;
};

}  // namespace elfs::backend::testing
