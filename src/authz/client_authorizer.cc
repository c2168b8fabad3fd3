#include "authz/client_authorizer.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace elfs::authz {

namespace {

constexpr const char* kClientMount = "elasticfilesystem:ClientMount";
constexpr const char* kClientWrite = "elasticfilesystem:ClientWrite";
constexpr const char* kClientRootAccess = "elasticfilesystem:ClientRootAccess";
// A decision that read aws:CurrentTime or aws:EpochTime holds this long.
constexpr int64_t kTimeDependentSeconds = 1;
// Bound on cached decisions (distinct client facts within one generation).
constexpr size_t kMaxCached = 8192;

std::string Iso8601(int64_t epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// The account field of an ARN (arn:partition:service:region:account:...).
std::string ArnAccount(const std::string& arn) {
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    pos = arn.find(':', pos);
    if (pos == std::string::npos) return {};
    ++pos;
  }
  size_t end = arn.find(':', pos);
  return end == std::string::npos ? std::string() : arn.substr(pos, end - pos);
}

// Length-prefixed, so no field can forge another's boundary.
std::string FactsKey(const ConnectionFacts& f) {
  std::string key;
  for (const std::string* s : {&f.file_system_id, &f.source_ip, &f.access_key_id,
                               &f.session_token, &f.access_point_id,
                               &f.certificate_file_system_id}) {
    key += std::to_string(s->size());
    key += ':';
    key += *s;
  }
  key += f.tls ? 'T' : 'P';
  return key;
}

void Refuse(ClientDecision& d, std::string layer, std::string why) {
  d.refused_layer = std::move(layer);
  d.refused = std::move(why);
}

std::string Groups(const std::vector<uint32_t>& g) {
  std::string out;
  for (uint32_t x : g) out += (out.empty() ? "" : ",") + std::to_string(x);
  return out;
}

void ExplainAction(std::string& out, const char* name, const iam::Decision* d) {
  if (!d) {
    out += fmt::format("  {}: not evaluated\n", name);
    return;
  }
  out += fmt::format("  {}: {} ({})\n", name, iam::EvalDecisionName(d->effect), d->basis);
  for (const auto& m : d->matched) {
    out += fmt::format("    matched {} statement {}#{} of {}\n", iam::EffectName(m.effect),
                       m.sid.empty() ? std::string("(no Sid) ") : "\"" + m.sid + "\" ", m.index,
                       m.policy_label);
  }
}

}  // namespace

Identity Squash(Identity id) {
  if (id.uid == 0) id.uid = kNobodyId;
  if (id.gid == 0) id.gid = kNobodyId;
  for (uint32_t& g : id.groups)
    if (g == 0) g = kNobodyId;
  return id;
}

Identity ClientDecision::Map(const Identity& caller) const {
  Identity id = caller;
  if (access_point && access_point->posix_user) {
    id.uid = access_point->posix_user->uid;
    id.gid = access_point->posix_user->gid;
    id.groups = access_point->posix_user->secondary_gids;
  }
  return root ? id : Squash(std::move(id));
}

std::string ClientDecision::Explain() const {
  std::string out;
  out += fmt::format("file system {} from {} over {}\n", facts.file_system_id,
                     facts.source_ip.empty() ? "(unknown address)" : facts.source_ip,
                     facts.tls ? "TLS" : "plain TCP (aws:SecureTransport=false)");
  out += "identity: ";
  if (facts.access_key_id.empty()) {
    out += "anonymous (no client certificate identity)\n";
  } else {
    out += fmt::format("access key {}{} -> {}\n", facts.access_key_id,
                       facts.session_token.empty() ? "" : " (session)",
                       principal.anonymous() && refused_layer == "identity"
                           ? std::string("(not resolved)")
                           : principal.Describe());
  }
  out += "access point: ";
  if (facts.access_point_id.empty()) {
    out += "none\n";
  } else if (!access_point) {
    out += facts.access_point_id + " (not usable)\n";
  } else {
    out += fmt::format("{} root {}", access_point->id, access_point->root_path);
    if (access_point->posix_user) {
      out += fmt::format(", PosixUser {}:{}", access_point->posix_user->uid,
                         access_point->posix_user->gid);
      if (!access_point->posix_user->secondary_gids.empty())
        out += " groups " + Groups(access_point->posix_user->secondary_gids);
    }
    if (access_point->creation_info) {
      out += fmt::format(", CreationInfo {}:{} {:04o}", access_point->creation_info->owner_uid,
                         access_point->creation_info->owner_gid,
                         access_point->creation_info->permissions);
    }
    out += "\n";
  }
  out += "iam:\n";
  ExplainAction(out, "ClientMount", mount_decision.get());
  ExplainAction(out, "ClientWrite", write_decision.get());
  ExplainAction(out, "ClientRootAccess", root_decision.get());
  if (!refused.empty()) {
    out += fmt::format("verdict: mount refused at the {} layer: {}\n", refused_layer, refused);
    return out;
  }
  Identity root_in = Map(Identity{});
  out += fmt::format("posix: uid 0 runs as {}:{}", root_in.uid, root_in.gid);
  if (access_point && access_point->posix_user)
    out += " (every caller runs as the access point's PosixUser)";
  else
    out += root ? " (root access)" : " (root squashed), other uids as sent";
  out += "\n";
  out += fmt::format("verdict: mount allowed, {}, {}\n", write ? "read-write" : "read-only",
                     root ? "root access" : "root squashed to 65534:65534");
  return out;
}

nlohmann::json ClientDecision::ToJson() const {
  nlohmann::json j;
  j["file_system"] = facts.file_system_id;
  j["source_ip"] = facts.source_ip;
  j["tls"] = facts.tls;
  j["principal"] = principal.Describe();
  j["access_key_id"] = facts.access_key_id;
  j["access_point"] = facts.access_point_id;
  j["refused_layer"] = refused_layer;
  j["refused"] = refused;
  j["mount"] = mountable();
  j["write"] = mountable() && write;
  j["root"] = mountable() && root;
  nlohmann::json actions = nlohmann::json::object();
  auto action = [&](const char* name, const iam::Decision* d) {
    if (!d) return;
    nlohmann::json a;
    a["decision"] = std::string(iam::EvalDecisionName(d->effect));
    a["basis"] = d->basis;
    a["matched"] = nlohmann::json::array();
    for (const auto& m : d->matched) {
      a["matched"].push_back({{"policy", m.policy_label},
                              {"sid", m.sid},
                              {"index", m.index},
                              {"effect", std::string(iam::EffectName(m.effect))}});
    }
    actions[name] = std::move(a);
  };
  action("ClientMount", mount_decision.get());
  action("ClientWrite", write_decision.get());
  action("ClientRootAccess", root_decision.get());
  j["actions"] = std::move(actions);
  if (mountable()) {
    Identity r = Map(Identity{});
    j["posix"] = {{"root_uid", r.uid},
                  {"root_gid", r.gid},
                  {"access_point_user", access_point && access_point->posix_user.has_value()}};
  }
  return j;
}

ClientAuthorizer::ClientAuthorizer(ClientPolicySource& source, const Clock& clock)
    : source_(source), clock_(clock) {}

void ClientAuthorizer::Invalidate() { generation_.fetch_add(1, std::memory_order_acq_rel); }

void ClientAuthorizer::SetDecisionObserver(std::function<void(const ClientDecision&)> observer) {
  observer_ = std::move(observer);
}

std::shared_ptr<const iam::Policy> ClientAuthorizer::Parsed(const std::string& json,
                                                            iam::PolicyType type,
                                                            std::string* error) {
  std::string key = std::to_string(static_cast<int>(type)) + ":" + json;
  {
    std::lock_guard lock(mu_);
    if (auto it = parsed_.find(key); it != parsed_.end()) return it->second;
  }
  auto p = iam::ParseSharedPolicy(json, type);
  if (!p) {
    if (error) *error = p.error().message();
    return nullptr;
  }
  std::lock_guard lock(mu_);
  if (parsed_.size() >= kMaxCached) parsed_.clear();
  parsed_[key] = *p;
  return *p;
}

std::shared_ptr<const ClientDecision> ClientAuthorizer::Decide(const ConnectionFacts& facts) {
  auto d = std::make_shared<ClientDecision>();
  d->facts = facts;
  d->generation = generation();
  d->principal = iam::Principal::Anonymous();
  const int64_t now = clock_.Now().sec;

  // Identity layer: the efs-utils identity the transport verified.
  std::vector<ResolvedPrincipal::PolicyText> identity_policies;
  std::optional<ResolvedPrincipal::PolicyText> session_policy;
  if (!facts.access_key_id.empty()) {
    auto p = source_.ResolveAccessKey(facts.access_key_id, facts.session_token);
    if (!p) {
      Refuse(*d, "identity",
             fmt::format("access key {}: {}", facts.access_key_id, p.error().message()));
      return d;
    }
    d->principal = std::move(p->principal);
    identity_policies = std::move(p->identity_policies);
    session_policy = std::move(p->session_policy);
    if (p->expires) {
      if (*p->expires <= now) {
        Refuse(*d, "identity", fmt::format("access key {}: the session expired",
                                           facts.access_key_id));
        return d;
      }
      d->valid_until = *p->expires;
    }
  }
  if (!facts.certificate_file_system_id.empty() &&
      facts.certificate_file_system_id != facts.file_system_id) {
    Refuse(*d, "identity",
           fmt::format("the client certificate is for {}, this mount target serves {}",
                       facts.certificate_file_system_id, facts.file_system_id));
    return d;
  }

  // Access point layer.
  if (!facts.access_point_id.empty()) {
    if (!facts.tls) {
      Refuse(*d, "access-point", "an access point can be used only over TLS");
      return d;
    }
    auto ap = source_.FindAccessPoint(facts.access_point_id);
    if (!ap) {
      Refuse(*d, "access-point", fmt::format("access point {} not found", facts.access_point_id));
      return d;
    }
    if (ap->file_system_id != facts.file_system_id) {
      Refuse(*d, "access-point", fmt::format("access point {} belongs to {}, not {}",
                                             ap->id, ap->file_system_id, facts.file_system_id));
      return d;
    }
    d->access_point = std::move(*ap);
  }

  // IAM layer: identity policies and the file system policy (or EFS's
  // default), one request context for the three actions.
  iam::PolicySet set;
  const std::string fs_arn = source_.FileSystemArn(facts.file_system_id);
  set.resource_account = ArnAccount(fs_arn);
  for (const auto& doc : identity_policies) {
    std::string error;
    if (auto p = Parsed(doc.json, iam::PolicyType::kIdentity, &error)) {
      set.identity.push_back({doc.label, p});
    } else {
      // Stored policies were validated when they were put; one that no
      // longer parses grants nothing (its Deny cannot be honoured either,
      // so say so).
      spdlog::warn("client authorization: identity policy {} does not parse: {}", doc.label,
                   error);
    }
  }
  if (session_policy) {
    // Validated by AssumeRole; one that no longer parses (null) allows nothing.
    set.session = iam::LabeledPolicy{session_policy->label,
                                     Parsed(session_policy->json, iam::PolicyType::kIdentity, nullptr)};
  }
  if (auto json = source_.FileSystemPolicy(facts.file_system_id)) {
    std::string error;
    auto p = Parsed(*json, iam::PolicyType::kResource, &error);
    if (!p) {
      // Fail closed: a file system policy we cannot read might deny.
      Refuse(*d, "iam", "the file system policy of " + facts.file_system_id +
                            " does not parse: " + error);
      return d;
    }
    set.resource = iam::LabeledPolicy{"file-system-policy:" + facts.file_system_id, p};
  } else {
    set.resource = iam::DefaultEfsResourcePolicy();
  }

  iam::RequestContext rc;
  rc.resource = fs_arn;
  rc.principal = d->principal;
  rc.keys["aws:SecureTransport"] = {facts.tls ? "true" : "false"};
  if (!facts.source_ip.empty()) rc.keys["aws:SourceIp"] = {facts.source_ip};
  rc.keys["aws:CurrentTime"] = {Iso8601(now)};
  rc.keys["aws:EpochTime"] = {std::to_string(now)};
  rc.keys["elasticfilesystem:AccessedViaMountTarget"] = {"true"};
  if (d->access_point) rc.keys["elasticfilesystem:AccessPointArn"] = {d->access_point->arn};

  auto decide = [&](const char* action) {
    rc.action = action;
    auto out = std::make_shared<const iam::Decision>(iam::Evaluate(set, rc));
    if (out->time_dependent) {
      int64_t until = now + kTimeDependentSeconds;
      d->valid_until = d->valid_until ? std::min(*d->valid_until, until) : until;
    }
    return out;
  };
  d->mount_decision = decide(kClientMount);
  d->write_decision = decide(kClientWrite);
  d->root_decision = decide(kClientRootAccess);
  d->mount = d->mount_decision->allowed();
  d->write = d->write_decision->allowed();
  d->root = d->root_decision->allowed();
  if (!d->mount) Refuse(*d, "iam", d->mount_decision->Reason());
  return d;
}

std::shared_ptr<const ClientDecision> ClientAuthorizer::ForConnection(
    const ConnectionFacts& facts) {
  const std::string key = FactsKey(facts);
  const uint64_t gen = generation();
  {
    std::lock_guard lock(mu_);
    if (cache_generation_ != gen) {
      cache_.clear();
      cache_generation_ = gen;
    }
    if (auto it = cache_.find(key); it != cache_.end()) {
      const auto& d = it->second;
      if (!d->valid_until || clock_.Now().sec < *d->valid_until) return d;
    }
  }
  auto d = Decide(facts);
  {
    std::lock_guard lock(mu_);
    if (cache_generation_ == d->generation) {
      if (cache_.size() >= kMaxCached) cache_.clear();
      cache_[key] = d;
    }
  }
  if (!d->refused.empty()) {
    spdlog::info("nfs client refused: fs {} from {} ({}) principal {} access point {}: {} layer: {}",
                 facts.file_system_id, facts.source_ip, facts.tls ? "tls" : "plain",
                 d->principal.Describe(),
                 facts.access_point_id.empty() ? "-" : facts.access_point_id, d->refused_layer,
                 d->refused);
  }
  if (observer_) observer_(*d);
  return d;
}

}  // namespace elfs::authz
