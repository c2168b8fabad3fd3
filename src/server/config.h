// elfsd's configuration: defaults, an optional JSON config file, then
// command-line flags, in that order of precedence (later wins).
//
// Until the management API creates file systems and mount targets, each file
// system is a directory DATA_DIR/fs/<id>/ served at its own listen address,
// as a mount target will be.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace elfs::server {

struct FileSystemConfig {
  std::string id;      // "fs-" + hex, the directory name under DATA_DIR/fs
  std::string listen;  // "ADDR:PORT" ([v6]:PORT for IPv6)
};

struct Config {
  std::string data_dir = "/var/lib/elfs";
  std::vector<FileSystemConfig> file_systems;  // empty: one default file system
  std::string default_listen = "127.0.0.1:2049";
  uint32_t lease_seconds = 90;
  uint32_t worker_threads = 0;  // 0: chosen for the machine
  std::string log_level = "info";
  // "local" (files in DATA_DIR/fs/<id>) or "memory" (nothing persists; for
  // tests and benchmarks of the protocol layers).
  std::string backend = "local";
};

// Reads a JSON config file into `config` (only the keys present change).
Status LoadConfigFile(const std::string& path, Config& config);
// Validates ids ("fs-" + 8..17 lowercase hex), listen addresses and ranges.
Status ValidateConfig(const Config& config);
// Splits "ADDR:PORT" / "[ADDR]:PORT" / "ADDR" (port 2049).
Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& s);
// True for "fs-" followed by 8 to 17 lowercase hex digits (EFS's ids).
bool IsFileSystemId(const std::string& id);

}  // namespace elfs::server
