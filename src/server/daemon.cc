#include "server/daemon.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <shared_mutex>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "backend/local/local_file_system.h"
#include "backend/memory/memory_file_system.h"
#include "common/random.h"
#include "nfs4/program.h"
#include "nfs4/server.h"
#include "rpc/server.h"
#include "server/cluster_state.h"
#include "server/control_plane.h"
#include "server/data_plane.h"
#include "store/rados_store.h"
#include "store/store.h"

namespace elfs::server {

namespace fs = std::filesystem;

namespace {

Status MakeDir(const fs::path& p, mode_t mode) {
  if (::mkdir(p.c_str(), mode) != 0 && errno != EEXIST)
    return {Errc::kIo, "mkdir " + p.string() + ": " + std::strerror(errno)};
  struct stat st;
  if (::stat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return {Errc::kNotDir, p.string() + " is not a directory"};
  return {};
}

// The shared store of cluster mode as the services see it. Watchers of a
// RADOS store also run for other nodes' commits, on a librados thread, at
// any time until the store is gone; Close() stops calling them so that the
// services may be destroyed before the store.
class GatedStore final : public store::Store {
 public:
  explicit GatedStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}
  Result<std::optional<store::Record>> Get(std::string_view kind, std::string_view id) override {
    return inner_->Get(kind, id);
  }
  Result<std::vector<store::Record>> List(std::string_view kind) override { return inner_->List(kind); }
  Status Commit(const store::Transaction& txn) override { return inner_->Commit(txn); }
  void Watch(Watcher watcher) override {
    inner_->Watch([gate = gate_, w = std::move(watcher)](const std::vector<store::Key>& changed) {
      std::shared_lock lock(gate->mu);
      if (gate->open) w(changed);
    });
  }
  void Close() {
    std::unique_lock lock(gate_->mu);
    gate_->open = false;
  }

 private:
  struct Gate {
    std::shared_mutex mu;
    bool open = true;
  };
  std::unique_ptr<store::Store> inner_;
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
};

}  // namespace

Result<std::vector<uint8_t>> LoadOrCreateSecret(const std::string& dir, const std::string& name,
                                                size_t size) {
  fs::path p = fs::path(dir) / name;
  int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    std::vector<uint8_t> key(size);
    SystemRandom::Instance().Fill(key);
    int w = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (w < 0) return Err(Errc::kIo, "create " + p.string() + ": " + std::strerror(errno));
    bool ok = ::write(w, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
              ::fsync(w) == 0;
    ::close(w);
    if (!ok) return Err(Errc::kIo, "write " + p.string());
    spdlog::info("created secret {} (mode 0600)", p.string());
    return key;
  }
  if (fd < 0) return Err(Errc::kIo, "open " + p.string() + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Err(Errc::kPerm, p.string() + " must be a regular file with mode 0600");
  }
  std::vector<uint8_t> key(size);
  ssize_t n = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(size)) return Err(Errc::kInvalid, p.string() + " has the wrong size");
  return key;
}

struct Daemon::Impl {
  ~Impl() {
    if (shared) shared->Close();
  }
  Config config;
  std::unique_ptr<store::Store> store;  // outlives everything that uses it
  // Cluster mode: API, IAM and network state on RADOS, shared by the nodes;
  // `store` keeps what is this node's own (NFSv4 client records, boot epoch).
  std::unique_ptr<GatedStore> shared;
  store::Store& service_store() { return shared ? *shared : *store; }
  std::unique_ptr<nfs4::Nfs4Server> nfs;
  std::unique_ptr<rpc::RpcServer> rpc;
  std::unique_ptr<NfsDataPlane> data_plane;
  std::unique_ptr<ControlPlane> control;
};

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() { Stop(); }

Result<std::unique_ptr<Daemon>> Daemon::Create(const Config& given) {
  Config config = given;
  ELFS_RETURN_IF_ERROR_R(ValidateConfig(config));
  const fs::path data(config.data_dir);
  ELFS_RETURN_IF_ERROR_R(MakeDir(data, 0700));
  ELFS_RETURN_IF_ERROR_R(MakeDir(data / "fs", 0755));
  ELFS_RETURN_IF_ERROR_R(MakeDir(data / "secrets", 0700));
  ELFS_RETURN_IF_ERROR_R(MakeDir(data / "state", 0700));

  auto impl = std::make_unique<Impl>();
  impl->config = config;
  auto store = store::OpenSqliteStore(data / "state" / "elfs.db");
  if (!store) return Err(store.error());
  impl->store = std::move(*store);
  if (config.store == "rados") {
    store::RadosStoreOptions ro;
    ro.conf_path = config.ceph_conf;
    ro.client_id = config.ceph_client_id;
    ro.pool = config.rados_pool;
    auto rados = store::OpenRadosStore(ro);
    if (!rados) return Err(rados.error());
    impl->shared = std::make_unique<GatedStore>(std::move(*rados));
    spdlog::info("cluster mode: service state in RADOS pool {}, mount targets of zone {}",
                 config.rados_pool, config.node_az.empty() ? "(all)" : config.node_az);
  }
  // Any node must resolve a handle that another gave out: in cluster mode the
  // key that MACs handles is the cluster's, kept in the pool (made by the
  // first node); a single node keeps its own in DATA_DIR/secrets.
  auto key = impl->shared
                 ? LoadOrCreateClusterSecret(*impl->shared, "filehandle-key",
                                             nfs4::FileHandleCodec::kKeySize,
                                             SystemRandom::Instance())
                 : LoadOrCreateSecret((data / "secrets").string(), "filehandle.key",
                                      nfs4::FileHandleCodec::kKeySize);
  if (!key) return Err(key.error());
  if (impl->shared)  // where the key is, never what it is
    spdlog::info("cluster mode: file handle key and export numbers shared in RADOS pool {}",
                 config.rados_pool);
  nfs4::Nfs4Options options;
  options.store = impl->store.get();
  options.state.lease_time = std::chrono::seconds(config.lease_seconds);
  options.state.grace_time = std::chrono::seconds(config.grace_seconds);
  options.max_minor_version = config.nfs_max_minor_version;
  impl->nfs = std::make_unique<nfs4::Nfs4Server>(
      options, SystemClock::Instance(), SystemRandom::Instance(),
      std::span<const uint8_t, nfs4::FileHandleCodec::kKeySize>(key->data(), key->size()));

  rpc::ServerOptions ro;
  ro.worker_threads = config.worker_threads;
  impl->rpc = std::make_unique<rpc::RpcServer>(ro);
  NfsDataPlane::Options dp{data, config.backend, config.nfs_port, {}};
  dp.ceph.conf_path = config.ceph_conf;
  dp.ceph.client_id = config.ceph_client_id;
  dp.ceph.fs_name = config.ceph_fs;
  if (config.backend == "ceph") {
    // This node's name for its Ceph clients, kept across restarts, so that a
    // restart after a crash reclaims the dead clients' sessions at once.
    auto id = LoadOrCreateSecret((data / "state").string(), "ceph-node-id", 8);
    if (!id) return Err(id.error());
    dp.ceph.reclaim_uuid = "elfs-";
    for (uint8_t b : *id) dp.ceph.reclaim_uuid += fmt::format("{:02x}", b);
  }
  // Export numbers too: shared in cluster mode (DATA_DIR/state/exports.json
  // is then unused).
  dp.shared_numbers = impl->shared.get();
  impl->data_plane = std::make_unique<NfsDataPlane>(std::move(dp), *impl->nfs, *impl->rpc,
                                                    impl->service_store());
  auto control = ControlPlane::Create(config, impl->service_store(), *impl->data_plane);
  if (!control) return Err(control.error());
  impl->control = std::move(*control);
  impl->data_plane->SetAuditLog(&impl->control->audit_log());
  impl->nfs->SetClientAuthorizer(&impl->control->client_authorizer());
  if (config.file_systems.empty()) {
    // The embedded default: one file system, an API object like any other
    // (creation token "elfs-default"), also served at default_listen. A data
    // directory of an older elfs holds its files in the one directory of
    // DATA_DIR/fs that no API object owns: that one is adopted.
    std::vector<std::string> unowned;
    for (const auto& e : fs::directory_iterator(data / "fs")) {
      std::string name = e.path().filename().string();
      if (e.is_directory() && IsFileSystemId(name) && !impl->control->OwnsFileSystem(name))
        unowned.push_back(name);
    }
    std::sort(unowned.begin(), unowned.end());
    if (unowned.size() > 1)
      return Err(Errc::kInvalid, "several file systems in " + (data / "fs").string() +
                                     " belong to no API object: list them with --fs ID=ADDR:PORT");
    auto id = impl->control->EnsureDefaultFileSystem(unowned.size() == 1 ? unowned[0] : "");
    if (!id) return Err(id.error());
    config.file_systems.push_back({*id, config.default_listen});
    impl->config = config;
  }
  for (const auto& fsc : config.file_systems) {
    // --fs names file systems the API then knows too.
    if (!impl->control->OwnsFileSystem(fsc.id)) {
      auto id = impl->control->EnsureStaticFileSystem(fsc.id);
      if (!id) return Err(id.error());
    }
    ELFS_RETURN_IF_ERROR_R(impl->data_plane->Attach(fsc.id));
  }
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Status Daemon::Start() {
  namespace ip = boost::asio::ip;
  for (const auto& fsc : impl_->config.file_systems) {
    auto hp = ParseListen(fsc.listen);
    if (!hp) return hp.error();
    boost::system::error_code ec;
    auto addr = ip::make_address(hp->first, ec);
    if (ec) return {Errc::kInvalid, "bad listen address " + hp->first + ": " + ec.message()};
    auto bound = impl_->data_plane->ServeAt(fsc.id, ip::tcp::endpoint(addr, hp->second));
    if (!bound) return bound.error();
    const std::string& id = fsc.id;
    listeners_.push_back({id, *bound});
    spdlog::info("serving file system {} at {}:{}", id, bound->address().to_string(),
                 bound->port());
  }
  impl_->rpc->Start();
  return impl_->control->Start();
}

const ControlPlane& Daemon::control_plane() const { return *impl_->control; }

void Daemon::Stop() {
  if (impl_ && impl_->control) impl_->control->Stop();
  if (impl_ && impl_->rpc) impl_->rpc->Stop();
  // The authorizer goes with the control plane, before the NFS server.
  if (impl_ && impl_->nfs) impl_->nfs->SetClientAuthorizer(nullptr);
}

}  // namespace elfs::server
