// Daemon: builds elfsd from a Config — data directory, secrets, backends,
// the NFSv4 server and its listeners — and runs it. The only place that
// knows the concrete backend classes.
//
// Data directory layout (created on first start):
//   DATA_DIR/fs/<fs-id>/          the files of each file system
//   DATA_DIR/secrets/             0700; filehandle.key (0600, 32 random bytes)
//   DATA_DIR/state/exports.json   fs id -> the number inside file handles
//   DATA_DIR/state/elfs.db        0600; the service's state (SQLite, store/store.h)
//
// Thread safety: Start/Stop from one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "common/status.h"
#include "server/config.h"
#include "server/control_plane.h"

namespace elfs::server {

class Daemon {
 public:
  struct Listener {
    std::string fs_id;
    boost::asio::ip::tcp::endpoint endpoint;
  };

  static Result<std::unique_ptr<Daemon>> Create(const Config& config);
  ~Daemon();

  // Binds every listener and starts serving.
  Status Start();
  void Stop();
  const std::vector<Listener>& listeners() const { return listeners_; }
  const ControlPlane& control_plane() const;

 private:
  struct Impl;
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::vector<Listener> listeners_;
};

// Reads DATA_DIR/secrets/<name>, creating it with `size` random bytes and
// mode 0600 if missing. Refuses a file readable by group or others.
Result<std::vector<uint8_t>> LoadOrCreateSecret(const std::string& dir, const std::string& name,
                                                size_t size);

}  // namespace elfs::server
