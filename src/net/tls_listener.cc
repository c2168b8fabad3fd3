#include "net/tls_listener.h"

#include <chrono>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include "net/efs_identity.h"

namespace elfs::net {

namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2: forward secrecy and AEAD only. TLS 1.3: all three AEAD suites
// (TLS 1.3 is always ECDHE/DHE; OpenSSL offers only (EC)DHE groups).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// The client's certificate is not verified against any CA: efs-utils sends
// a self-signed one, and its signature extension is what we check.
int AcceptAnyClientCertificate(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeTlsServerContext(const std::string& chain_pem,
                                                          const std::string& key_pem) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* c = ctx->native_handle();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                             SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(c, kTls13Suites) != 1) {
    return Err(Errc::kInternal, "TLS cipher configuration refused by OpenSSL");
  }
  if (SSL_CTX_set1_groups_list(c, "X25519:P-256:P-384") != 1) {
    return Err(Errc::kInternal, "TLS group configuration refused by OpenSSL");
  }
  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(chain_pem), ec);
  if (ec) return Err(Errc::kInvalid, "TLS server certificate chain: " + ec.message());
  ctx->use_private_key(boost::asio::buffer(key_pem), ssl::context::pem, ec);
  if (ec) return Err(Errc::kInvalid, "TLS server key: " + ec.message());
  if (SSL_CTX_check_private_key(c) != 1) {
    return Err(Errc::kInvalid, "TLS server key does not match the certificate");
  }
  // Requested, not required (no SSL_VERIFY_FAIL_IF_NO_PEER_CERT).
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, AcceptAnyClientCertificate);
  // Session resumption would skip the client certificate on later
  // connections; every connection presents its identity afresh.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(c, 0);
  return ctx;
}

Result<std::shared_ptr<const rpc::TlsOptions>> MakeEfsTlsOptions(EfsTlsListenerConfig config) {
  if (config.region.empty() || config.file_system_id.empty()) {
    return Err(Errc::kInvalid, "TLS listener: region and file system id are required");
  }
  auto ctx = MakeTlsServerContext(config.certificate_chain_pem, config.private_key_pem);
  if (!ctx) return Err(ctx.error());
  auto opts = std::make_shared<rpc::TlsOptions>();
  opts->context = std::move(*ctx);
  opts->handshake_timeout = config.handshake_timeout;
  opts->first_byte = config.first_byte;
  opts->starttls = config.starttls;
  auto cfg = std::make_shared<EfsTlsListenerConfig>(std::move(config));
  cfg->certificate_chain_pem.clear();
  cfg->private_key_pem.clear();  // loaded into the context; no second copy kept
  opts->authenticate = [cfg](const rpc::Connection& conn,
                             const rpc::TlsPeer& peer) -> Result<rpc::TransportSecurity> {
    TlsAuditEvent ev;
    ev.protocol = peer.protocol;
    ev.cipher = peer.cipher;
    ev.starttls = peer.starttls;
    ev.client_certificate = !peer.certificate_der.empty();
    auto finish = [&](Result<rpc::TransportSecurity> r) {
      ev.accepted = r.has_value();
      if (!r) ev.reason = r.error().message();
      if (cfg->audit) cfg->audit(conn, ev);
      if (!r) {
        spdlog::warn("tls: conn {} from {} refused: {}", conn.id(),
                     conn.remote().address().to_string(), ev.reason);
      } else {
        spdlog::debug("tls: conn {} accepted: {}", conn.id(), ev.reason);
      }
      return r;
    };
    rpc::TransportSecurity sec;
    sec.tls = true;
    if (peer.certificate_der.empty()) {
      ev.reason = "no client certificate: anonymous";
      return finish(sec);
    }
    auto parsed = ParseEfsClientCertificate(peer.certificate_der);
    if (!parsed) {
      return finish(Err(Errc::kAccess, "MalformedCertificate: " + parsed.error().message()));
    }
    ev.access_key_id = parsed->access_key_id;
    ev.access_point_id = parsed->access_point_id;
    EfsIdentityCheck check;
    check.region = cfg->region;
    check.file_system_id = cfg->file_system_id;
    check.secrets = cfg->secrets;
    check.now = cfg->now ? cfg->now() : SystemNow();
    auto id = VerifyEfsClientCertificate(*parsed, check);
    if (!id) return finish(Err(id.error()));
    sec.access_key_id = std::move(id->access_key_id);
    sec.session_token = std::move(id->session_token);
    sec.access_point_id = std::move(id->access_point_id);
    sec.file_system_id = std::move(id->file_system_id);
    ev.reason = sec.access_key_id.empty() ? "client certificate without signature: anonymous"
                                          : "signature verified";
    return finish(std::move(sec));
  };
  return std::shared_ptr<const rpc::TlsOptions>(std::move(opts));
}

std::vector<std::string> MountTargetDnsNames(std::string_view file_system_id,
                                             std::string_view region,
                                             std::string_view dns_suffix) {
  std::string tail = ".efs." + std::string(region) + "." + std::string(dns_suffix);
  return {std::string(file_system_id) + tail, "*" + tail};
}

Result<std::shared_ptr<const rpc::TlsOptions>> MakeMountTargetTlsOptions(
    const CertificateAuthority& ca, std::string_view mount_target_ip, EfsTlsListenerConfig config,
    std::string_view dns_suffix) {
  std::vector<std::string> ips;
  if (!mount_target_ip.empty()) ips.emplace_back(mount_target_ip);
  auto issued = ca.Issue(MountTargetDnsNames(config.file_system_id, config.region, dns_suffix), ips);
  if (!issued) return Err(issued.error());
  config.certificate_chain_pem = std::move(issued->certificate_chain_pem);
  config.private_key_pem = std::move(issued->private_key_pem);
  return MakeEfsTlsOptions(std::move(config));
}

}  // namespace elfs::net
