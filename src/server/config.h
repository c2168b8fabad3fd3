// elfsd's configuration: defaults, an optional JSON config file, then
// command-line flags, in that order of precedence (later wins).
//
// File systems and mount targets come from the management API (api_listen);
// `file_systems` adds static listeners outside it: the embedded default (one
// file system at default_listen) and --fs ID=ADDR:PORT.
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
  // EFS serves NFSv4.0 and 4.1; 2 opts in to NFSv4.2 (docs/conformance.md).
  uint32_t nfs_max_minor_version = 1;
  uint32_t worker_threads = 0;  // 0: chosen for the machine
  std::string log_level = "info";
  // "local" (files in DATA_DIR/fs/<id>), "ceph" (a directory /<id> of a
  // CephFS, see docs/ceph.md) or "memory" (nothing persists; for tests and
  // benchmarks of the protocol layers).
  std::string backend = "local";
  // The Ceph backend: ceph.conf (empty: libcephfs's default), cephx client
  // id, and CephFS name (empty: the cluster's default file system).
  std::string ceph_conf;
  std::string ceph_client_id = "admin";
  std::string ceph_fs;
  // Where the service's state lives: "sqlite" (DATA_DIR/state, one node) or
  // "rados" (cluster mode: an object in rados_pool of the ceph_conf cluster,
  // shared by every node; docs/ceph.md).
  std::string store = "sqlite";
  std::string rados_pool = "elfs";
  // Cluster mode: the availability zone id (e.g. "use1-az1") whose mount
  // targets this node listens on; empty: every mount target.
  std::string node_az;

  // The management API (EFS, IAM, STS, EC2). Empty: no API.
  std::string api_listen = "127.0.0.1:8049";
  bool api_tls = false;  // HTTPS with a certificate from elfs's CA
  std::string region = "us-east-1";
  // The account's 12-digit id; empty: chosen at random on first start, then
  // kept. A different id than the stored one is refused.
  std::string account_id;
  // Where mount targets created through the API listen.
  uint16_t nfs_port = 2049;
  // NFSv4 grace period after a restart (RFC 8881 section 8.4.2); EFS: 90 s.
  uint32_t grace_seconds = 90;
  // The default VPC's CIDR; its /20 subnets (one per AZ) are where mount
  // target addresses come from. 127.x keeps everything on one host.
  std::string default_vpc_cidr = "127.31.0.0/16";
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
