// elfsd: the elfs server. Parses the command line and config file, starts
// the Daemon, and stops it on SIGINT or SIGTERM.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "server/config.h"
#include "server/control_plane.h"
#include "server/daemon.h"
#include "store/rados_store.h"
#include "store/store.h"

namespace {

// `elfsd explain` reads the state; it never creates storage or listeners.
class ReadOnlyDataPlane final : public elfs::api::DataPlane {
 public:
  elfs::Status CreateStorage(std::string_view) override { return Refuse(); }
  elfs::Status DeleteStorage(std::string_view) override { return Refuse(); }
  uint64_t MeteredSize(std::string_view) override { return 0; }
  elfs::Status OpenMountTarget(std::string_view, std::string_view, std::string_view) override {
    return Refuse();
  }
  void CloseMountTarget(std::string_view) override {}

 private:
  static elfs::Status Refuse() { return {elfs::Errc::kReadOnly, "explain changes nothing"}; }
};

}  // namespace

int main(int argc, char** argv) {
  using elfs::server::Config;
  Config config;
  // The config file first; flags given on the command line override it, so
  // it is read before the flags are bound to the same fields.
  for (int i = 1; i + 1 < argc; ++i) {
    std::string a = argv[i];
    if (a == "-c" || a == "--config") {
      if (auto s = elfs::server::LoadConfigFile(argv[i + 1], config); !s.ok()) {
        std::cerr << "elfsd: " << s.ToString() << "\n";
        return 2;
      }
    }
  }
  CLI::App app{"elfsd: a self-hosted elastic file service (NFSv4.0/4.1 + the EFS API)"};
  std::string config_file;
  std::vector<std::string> fs_flags;
  app.add_option("-c,--config", config_file, "JSON config file (flags override it)");
  app.add_option("-d,--data-dir", config.data_dir, "data directory (default /var/lib/elfs)");
  app.add_option("-l,--listen", config.default_listen,
                 "listen address of the default file system (default 127.0.0.1:2049)");
  app.add_option("--fs", fs_flags, "serve file system ID at ADDR:PORT (repeatable): ID=ADDR:PORT");
  app.add_option("--api-listen", config.api_listen,
                 "EFS/IAM/STS/EC2 API endpoint (default 127.0.0.1:8049; empty: none)");
  app.add_flag("--api-tls", config.api_tls, "serve the API over HTTPS (certificate from elfs's CA)");
  app.add_option("--region", config.region, "region (default us-east-1)");
  app.add_option("--account-id", config.account_id, "12-digit account id (default: random, kept)");
  app.add_option("--nfs-port", config.nfs_port, "port of API-created mount targets (default 2049)");
  app.add_option("--default-vpc-cidr", config.default_vpc_cidr,
                 "CIDR of the default VPC (default 127.31.0.0/16)");
  app.add_option("--lease-seconds", config.lease_seconds, "NFSv4 lease time (default 90)");
  app.add_option("--nfs-max-minor-version", config.nfs_max_minor_version,
                 "highest NFSv4 minor version served: 1 (default, as EFS) or 2 (adds "
                 "ALLOCATE; see docs/conformance.md)")
      ->check(CLI::Range(1, 2));
  app.add_option("--grace-seconds", config.grace_seconds,
                 "NFSv4 grace period after a restart (default 90)");
  app.add_option("--threads", config.worker_threads, "worker threads (0: auto)");
  app.add_option("--log-level", config.log_level, "trace|debug|info|warn|error");
  app.add_option("--backend", config.backend,
                 "local (default), ceph (CephFS, see --ceph-*) or memory (nothing persists; for tests)");
  app.add_option("--ceph-conf", config.ceph_conf, "ceph.conf of the Ceph backend's cluster");
  app.add_option("--ceph-client-id", config.ceph_client_id, "cephx client id (default admin)");
  app.add_option("--ceph-fs", config.ceph_fs, "CephFS name (default: the cluster's default)");
  app.add_option("--store", config.store,
                 "sqlite (default, DATA_DIR/state) or rados (cluster mode: state shared in a RADOS "
                 "pool of the --ceph-conf cluster)");
  app.add_option("--rados-pool", config.rados_pool, "RADOS pool of the rados store (default elfs)");
  app.add_option("--node-az", config.node_az,
                 "cluster mode: serve only the mount targets of this zone id (e.g. use1-az1)");
  // `elfsd explain ...`: the layer-by-layer answer for one client, from the
  // state in the data directory (elfsd may be running), then exit.
  elfs::server::ControlPlane::ExplainRequest explain;
  auto* explain_cmd = app.add_subcommand(
      "explain", "could this client mount this mount target, and write, and as root? (JSON)");
  explain_cmd->add_option("--mount-target", explain.mount_target_id, "fsmt-...")->required();
  explain_cmd->add_option("--source-ip", explain.source_ip, "the client's address")->required();
  explain_cmd->add_option("--source-port", explain.source_port, "the client's port (default 40000)");
  explain_cmd->add_flag("--tls", explain.tls, "the client connects with TLS");
  explain_cmd->add_option("--access-key-id", explain.access_key_id,
                          "the IAM identity of its client certificate (default: anonymous)");
  explain_cmd->add_option("--access-point", explain.access_point_id, "fsap-... (needs --tls)");
  CLI11_PARSE(app, argc, argv);
  if (*explain_cmd) {
    spdlog::set_level(spdlog::level::warn);
    auto store = config.store == "rados"
                     ? elfs::store::OpenRadosStore({config.ceph_conf, config.ceph_client_id,
                                                    config.rados_pool, "elfs-state", ""})
                     : elfs::store::OpenSqliteStore(std::filesystem::path(config.data_dir) / "state" /
                                                    "elfs.db");
    if (!store) {
      std::cerr << "elfsd explain: " << store.error().ToString() << "\n";
      return 1;
    }
    ReadOnlyDataPlane data_plane;
    auto control = elfs::server::ControlPlane::Create(config, **store, data_plane);
    if (!control) {
      std::cerr << "elfsd explain: " << control.error().ToString() << "\n";
      return 1;
    }
    auto answer = (*control)->Explain(explain);
    if (!answer) {
      std::cerr << "elfsd explain: " << answer.error().ToString() << "\n";
      return 1;
    }
    std::cout << answer->dump(2) << "\n";
    return 0;
  }
  if (!fs_flags.empty()) config.file_systems.clear();
  for (const auto& f : fs_flags) {
    size_t eq = f.find('=');
    config.file_systems.push_back(
        {f.substr(0, eq), eq == std::string::npos ? config.default_listen : f.substr(eq + 1)});
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));

  // Block the stop signals before any thread starts, then wait for them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto daemon = elfs::server::Daemon::Create(config);
  if (!daemon) {
    std::cerr << "elfsd: " << daemon.error().ToString() << "\n";
    return 1;
  }
  if (auto s = (*daemon)->Start(); !s.ok()) {
    std::cerr << "elfsd: " << s.ToString() << "\n";
    return 1;
  }
  for (const auto& l : (*daemon)->listeners())
    std::printf("elfsd: %s at %s:%u (mount with: mount -t nfs4 -o vers=4.1,port=%u %s:/ /mnt)\n",
                l.fs_id.c_str(), l.endpoint.address().to_string().c_str(), l.endpoint.port(),
                l.endpoint.port(), l.endpoint.address().to_string().c_str());
  const auto& control = (*daemon)->control_plane();
  if (control.api_port() != 0) {
    // The secret itself is never printed or logged: it is in a 0600 file.
    const char* scheme = config.api_tls ? "https" : "http";
    std::string ca_hint =
        config.api_tls ? " --ca-bundle " + (std::filesystem::path(config.data_dir) / "ca.pem").string() : "";
    std::printf("elfsd: API at %s://%s:%u, account %s; root credentials in %s%s\n"
                "  use them with:\n"
                "    export AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=elfs AWS_DEFAULT_REGION=%s\n"
                "    aws --endpoint-url %s://%s:%u%s efs describe-file-systems\n",
                scheme, elfs::server::ParseListen(config.api_listen)->first.c_str(), control.api_port(),
                control.account_id().c_str(), control.root_credentials_file().c_str(),
                control.created_root_credentials() ? " (created now, mode 0600)" : "",
                control.root_credentials_file().c_str(), config.region.c_str(), scheme,
                elfs::server::ParseListen(config.api_listen)->first.c_str(), control.api_port(),
                ca_hint.c_str());
  }
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("signal {}: stopping", sig);
  (*daemon)->Stop();
  return 0;
}
