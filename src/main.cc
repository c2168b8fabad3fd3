// elfsd: the elfs server. Parses the command line and config file, starts
// the Daemon, and stops it on SIGINT or SIGTERM.
#include <signal.h>

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "server/config.h"
#include "server/daemon.h"

int main(int argc, char** argv) {
  using elfs::server::Config;
  CLI::App app{"elfsd: a self-hosted elastic file service (NFSv4.0/4.1)"};
  std::string config_file;
  Config config;
  std::vector<std::string> fs_flags;
  app.add_option("-c,--config", config_file, "JSON config file");
  auto* data_dir = app.add_option("-d,--data-dir", config.data_dir,
                                  "data directory (default /var/lib/elfs)");
  auto* listen = app.add_option("-l,--listen", config.default_listen,
                                "listen address of the default file system (default 127.0.0.1:2049)");
  auto* fs_opt = app.add_option("--fs", fs_flags,
                                "serve file system ID at ADDR:PORT (repeatable): ID=ADDR:PORT");
  auto* lease = app.add_option("--lease-seconds", config.lease_seconds, "NFSv4 lease time");
  auto* threads = app.add_option("--threads", config.worker_threads, "worker threads (0: auto)");
  auto* level = app.add_option("--log-level", config.log_level, "trace|debug|info|warn|error");
  auto* backend = app.add_option("--backend", config.backend,
                                 "local (default) or memory (nothing persists; for tests)");
  CLI11_PARSE(app, argc, argv);

  if (!config_file.empty()) {
    // The file first, then flags given on the command line override it.
    Config from_file;
    if (auto s = elfs::server::LoadConfigFile(config_file, from_file); !s.ok()) {
      std::cerr << "elfsd: " << s.ToString() << "\n";
      return 2;
    }
    if (data_dir->count() == 0) config.data_dir = from_file.data_dir;
    if (listen->count() == 0) config.default_listen = from_file.default_listen;
    if (lease->count() == 0) config.lease_seconds = from_file.lease_seconds;
    if (threads->count() == 0) config.worker_threads = from_file.worker_threads;
    if (level->count() == 0) config.log_level = from_file.log_level;
    if (backend->count() == 0) config.backend = from_file.backend;
    if (fs_opt->count() == 0) config.file_systems = from_file.file_systems;
  }
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
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("signal {}: stopping", sig);
  (*daemon)->Stop();
  return 0;
}
