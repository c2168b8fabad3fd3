#include "server/control_plane.h"

#include <fcntl.h>
#include <unistd.h>

#include <strings.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/ip/address.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "api/common/audit_log.h"
#include "api/ec2/cidr.h"
#include "api/ec2/ec2_service.h"
#include "api/efs/efs_service.h"
#include "api/gateway/gateway.h"
#include "api/gateway/policy_authorizer.h"
#include "api/iam/iam_directory.h"
#include "api/iam/iam_service.h"
#include "api/iam/sts_service.h"
#include "common/clock.h"
#include "common/random.h"
#include "http/server.h"
#include "iam/simulate.h"
#include "net/certificate_authority.h"
#include "net/mount_target_guard.h"
#include "server/data_plane.h"
#include "server/client_policy_source.h"
#include "server/zoned_data_plane.h"

namespace elfs::server {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kServerKind = "server/account";

// The account id: the stored one; else the configured one; else random.
Result<std::string> LoadOrCreateAccountId(store::Store& store, const std::string& configured) {
  auto rec = store.Get(kServerKind, "account");
  if (!rec) return Err(rec.error());
  if (*rec) {
    auto j = nlohmann::json::parse((*rec)->value, nullptr, false);
    if (!j.is_object() || !j.contains("account_id") || !j["account_id"].is_string())
      return Err(Errc::kInvalid, "the stored account record is corrupt");
    std::string id = j["account_id"];
    if (!configured.empty() && configured != id)
      return Err(Errc::kInvalid, "this data directory belongs to account " + id + ", not " + configured);
    return id;
  }
  std::string id = configured;
  if (id.empty()) {
    uint8_t b[12];
    SystemRandom::Instance().Fill(b);
    for (uint8_t x : b) id.push_back(static_cast<char>('0' + x % 10));
    if (id[0] == '0') id[0] = '1';
  }
  store::Transaction txn;
  txn.Put(std::string(kServerKind), "account", nlohmann::json{{"account_id", id}}.dump(),
          store::kMustNotExist);
  ELFS_RETURN_IF_ERROR_R(store.Commit(txn));
  return id;
}

Status WriteCredentialsFile(const fs::path& path, const api::iam::RootCredentials& creds) {
  std::string text = "[elfs]\naws_access_key_id = " + creds.access_key_id +
                     "\naws_secret_access_key = " + creds.secret + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return {Errc::kIo, "create " + path.string() + ": " + std::strerror(errno)};
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return {Errc::kIo, "write " + path.string()};
  return {};
}

}  // namespace

struct ControlPlane::Impl {
  Config config;
  store::Store* store = nullptr;
  api::DataPlane* data_plane = nullptr;  // the zoned one in cluster mode with --node-az
  api::DataPlane* node_data_plane = nullptr;  // this node's own
  std::unique_ptr<ZonedDataPlane> zoned;
  std::string account_id;
  fs::path credentials_file;
  bool created_credentials = false;
  std::unique_ptr<api::AuditLog> audit;
  std::unique_ptr<api::iam::IamDirectory> iam;
  std::unique_ptr<api::iam::IamService> iam_service;
  std::unique_ptr<api::iam::StsService> sts_service;
  std::unique_ptr<api::ec2::Ec2Service> ec2;
  std::unique_ptr<api::efs::EfsService> efs;
  std::unique_ptr<api::PolicyAuthorizer> authorizer;
  std::unique_ptr<ClientPolicySourceAdapter> client_source;
  std::unique_ptr<authz::ClientAuthorizer> client_authorizer;
  std::unique_ptr<api::Gateway> gateway;
  std::unique_ptr<http::Server> http;
  uint16_t api_port = 0;

  // PutFileSystemPolicy's lockout check: would the caller, under the new
  // policy, still be allowed to change it? nullopt: yes; else why not.
  std::optional<std::string> PolicyLockout(const api::CallContext& ctx, std::string_view fs_arn,
                                           std::string_view json) {
    auto policy = iam::ParseSharedPolicy(json, iam::PolicyType::kResource);
    if (!policy) return policy.error().message();
    iam::PolicySet caller;
    caller.resource_account = account_id;
    for (const auto& doc : iam->IdentityPolicies(ctx.principal)) {
      if (auto p = iam::ParseSharedPolicy(doc.json, iam::PolicyType::kIdentity)) {
        caller.identity.push_back({doc.source, *p});
      }
    }
    iam::RequestContext rc;
    rc.action = "elasticfilesystem:PutFileSystemPolicy";
    rc.resource = std::string(fs_arn);
    rc.principal = api::ToPolicyPrincipal(ctx.principal);
    rc.keys = api::GlobalKeys(ctx);
    auto d = iam::CheckPolicyLockout(caller, {"new-file-system-policy", *policy}, rc);
    if (d.allowed()) return std::nullopt;
    return "The policy would prevent the caller from changing it again (" + d.Reason() +
           "); set BypassPolicyLockoutSafetyCheck to apply it anyway";
  }

  // The resource policy of an ARN for the API's authorizer: a file system's
  // policy; a role's trust policy, which governs only assuming the role.
  std::optional<api::PolicyAuthorizer::ResourcePolicy> ResourcePolicy(std::string_view arn,
                                                                       std::string_view action) {
    constexpr std::string_view kFs = ":file-system/";
    if (auto at = arn.find(kFs);
        at != std::string_view::npos && arn.rfind("arn:aws:elasticfilesystem:", 0) == 0) {
      auto policy = efs->FileSystemPolicy(arn.substr(at + kFs.size()));
      if (!policy) return std::nullopt;
      return api::PolicyAuthorizer::ResourcePolicy{*policy, iam::PolicyType::kResource};
    }
    std::string role_prefix = "arn:aws:iam::" + account_id + ":role/";
    if (arn.rfind(role_prefix, 0) == 0 && action.size() >= 14 &&
        strncasecmp(action.data(), "sts:AssumeRole", 14) == 0) {
      auto role = iam->GetRole(arn.substr(arn.rfind('/') + 1));
      if (!role || !*role || iam->RoleArn((*role)->path, (*role)->name) != arn)
        return std::nullopt;
      return api::PolicyAuthorizer::ResourcePolicy{(*role)->trust_policy, iam::PolicyType::kTrust};
    }
    return std::nullopt;
  }

  // One audit event per freshly computed client authorization decision.
  void AuditClientDecision(const authz::ClientDecision& d) {
    api::AuditEvent e;
    e.time = std::chrono::system_clock::now();
    e.event_source = "nfs";
    e.event_name = "ClientAuthorization";
    e.principal = d.principal.Describe();
    e.access_key_id = d.facts.access_key_id;
    e.source_ip = d.facts.source_ip;
    e.resource = d.facts.file_system_id;
    e.decision = d.mountable() ? "allow" : "deny";
    e.reason = d.refused;
    e.details = d.ToJson();
    audit->Write(e);
  }
};

ControlPlane::ControlPlane(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ControlPlane::~ControlPlane() { Stop(); }

Result<std::unique_ptr<ControlPlane>> ControlPlane::Create(const Config& config, store::Store& store,
                                                           api::DataPlane& data_plane) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->store = &store;
  impl->data_plane = impl->node_data_plane = &data_plane;
  const fs::path data(config.data_dir);

  auto account = LoadOrCreateAccountId(store, config.account_id);
  if (!account) return Err(account.error());
  impl->account_id = *account;

  if (::mkdir((data / "logs").c_str(), 0700) != 0 && errno != EEXIST)
    return Err(Errc::kIo, "mkdir " + (data / "logs").string() + ": " + std::strerror(errno));
  auto audit = api::AuditLog::Open(data / "logs" / "audit.jsonl");
  if (!audit) return Err(audit.error());
  impl->audit = std::move(*audit);

  Random& random = SystemRandom::Instance();
  impl->iam = std::make_unique<api::iam::IamDirectory>(store, impl->account_id, random);
  impl->credentials_file = data / "secrets" / "root-credentials";
  auto root = impl->iam->EnsureAccount();
  if (!root) return Err(root.error());
  if (*root) {
    ELFS_RETURN_IF_ERROR_R(WriteCredentialsFile(impl->credentials_file, **root));
    impl->created_credentials = true;
  }
  impl->iam_service = std::make_unique<api::iam::IamService>(*impl->iam);
  impl->sts_service = std::make_unique<api::iam::StsService>(*impl->iam);

  api::ec2::Ec2Options eo;
  eo.account_id = impl->account_id;
  eo.region = config.region;
  eo.default_vpc_cidr = config.default_vpc_cidr;
  ELFS_RETURN_IF_ERROR_R(api::ec2::ValidateOptions(eo));
  impl->ec2 = std::make_unique<api::ec2::Ec2Service>(store, random, eo);

  if (!config.node_az.empty()) {
    impl->zoned = std::make_unique<ZonedDataPlane>(data_plane, config.node_az, store, *impl->ec2);
    impl->data_plane = impl->zoned.get();
  }
  Impl* raw = impl.get();
  api::efs::EfsConfig ec;
  ec.account_id = impl->account_id;
  ec.region = config.region;
  ec.policy_validator = [](std::string_view json) -> std::optional<std::string> {
    auto p = iam::ParsePolicy(json, iam::PolicyType::kResource);
    if (!p) return p.error().message();
    return std::nullopt;
  };
  ec.policy_lockout_check = [raw](const api::CallContext& ctx, std::string_view fs_arn,
                                  std::string_view json) {
    return raw->PolicyLockout(ctx, fs_arn, json);
  };
  impl->efs = std::make_unique<api::efs::EfsService>(store, *impl->ec2, *impl->data_plane, random, ec);

  impl->authorizer = std::make_unique<api::PolicyAuthorizer>(
      *impl->iam,
      [raw](std::string_view arn, std::string_view action) {
        return raw->ResourcePolicy(arn, action);
      },
      impl->account_id,
      [raw](const api::Principal& p) { return raw->iam->SessionPolicy(p); });
  // The data plane's client authorization; its decisions go to the audit log.
  impl->client_source = std::make_unique<ClientPolicySourceAdapter>(*impl->iam, *impl->efs,
                                                                    SystemClock::Instance());
  impl->client_authorizer =
      std::make_unique<authz::ClientAuthorizer>(*impl->client_source, SystemClock::Instance());
  impl->client_authorizer->SetDecisionObserver(
      [raw](const authz::ClientDecision& d) { raw->AuditClientDecision(d); });
  // Every change of IAM data or of a file system policy invalidates cached
  // decisions (SPEC §1.3); EC2 and other EFS objects do not feed decisions.
  // In cluster mode, a mount target made through any node reaches the node
  // of its zone this way.
  store.Watch([raw](const std::vector<store::Key>& changed) {
    for (const auto& k : changed) {
      if (raw->zoned && k.kind == "efs/mount-target") {
        raw->zoned->MountTargetsChanged();
        break;
      }
    }
    for (const auto& k : changed) {
      if (k.kind.rfind("iam/", 0) == 0 || k.kind.rfind("efs/", 0) == 0) {
        raw->authorizer->Invalidate();
        raw->client_authorizer->Invalidate();
        return;
      }
    }
  });

  api::Gateway::Options go;
  go.region = config.region;
  impl->gateway = std::make_unique<api::Gateway>(go, *impl->iam, *impl->authorizer, *impl->audit,
                                                 SystemClock::Instance(), random);
  impl->gateway->AddService(*impl->efs);
  impl->gateway->AddService(*impl->iam_service);
  impl->gateway->AddService(*impl->sts_service);
  impl->gateway->AddService(*impl->ec2);
  return std::unique_ptr<ControlPlane>(new ControlPlane(std::move(impl)));
}

Status ControlPlane::Start() {
  // TLS on mount targets: elfs's CA, the server's region, and access keys
  // from the IAM directory (inactive keys are unknown to the Connect check).
  if (auto* dp = dynamic_cast<NfsDataPlane*>(impl_->node_data_plane)) {
    const fs::path data(impl_->config.data_dir);
    auto ca = net::CertificateAuthority::LoadOrCreate(data / "secrets", data);
    if (!ca) return ca.error();
    api::CredentialDirectory* dir = impl_->iam.get();
    dp->SetTls(std::shared_ptr<net::CertificateAuthority>(std::move(*ca)), impl_->config.region,
               [dir](std::string_view akid) -> std::optional<sigv4::Secret> {
                 auto key = dir->FindAccessKey(akid);
                 if (!key || !key->active) return std::nullopt;
                 sigv4::Secret s{key->secret, key->session_token, 0};
                 if (key->expires) {
                   s.expiration = std::chrono::duration_cast<std::chrono::seconds>(
                                      key->expires->time_since_epoch())
                                      .count();
                 }
                 return s;
               });
  }
  auto targets = impl_->efs->ListMountTargets();
  if (!targets) return targets.error();
  if (impl_->zoned) {
    api::efs::EfsService* efs = impl_->efs.get();
    impl_->zoned->Start([efs]() -> Result<std::vector<ZonedDataPlane::Target>> {
      auto mts = efs->ListMountTargets();
      if (!mts) return Err(mts.error());
      std::vector<ZonedDataPlane::Target> out;
      for (const auto& mt : *mts)
        out.push_back({mt.mount_target_id, mt.file_system_id, mt.ip_address, mt.availability_zone_id});
      return out;
    });
    targets->clear();
  }
  for (const auto& mt : *targets) {
    Status s = impl_->data_plane->OpenMountTarget(mt.mount_target_id, mt.file_system_id, mt.ip_address);
    if (!s.ok()) spdlog::error("mount target {}: {}", mt.mount_target_id, s.ToString());
  }
  if (impl_->config.api_listen.empty()) return {};
  auto hp = ParseListen(impl_->config.api_listen);
  if (!hp) return hp.error();
  http::ServerOptions ho;
  if (impl_->config.api_tls) {
    const fs::path data(impl_->config.data_dir);
    auto ca = net::CertificateAuthority::LoadOrCreate(data / "secrets", data);
    if (!ca) return ca.error();
    // The names a client may use for the endpoint: the listen address and
    // the service names AWS tools build for the region.
    std::vector<std::string> dns = {"localhost",
                                    "elasticfilesystem." + impl_->config.region + ".amazonaws.com",
                                    "iam.amazonaws.com", "sts." + impl_->config.region + ".amazonaws.com",
                                    "ec2." + impl_->config.region + ".amazonaws.com"};
    std::vector<std::string> ips;
    boost::system::error_code ec;
    boost::asio::ip::make_address(hp->first, ec);
    (ec ? dns : ips).insert((ec ? dns : ips).begin(), hp->first);
    auto cert = (*ca)->Issue(dns, ips);
    if (!cert) return cert.error();
    ho.tls_certificate_chain_pem = cert->certificate_chain_pem;
    ho.tls_private_key_pem = cert->private_key_pem;
  }
  Impl* raw = impl_.get();
  auto server = http::Server::Create(ho, [raw](const http::Request& req, const http::Peer& peer) {
    return raw->gateway->Handle(req, peer);
  });
  if (!server) return server.error();
  impl_->http = std::move(*server);
  auto port = impl_->http->Listen(hp->first, hp->second);
  if (!port) return port.error();
  impl_->api_port = *port;
  ELFS_RETURN_IF_ERROR(impl_->http->Start());
  spdlog::info("API (EFS, IAM, STS, EC2) at {}://{}:{} for account {} in {}",
               impl_->config.api_tls ? "https" : "http", hp->first, *port,
               impl_->account_id, impl_->config.region);
  return {};
}

void ControlPlane::Stop() {
  if (impl_ && impl_->http) impl_->http->Stop();
  if (impl_ && impl_->zoned) impl_->zoned->Stop();
}

Result<std::string> ControlPlane::EnsureDefaultFileSystem(const std::string& adopt_id) {
  auto fs = impl_->efs->EnsureFileSystem("elfs-default", adopt_id, "default");
  if (!fs) return Err(fs.error());
  return fs->file_system_id;
}

Result<std::string> ControlPlane::EnsureStaticFileSystem(const std::string& fs_id) {
  auto fs = impl_->efs->EnsureFileSystem("elfs-static-" + fs_id, fs_id, fs_id);
  if (!fs) return Err(fs.error());
  return fs->file_system_id;
}

bool ControlPlane::OwnsFileSystem(const std::string& fs_id) const {
  return impl_->efs->FileSystemExists(fs_id);
}

api::AuditLog& ControlPlane::audit_log() const { return *impl_->audit; }
authz::ClientAuthorizer& ControlPlane::client_authorizer() const {
  return *impl_->client_authorizer;
}
Result<nlohmann::json> ControlPlane::Explain(const ExplainRequest& request) const {
  auto targets = impl_->efs->ListMountTargets();
  if (!targets) return Err(targets.error());
  const api::efs::MountTargetInfo* mt = nullptr;
  for (const auto& t : *targets)
    if (t.mount_target_id == request.mount_target_id) mt = &t;
  if (!mt) return Err(Errc::kNotFound, "no mount target " + request.mount_target_id);
  auto client_ip = api::ec2::ParseIp(request.source_ip);
  auto mt_ip = api::ec2::ParseIp(mt->ip_address);
  if (!client_ip || !mt_ip) return Err(Errc::kInvalid, "bad address " + request.source_ip);

  net::MountTargetGuard guard(*impl_->store);
  net::NetworkDecision network =
      guard.Check(mt->mount_target_id, *mt_ip, *client_ip, request.source_port);
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : network.checks)
    checks.push_back({{"layer", net::LayerName(c.layer)}, {"allowed", c.allowed}, {"rule", c.rule}});

  authz::ConnectionFacts facts;
  facts.file_system_id = mt->file_system_id;
  facts.source_ip = request.source_ip;
  facts.tls = request.tls;
  facts.access_key_id = request.access_key_id;
  facts.access_point_id = request.access_point_id;
  if (auto key = impl_->iam->FindAccessKey(request.access_key_id)) facts.session_token = key->session_token;
  auto client = impl_->client_authorizer->Decide(facts);

  bool mount = network.allowed && client->mountable();
  return nlohmann::json{
      {"mount_target", mt->mount_target_id},
      {"file_system", mt->file_system_id},
      {"network",
       {{"allowed", network.allowed}, {"layer", net::LayerName(network.layer)},
        {"rule", network.rule}, {"reason", network.reason}, {"checks", checks}}},
      {"transport",
       {{"tls", request.tls},
        {"identity", request.access_key_id.empty() ? "anonymous" : request.access_key_id},
        {"note", "a client certificate's signature is assumed to verify"}}},
      {"client", client->ToJson()},
      {"answer",
       {{"mount", mount}, {"write", mount && client->write}, {"write_as_root", mount && client->write && client->root}}}};
}

const std::string& ControlPlane::account_id() const { return impl_->account_id; }
uint16_t ControlPlane::api_port() const { return impl_->api_port; }
const fs::path& ControlPlane::root_credentials_file() const { return impl_->credentials_file; }
bool ControlPlane::created_root_credentials() const { return impl_->created_credentials; }

}  // namespace elfs::server
