#include "server/config.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace elfs::server {

bool IsFileSystemId(const std::string& id) {
  if (id.size() < 3 + 8 || id.size() > 3 + 17 || id.compare(0, 3, "fs-") != 0) return false;
  for (size_t i = 3; i < id.size(); ++i) {
    char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& s) {
  std::string host = s;
  std::string port_text;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos) return Err(Errc::kInvalid, "bad listen address: " + s);
    host = s.substr(1, close - 1);
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':') return Err(Errc::kInvalid, "bad listen address: " + s);
      port_text = s.substr(close + 2);
    }
  } else if (size_t colon = s.rfind(':'); colon != std::string::npos) {
    host = s.substr(0, colon);
    port_text = s.substr(colon + 1);
  }
  uint32_t port = 2049;
  if (!port_text.empty()) {
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535)
      return Err(Errc::kInvalid, "bad port in listen address: " + s);
  }
  if (host.empty()) return Err(Errc::kInvalid, "empty host in listen address: " + s);
  return std::make_pair(host, static_cast<uint16_t>(port));
}

Status LoadConfigFile(const std::string& path, Config& config) {
  std::ifstream in(path);
  if (!in) return {Errc::kNotFound, "cannot read config file " + path};
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return {Errc::kInvalid, path + ": not a JSON object"};
  try {
    for (auto& [key, value] : j.items()) {
      if (key == "data_dir") {
        config.data_dir = value.get<std::string>();
      } else if (key == "listen") {
        config.default_listen = value.get<std::string>();
      } else if (key == "lease_seconds") {
        config.lease_seconds = value.get<uint32_t>();
      } else if (key == "worker_threads") {
        config.worker_threads = value.get<uint32_t>();
      } else if (key == "backend") {
        config.backend = value.get<std::string>();
      } else if (key == "ceph_conf") {
        config.ceph_conf = value.get<std::string>();
      } else if (key == "ceph_client_id") {
        config.ceph_client_id = value.get<std::string>();
      } else if (key == "ceph_fs") {
        config.ceph_fs = value.get<std::string>();
      } else if (key == "store") {
        config.store = value.get<std::string>();
      } else if (key == "rados_pool") {
        config.rados_pool = value.get<std::string>();
      } else if (key == "node_az") {
        config.node_az = value.get<std::string>();
      } else if (key == "log_level") {
        config.log_level = value.get<std::string>();
      } else if (key == "api_listen") {
        config.api_listen = value.get<std::string>();
      } else if (key == "api_tls") {
        config.api_tls = value.get<bool>();
      } else if (key == "region") {
        config.region = value.get<std::string>();
      } else if (key == "account_id") {
        config.account_id = value.get<std::string>();
      } else if (key == "nfs_port") {
        config.nfs_port = value.get<uint16_t>();
      } else if (key == "nfs_max_minor_version") {
        config.nfs_max_minor_version = value.get<uint32_t>();
      } else if (key == "grace_seconds") {
        config.grace_seconds = value.get<uint32_t>();
      } else if (key == "default_vpc_cidr") {
        config.default_vpc_cidr = value.get<std::string>();
      } else if (key == "file_systems") {
        config.file_systems.clear();
        for (const auto& fs : value) {
          config.file_systems.push_back(
              {fs.at("id").get<std::string>(), fs.value("listen", config.default_listen)});
        }
      } else {
        return {Errc::kInvalid, path + ": unknown key \"" + key + "\""};
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return {Errc::kInvalid, path + ": " + e.what()};
  }
  return {};
}

Status ValidateConfig(const Config& config) {
  if (config.data_dir.empty()) return {Errc::kInvalid, "data_dir is empty"};
  if (config.backend != "local" && config.backend != "memory" && config.backend != "ceph")
    return {Errc::kInvalid, "backend must be local, ceph or memory"};
  if (config.store != "sqlite" && config.store != "rados")
    return {Errc::kInvalid, "store must be sqlite or rados"};
  if (config.store == "rados" && config.rados_pool.empty())
    return {Errc::kInvalid, "the rados store needs a pool"};
  // Nodes sharing the API state must share the files too.
  if (config.store == "rados" && config.backend != "ceph")
    return {Errc::kInvalid, "store rados (cluster mode) needs backend ceph"};
  if (config.node_az.size() > 32 ||
      config.node_az.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
    return {Errc::kInvalid, "node_az must be a zone id such as use1-az1"};
  if (config.lease_seconds < 5 || config.lease_seconds > 3600)
    return {Errc::kInvalid, "lease_seconds must be 5..3600"};
  if (config.nfs_max_minor_version < 1 || config.nfs_max_minor_version > 2)
    return {Errc::kInvalid, "nfs_max_minor_version must be 1 or 2"};
  if (config.grace_seconds > 3600) return {Errc::kInvalid, "grace_seconds must be 0..3600"};
  if (!config.account_id.empty() &&
      (config.account_id.size() != 12 ||
       config.account_id.find_first_not_of("0123456789") != std::string::npos))
    return {Errc::kInvalid, "account_id must be 12 digits"};
  if (config.region.empty() || config.region.size() > 32 ||
      config.region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
    return {Errc::kInvalid, "region must be lowercase letters, digits and dashes"};
  if (!config.api_listen.empty()) {
    if (auto l = ParseListen(config.api_listen); !l) return l.error();
  }
  for (const auto& fs : config.file_systems) {
    if (!IsFileSystemId(fs.id))
      return {Errc::kInvalid, "file system id must be fs- and 8 to 17 lowercase hex digits: " + fs.id};
    if (auto l = ParseListen(fs.listen); !l) return l.error();
  }
  for (size_t i = 0; i < config.file_systems.size(); ++i)
    for (size_t j = i + 1; j < config.file_systems.size(); ++j) {
      if (config.file_systems[i].id == config.file_systems[j].id)
        return {Errc::kInvalid, "file system listed twice: " + config.file_systems[i].id};
      if (config.file_systems[i].listen == config.file_systems[j].listen)
        return {Errc::kInvalid, "two file systems on one listen address: " +
                                    config.file_systems[i].listen};
    }
  return {};
}

}  // namespace elfs::server
