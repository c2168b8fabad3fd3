// TLS for NFS mount target listeners (SPEC §1.2): the server TLS context
// (TLS 1.2 and 1.3, ECDHE with AES-GCM or ChaCha20-Poly1305 only; client
// certificate requested, not required, self-signed accepted) and the
// rpc::TlsOptions whose authenticate step turns an amazon-efs-utils client
// certificate into the connection's TransportSecurity (net/efs_identity.h).
//
// Thread safety: the returned options are immutable and used concurrently
// by the RPC server's I/O threads; `secrets`, `audit` and `now` are called
// from those threads and must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "net/certificate_authority.h"
#include "rpc/connection.h"
#include "rpc/tls.h"
#include "sigv4/sigv4.h"

namespace elfs::net {

// One TLS connection decision, for the audit log.
struct TlsAuditEvent {
  bool accepted = false;
  std::string reason;  // why refused ("SignatureDoesNotMatch: ...") or how accepted
  std::string protocol, cipher;
  bool starttls = false;
  bool client_certificate = false;
  std::string access_key_id;    // claimed (refused) or verified (accepted); never a secret
  std::string access_point_id;  // as the certificate names it
};

struct EfsTlsListenerConfig {
  // The mount target's certificate chain (leaf first) and key, PEM, e.g.
  // from CertificateAuthority::Issue({"fs-<id>.efs.<region>.<suffix>",
  // "*.efs.<region>.<suffix>"}, {<mount target ip>}).
  std::string certificate_chain_pem;
  std::string private_key_pem;
  std::string region;          // the server's region (the signature's scope)
  std::string file_system_id;  // the mount target's file system
  // Access key id -> secret (CredentialDirectory). Empty: every signed
  // certificate is refused (unsigned ones stay anonymous).
  sigv4::SecretLookup secrets;
  // Every decision (optional).
  std::function<void(const rpc::Connection&, const TlsAuditEvent&)> audit;
  std::chrono::milliseconds handshake_timeout{10000};
  bool first_byte = true;  // TLS from the first byte on the RPC port
  bool starttls = true;    // RFC 9289
  // Unix seconds; empty = the system clock (tests pin time).
  std::function<int64_t()> now;
};

// A server context with elfs's protocol and cipher choices, the chain and
// key loaded (kInvalid when they do not load or do not match).
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsServerContext(
    const std::string& certificate_chain_pem, const std::string& private_key_pem);

// Options for rpc::RpcServer::Listen(..., tls).
Result<std::shared_ptr<const rpc::TlsOptions>> MakeEfsTlsOptions(EfsTlsListenerConfig config);

// The names a mount target's certificate carries: fs-<id>.efs.<region>.<suffix>
// and the wildcard *.efs.<region>.<suffix> (what efs-utils' stunnel checks).
std::vector<std::string> MountTargetDnsNames(std::string_view file_system_id,
                                             std::string_view region,
                                             std::string_view dns_suffix = "amazonaws.com");

// MakeEfsTlsOptions with a certificate issued by `ca` for the mount target:
// MountTargetDnsNames(config.file_system_id, config.region, dns_suffix) and
// the mount target's IP address. config's certificate and key are ignored.
Result<std::shared_ptr<const rpc::TlsOptions>> MakeMountTargetTlsOptions(
    const CertificateAuthority& ca, std::string_view mount_target_ip, EfsTlsListenerConfig config,
    std::string_view dns_suffix = "amazonaws.com");

}  // namespace elfs::net
