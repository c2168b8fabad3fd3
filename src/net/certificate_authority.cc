#include "net/certificate_authority.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace elfs::net {

namespace fs = std::filesystem;

namespace {

struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
struct KeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
struct CertFree { void operator()(X509* c) const { X509_free(c); } };
using BioPtr = std::unique_ptr<BIO, BioFree>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;

Status SslError(std::string_view what) {
  return {Errc::kInternal, "openssl: " + std::string(what)};
}

KeyPtr NewKey() { return KeyPtr(EVP_EC_gen("P-256")); }

std::string KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate skeleton: random serial, validity, subject CN.
CertPtr NewCert(const std::string& common_name, std::chrono::hours lifetime, EVP_PKEY* key) {
  CertPtr cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // tolerate client clock skew
  X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                  static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(lifetime).count()));
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("elfs"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_set_pubkey(cert.get(), key);
  return cert;
}

Result<std::string> ReadFile(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return Err(Errc::kNotFound, "cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteFile(const fs::path& p, const std::string& text, mode_t mode) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return {Errc::kIo, "create " + p.string() + ": " + std::strerror(errno)};
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return {Errc::kIo, "write " + p.string()};
  return {};
}

}  // namespace

struct CertificateAuthority::Keys {
  KeyPtr key;
  CertPtr cert;
};

CertificateAuthority::CertificateAuthority(std::unique_ptr<Keys> keys, std::string ca_pem,
                                           fs::path ca_file)
    : keys_(std::move(keys)), ca_pem_(std::move(ca_pem)), ca_file_(std::move(ca_file)) {}
CertificateAuthority::~CertificateAuthority() = default;

Result<std::unique_ptr<CertificateAuthority>> CertificateAuthority::LoadOrCreate(
    const fs::path& secrets_dir, const fs::path& public_dir) {
  const fs::path key_file = secrets_dir / "ca.key";
  const fs::path cert_file = public_dir / "ca.pem";
  auto keys = std::make_unique<Keys>();
  if (!fs::exists(key_file)) {
    keys->key = NewKey();
    if (!keys->key) return Err(SslError("EC key generation"));
    keys->cert = NewCert("elfs certificate authority", std::chrono::hours(24 * 3650), keys->key.get());
    X509_set_issuer_name(keys->cert.get(), X509_get_subject_name(keys->cert.get()));
    if (!AddExtension(keys->cert.get(), keys->cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
        !AddExtension(keys->cert.get(), keys->cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !AddExtension(keys->cert.get(), keys->cert.get(), NID_subject_key_identifier, "hash") ||
        X509_sign(keys->cert.get(), keys->key.get(), EVP_sha256()) == 0) {
      return Err(SslError("CA certificate"));
    }
    // The certificate first: a crash between the two leaves no key without
    // its certificate (the next start would otherwise refuse to start).
    std::error_code ec;
    fs::remove(cert_file, ec);
    ELFS_RETURN_IF_ERROR_R(WriteFile(cert_file, CertPem(keys->cert.get()), 0644));
    ELFS_RETURN_IF_ERROR_R(WriteFile(key_file, KeyPem(keys->key.get()), 0600));
  } else {
    struct stat st {};
    if (::stat(key_file.c_str(), &st) != 0 || (st.st_mode & 077) != 0)
      return Err(Errc::kPerm, key_file.string() + " must have mode 0600");
    auto key_pem = ReadFile(key_file);
    if (!key_pem) return Err(key_pem.error());
    auto cert_pem = ReadFile(cert_file);
    if (!cert_pem) return Err(cert_pem.error());
    BioPtr kb(BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())));
    keys->key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
    BioPtr cb(BIO_new_mem_buf(cert_pem->data(), static_cast<int>(cert_pem->size())));
    keys->cert.reset(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    if (!keys->key || !keys->cert || X509_check_private_key(keys->cert.get(), keys->key.get()) != 1)
      return Err(Errc::kInvalid, "the CA key and certificate in " + secrets_dir.string() + " and " +
                                     public_dir.string() + " do not belong together");
  }
  std::string pem = CertPem(keys->cert.get());
  return std::unique_ptr<CertificateAuthority>(
      new CertificateAuthority(std::move(keys), std::move(pem), cert_file));
}

Result<IssuedCertificate> CertificateAuthority::Issue(const std::vector<std::string>& dns_names,
                                                      const std::vector<std::string>& ip_addresses,
                                                      std::chrono::hours lifetime) const {
  if (dns_names.empty() && ip_addresses.empty()) return Err(Errc::kInvalid, "no names to certify");
  KeyPtr key = NewKey();
  if (!key) return Err(SslError("EC key generation"));
  CertPtr cert = NewCert(dns_names.empty() ? ip_addresses[0] : dns_names[0], lifetime, key.get());
  X509_set_issuer_name(cert.get(), X509_get_subject_name(keys_->cert.get()));
  std::string san;
  for (const auto& d : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
  for (const auto& ip : ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
  if (!AddExtension(cert.get(), keys_->cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(cert.get(), keys_->cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(cert.get(), keys_->cert.get(), NID_ext_key_usage, "serverAuth") ||
      !AddExtension(cert.get(), keys_->cert.get(), NID_subject_alt_name, san) ||
      !AddExtension(cert.get(), keys_->cert.get(), NID_authority_key_identifier, "keyid:always") ||
      X509_sign(cert.get(), keys_->key.get(), EVP_sha256()) == 0) {
    return Err(SslError("server certificate for " + san));
  }
  return IssuedCertificate{CertPem(cert.get()) + ca_pem_, KeyPem(key.get())};
}

}  // namespace elfs::net
