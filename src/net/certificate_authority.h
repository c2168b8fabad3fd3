// elfs's own certificate authority. Created at first start: an EC P-256 key
// in DATA_DIR/secrets/ca.key (0600) and a self-signed CA certificate in
// DATA_DIR/ca.pem (public: clients put it in their trust store, e.g.
// stunnel's CAfile or the AWS CLI's --ca-bundle). It issues the server
// certificates of the API endpoint and of mount targets
// (fs-<id>.efs.<region>.<suffix> and a wildcard).
//
// Thread safety: Issue() is thread-safe (the CA key is only read).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace elfs::net {

struct IssuedCertificate {
  std::string certificate_chain_pem;  // leaf, then the CA
  std::string private_key_pem;        // never logged or written outside secrets/
};

class CertificateAuthority {
 public:
  // Loads the CA from `secrets_dir`/ca.key and `public_dir`/ca.pem, creating
  // both on first use. Refuses a key readable by group or others.
  static Result<std::unique_ptr<CertificateAuthority>> LoadOrCreate(
      const std::filesystem::path& secrets_dir, const std::filesystem::path& public_dir);
  ~CertificateAuthority();

  // A server certificate for the DNS names and IP addresses given (subject
  // alternative names; the first is also the common name), valid `lifetime`.
  Result<IssuedCertificate> Issue(const std::vector<std::string>& dns_names,
                                  const std::vector<std::string>& ip_addresses,
                                  std::chrono::hours lifetime = std::chrono::hours(24 * 397)) const;

  const std::string& ca_certificate_pem() const { return ca_pem_; }
  const std::filesystem::path& ca_certificate_file() const { return ca_file_; }

  struct Keys;

 private:
  CertificateAuthority(std::unique_ptr<Keys> keys, std::string ca_pem, std::filesystem::path ca_file);
  std::unique_ptr<Keys> keys_;
  std::string ca_pem_;
  std::filesystem::path ca_file_;
};

}  // namespace elfs::net
