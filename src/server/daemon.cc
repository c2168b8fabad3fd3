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

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "backend/local/local_file_system.h"
#include "backend/memory/memory_file_system.h"
#include "common/random.h"
#include "nfs4/program.h"
#include "nfs4/server.h"
#include "rpc/server.h"
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

std::string NewFileSystemId() {
  uint8_t b[9];
  SystemRandom::Instance().Fill(b);
  static const char* hex = "0123456789abcdef";
  std::string id = "fs-";
  for (int i = 0; i < 17; ++i) id += hex[(b[i / 2] >> ((i % 2) ? 0 : 4)) & 0xf];
  return id;
}

// fs id -> export number, persisted so file handles stay valid.
Result<std::map<std::string, uint32_t>> LoadExportIds(const fs::path& path) {
  std::map<std::string, uint32_t> ids;
  std::ifstream in(path);
  if (!in) return ids;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Err(Errc::kInvalid, path.string() + " is corrupt");
  for (auto& [k, v] : j.items()) {
    if (!v.is_number_unsigned()) return Err(Errc::kInvalid, path.string() + " is corrupt");
    ids[k] = v.get<uint32_t>();
  }
  return ids;
}

Status SaveExportIds(const fs::path& path, const std::map<std::string, uint32_t>& ids) {
  nlohmann::json j = ids;
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) return {Errc::kIo, "cannot write " + tmp.string()};
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return {Errc::kIo, "rename " + tmp.string() + ": " + ec.message()};
  return {};
}

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
  Config config;
  std::unique_ptr<store::Store> store;  // outlives everything that uses it
  std::unique_ptr<nfs4::Nfs4Server> nfs;
  std::unique_ptr<rpc::RpcServer> rpc;
  std::vector<std::pair<std::string, const nfs4::Export*>> exports;
  std::map<std::string, std::string> listen_of;
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

  if (config.file_systems.empty()) {
    // The embedded default: the one file system in DATA_DIR/fs, created
    // on first start.
    std::vector<std::string> found;
    for (const auto& e : fs::directory_iterator(data / "fs"))
      if (e.is_directory() && IsFileSystemId(e.path().filename().string()))
        found.push_back(e.path().filename().string());
    std::sort(found.begin(), found.end());
    if (found.size() > 1)
      return Err(Errc::kInvalid, "several file systems in " + (data / "fs").string() +
                                     ": list them with --fs ID=ADDR:PORT or in a config file");
    std::string id = found.empty() ? NewFileSystemId() : found[0];
    config.file_systems.push_back({id, config.default_listen});
  }

  auto key = LoadOrCreateSecret((data / "secrets").string(), "filehandle.key",
                                nfs4::FileHandleCodec::kKeySize);
  if (!key) return Err(key.error());
  auto ids = LoadExportIds(data / "state" / "exports.json");
  if (!ids) return Err(ids.error());

  auto impl = std::make_unique<Impl>();
  impl->config = config;
  auto store = store::OpenSqliteStore(data / "state" / "elfs.db");
  if (!store) return Err(store.error());
  impl->store = std::move(*store);
  nfs4::Nfs4Options options;
  options.store = impl->store.get();
  options.state.lease_time = std::chrono::seconds(config.lease_seconds);
  impl->nfs = std::make_unique<nfs4::Nfs4Server>(
      options, SystemClock::Instance(), SystemRandom::Instance(),
      std::span<const uint8_t, nfs4::FileHandleCodec::kKeySize>(key->data(), key->size()));

  bool ids_changed = false;
  for (const auto& fsc : config.file_systems) {
    fs::path root = data / "fs" / fsc.id;
    ELFS_RETURN_IF_ERROR_R(MakeDir(root, 0755));
    uint32_t& num = (*ids)[fsc.id];
    if (num == 0) {
      uint32_t max = 0;
      for (const auto& [k, v] : *ids) max = std::max(max, v);
      num = max + 1;
      ids_changed = true;
    }
    std::shared_ptr<vfs::FileSystem> backend;
    if (config.backend == "memory") {
      backend = std::make_shared<backend::MemoryFileSystem>(SystemClock::Instance());
    } else {
      auto local = backend::LocalFileSystem::Open(root.string(), {});
      if (!local) return Err(local.error());
      backend = std::move(*local);
    }
    auto exp = impl->nfs->AddExport(num, fsc.id, std::move(backend));
    if (!exp) return Err(exp.error());
    impl->exports.emplace_back(fsc.id, *exp);
    impl->listen_of[fsc.id] = fsc.listen;
  }
  if (ids_changed) {
    ELFS_RETURN_IF_ERROR_R(SaveExportIds(data / "state" / "exports.json", *ids));
  }

  rpc::ServerOptions ro;
  ro.worker_threads = config.worker_threads;
  impl->rpc = std::make_unique<rpc::RpcServer>(ro);
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Status Daemon::Start() {
  namespace ip = boost::asio::ip;
  for (const auto& [id, exp] : impl_->exports) {
    auto hp = ParseListen(impl_->listen_of[id]);
    if (!hp) return hp.error();
    boost::system::error_code ec;
    auto addr = ip::make_address(hp->first, ec);
    if (ec) return {Errc::kInvalid, "bad listen address " + hp->first + ": " + ec.message()};
    auto table = std::make_shared<rpc::ProgramTable>();
    table->Add(std::make_shared<nfs4::Nfs4Program>(*impl_->nfs, *exp));
    auto bound = impl_->rpc->Listen(ip::tcp::endpoint(addr, hp->second), table);
    if (!bound) return bound.error();
    listeners_.push_back({id, *bound});
    spdlog::info("serving file system {} at {}:{}", id, bound->address().to_string(),
                 bound->port());
  }
  impl_->rpc->Start();
  return {};
}

void Daemon::Stop() {
  if (impl_ && impl_->rpc) impl_->rpc->Stop();
}

}  // namespace elfs::server
