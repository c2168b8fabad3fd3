#include "net/efs_identity.h"

#include <algorithm>
#include <memory>

#include <fmt/format.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace elfs::net {

namespace {

struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct ObjFree {
  void operator()(ASN1_OBJECT* o) const { ASN1_OBJECT_free(o); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using CertPtr = std::unique_ptr<X509, CertFree>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, ObjFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

constexpr uint8_t kTagOctetString = 0x04;
constexpr uint8_t kTagUtf8String = 0x0c;
constexpr uint8_t kTagUtcTime = 0x17;
constexpr uint8_t kTagSequence = 0x30;
constexpr uint8_t kTagContext0 = 0xa0;  // [0] EXPLICIT, constructed

constexpr size_t kMaxIdBytes = 128;
constexpr size_t kMaxTokenBytes = 8192;

auto Invalid(std::string m) { return Err(Errc::kInvalid, std::move(m)); }
auto Refuse(std::string_view reason, std::string m) {
  return Err(Errc::kAccess, fmt::format("{}: {}", reason, m));
}

// ---------------------------------------------------------------------------
// A strict, minimal DER reader: definite lengths, minimal length encoding,
// single-byte tags.

class DerReader {
 public:
  explicit DerReader(std::span<const uint8_t> in) : in_(in) {}
  bool empty() const { return in_.empty(); }
  uint8_t PeekTag() const { return in_.empty() ? 0 : in_[0]; }
  // Reads one TLV with tag `tag`; false when malformed or another tag.
  bool Read(uint8_t tag, std::span<const uint8_t>& content) {
    if (in_.size() < 2 || in_[0] != tag) return false;
    size_t len = in_[1], at = 2;
    if (len & 0x80) {
      size_t n = len & 0x7f;
      if (n == 0 || n > 3 || in_.size() < 2 + n) return false;
      len = 0;
      for (size_t i = 0; i < n; ++i) len = (len << 8) | in_[2 + i];
      // DER: the shortest form only.
      if (len < 0x80 || (n > 1 && in_[2] == 0)) return false;
      at = 2 + n;
    }
    if (in_.size() - at < len) return false;
    content = in_.subspan(at, len);
    in_ = in_.subspan(at + len);
    return true;
  }

 private:
  std::span<const uint8_t> in_;
};

std::string_view AsString(std::span<const uint8_t> s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

bool ValidUtf8Printable(std::string_view s) {
  // Ids and keys are ASCII; refusing controls keeps logs clean.
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// A value that must be exactly one UTF8String.
Result<std::string> ParseUtf8Only(std::span<const uint8_t> der, std::string_view what,
                                  size_t max) {
  DerReader r(der);
  std::span<const uint8_t> v;
  if (!r.Read(kTagUtf8String, v) || !r.empty()) {
    return Invalid(fmt::format("{}: not a single DER UTF8String", what));
  }
  std::string s(AsString(v));
  if (s.empty() || s.size() > max || !ValidUtf8Printable(s)) {
    return Invalid(fmt::format("{}: empty, too long or not printable ASCII", what));
  }
  return s;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// RFC 5280 §4.1.2.5.1: YYMMDDHHMMSSZ, YY < 50 is 20YY.
std::optional<int64_t> ParseUtcTime(std::string_view s) {
  if (s.size() != 13 || s[12] != 'Z') return std::nullopt;
  int v[6];
  for (int i = 0; i < 6; ++i) {
    char a = s[2 * i], b = s[2 * i + 1];
    if (a < '0' || a > '9' || b < '0' || b > '9') return std::nullopt;
    v[i] = (a - '0') * 10 + (b - '0');
  }
  int year = v[0] < 50 ? 2000 + v[0] : 1900 + v[0];
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > kDays[v[1] - 1] || v[3] > 23 || v[4] > 59 ||
      v[5] > 59) {
    return std::nullopt;
  }
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (v[1] == 2 && v[2] == 29 && !leap) return std::nullopt;
  return DaysFromCivil(year, static_cast<unsigned>(v[1]), static_cast<unsigned>(v[2])) * 86400 +
         v[3] * 3600 + v[4] * 60 + v[5];
}

std::string FormatUtcTime(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  return fmt::format("{:02}{:02}{:02}{:02}{:02}{:02}Z", tm.tm_year % 100, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

Status ParseAuth(std::span<const uint8_t> der, EfsClientCertificate& out) {
  DerReader outer(der);
  std::span<const uint8_t> seq;
  if (!outer.Read(kTagSequence, seq) || !outer.empty()) {
    return Status::Invalid("1.3.6.1.4.1.4843.7.2: not a single DER SEQUENCE");
  }
  DerReader r(seq);
  std::span<const uint8_t> akid, sig, time;
  if (!r.Read(kTagUtf8String, akid) || !r.Read(kTagOctetString, sig) ||
      !r.Read(kTagUtcTime, time)) {
    return Status::Invalid(
        "1.3.6.1.4.1.4843.7.2: expected accessKeyId UTF8String, signature OCTET STRING, "
        "sigv4DateTime UTCTime");
  }
  out.access_key_id = AsString(akid);
  if (out.access_key_id.empty() || out.access_key_id.size() > kMaxIdBytes ||
      !ValidUtf8Printable(out.access_key_id)) {
    return Status::Invalid("1.3.6.1.4.1.4843.7.2: malformed access key id");
  }
  out.signature = AsString(sig);
  if (out.signature.size() != 64 ||
      !std::all_of(out.signature.begin(), out.signature.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return Status::Invalid("1.3.6.1.4.1.4843.7.2: signature is not 64 lower-case hex digits");
  }
  auto t = ParseUtcTime(AsString(time));
  if (!t) return Status::Invalid("1.3.6.1.4.1.4843.7.2: malformed sigv4DateTime UTCTime");
  out.signature_time = *t;
  if (!r.empty()) {
    std::span<const uint8_t> wrapped, token;
    if (!r.Read(kTagContext0, wrapped) || !r.empty()) {
      return Status::Invalid("1.3.6.1.4.1.4843.7.2: trailing data after sigv4DateTime");
    }
    DerReader w(wrapped);
    if (!w.Read(kTagUtf8String, token) || !w.empty() || token.empty() ||
        token.size() > kMaxTokenBytes || !ValidUtf8Printable(AsString(token))) {
      return Status::Invalid("1.3.6.1.4.1.4843.7.2: malformed sessionToken");
    }
    out.session_token = AsString(token);
  }
  out.has_signature = true;
  return {};
}

// Informational: a UTF8String, or a SEQUENCE of strings (efs-utils sends
// source and version). Must be DER; other content is kept as "?".
Status ParseClientInfo(std::span<const uint8_t> der, std::string& out) {
  DerReader r(der);
  std::span<const uint8_t> v;
  if (r.PeekTag() == kTagUtf8String) {
    if (!r.Read(kTagUtf8String, v) || !r.empty()) {
      return Status::Invalid("1.3.6.1.4.1.4843.7.4: malformed");
    }
    out = AsString(v);
  } else {
    if (!r.Read(kTagSequence, v) || !r.empty()) {
      return Status::Invalid("1.3.6.1.4.1.4843.7.4: neither a UTF8String nor a SEQUENCE");
    }
    DerReader items(v);
    while (!items.empty()) {
      std::span<const uint8_t> item;
      uint8_t tag = items.PeekTag();
      if (!items.Read(tag, item)) return Status::Invalid("1.3.6.1.4.1.4843.7.4: malformed");
      if (!out.empty()) out += ',';
      out += tag == kTagUtf8String ? std::string(AsString(item)) : "?";
    }
  }
  if (out.size() > 256) out.resize(256);
  if (!ValidUtf8Printable(out)) out = "?";
  return {};
}

// The extension's value, or empty span when absent; error when present
// twice.
Result<std::optional<std::span<const uint8_t>>> FindExtension(X509* cert, std::string_view oid) {
  ObjPtr obj(OBJ_txt2obj(std::string(oid).c_str(), 1));
  if (!obj) return Err(Errc::kInternal, "bad OID");
  int at = X509_get_ext_by_OBJ(cert, obj.get(), -1);
  if (at < 0) return std::optional<std::span<const uint8_t>>();
  if (X509_get_ext_by_OBJ(cert, obj.get(), at) >= 0) {
    return Invalid(fmt::format("{}: extension present twice", oid));
  }
  ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, at));
  return std::optional<std::span<const uint8_t>>(std::span<const uint8_t>(
      ASN1_STRING_get0_data(data), static_cast<size_t>(ASN1_STRING_length(data))));
}

std::optional<int64_t> AsnTimeToUnix(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return DaysFromCivil(tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                       static_cast<unsigned>(tm.tm_mday)) *
             86400 +
         tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

std::string PublicKeyHash(X509* cert) {
  const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(cert);
  if (bits == nullptr) return {};
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(ASN1_STRING_get0_data(bits), static_cast<size_t>(ASN1_STRING_length(bits)), md);
  return sigv4::HexEncode({reinterpret_cast<const char*>(md), sizeof md});
}

bool ValidFileSystemId(std::string_view s) {
  return s.size() >= 4 && s.size() <= 64 && s.substr(0, 3) == "fs-" &&
         std::all_of(s.begin() + 3, s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}
bool ValidAccessPointId(std::string_view s) {
  return s.size() == 22 && s.substr(0, 5) == "fsap-" &&
         std::all_of(s.begin() + 5, s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string Tlv(uint8_t tag, std::string_view content) {
  std::string out(1, static_cast<char>(tag));
  size_t n = content.size();
  if (n < 0x80) {
    out += static_cast<char>(n);
  } else if (n < 0x100) {
    out += '\x81';
    out += static_cast<char>(n);
  } else if (n < 0x10000) {
    out += '\x82';
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xff);
  } else {
    out += '\x83';
    out += static_cast<char>(n >> 16);
    out += static_cast<char>((n >> 8) & 0xff);
    out += static_cast<char>(n & 0xff);
  }
  out += content;
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------

Result<EfsClientCertificate> ParseEfsClientCertificate(std::span<const uint8_t> der) {
  const unsigned char* p = der.data();
  CertPtr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) return Invalid("not a DER X.509 certificate");
  EfsClientCertificate out;
  auto nb = AsnTimeToUnix(X509_get0_notBefore(cert.get()));
  auto na = AsnTimeToUnix(X509_get0_notAfter(cert.get()));
  if (!nb || !na) return Invalid("certificate validity times unreadable");
  out.not_before = *nb;
  out.not_after = *na;
  out.public_key_hash = PublicKeyHash(cert.get());
  if (out.public_key_hash.empty()) return Invalid("certificate has no public key");

  auto ap = FindExtension(cert.get(), kEfsAccessPointOid);
  if (!ap) return Err(ap.error());
  if (*ap) {
    auto s = ParseUtf8Only(**ap, kEfsAccessPointOid, kMaxIdBytes);
    if (!s) return Err(s.error());
    if (!ValidAccessPointId(*s)) return Invalid("1.3.6.1.4.1.4843.7.1: not an access point id");
    out.access_point_id = std::move(*s);
  }
  auto fs = FindExtension(cert.get(), kEfsFileSystemOid);
  if (!fs) return Err(fs.error());
  if (*fs) {
    auto s = ParseUtf8Only(**fs, kEfsFileSystemOid, kMaxIdBytes);
    if (!s) return Err(s.error());
    if (!ValidFileSystemId(*s)) return Invalid("1.3.6.1.4.1.4843.7.3: not a file system id");
    out.file_system_id = std::move(*s);
  }
  auto auth = FindExtension(cert.get(), kEfsAuthOid);
  if (!auth) return Err(auth.error());
  if (*auth) {
    if (Status st = ParseAuth(**auth, out); !st.ok()) return Err(std::move(st));
  }
  auto info = FindExtension(cert.get(), kEfsClientInfoOid);
  if (!info) return Err(info.error());
  if (*info) {
    if (Status st = ParseClientInfo(**info, out.client_info); !st.ok()) return Err(std::move(st));
  }
  return out;
}

Result<EfsIdentity> VerifyEfsClientCertificate(const EfsClientCertificate& cert,
                                               const EfsIdentityCheck& check) {
  if (check.now + check.clock_skew_seconds < cert.not_before) {
    return Refuse("CertificateNotYetValid",
                  fmt::format("the certificate is valid from {}", sigv4::FormatAmzDate(cert.not_before)));
  }
  if (check.now > cert.not_after) {
    return Refuse("CertificateExpired",
                  fmt::format("the certificate expired at {}", sigv4::FormatAmzDate(cert.not_after)));
  }
  if (!cert.file_system_id.empty() && cert.file_system_id != check.file_system_id) {
    return Refuse("WrongFileSystem",
                  fmt::format("the certificate is for {}, this mount target serves {}",
                              cert.file_system_id, check.file_system_id));
  }
  EfsIdentity id;
  id.access_point_id = cert.access_point_id;
  id.file_system_id = check.file_system_id;
  if (!cert.has_signature) return id;  // anonymous (possibly through an access point)
  if (cert.file_system_id.empty()) {
    return Refuse("IncompleteSignature",
                  "a signed certificate must name its file system (1.3.6.1.4.1.4843.7.3)");
  }
  if (!check.secrets) return Refuse("InvalidClientTokenId", "no credentials are known here");
  sigv4::EfsConnect c;
  c.file_system_id = check.file_system_id;
  c.public_key_hash = cert.public_key_hash;
  c.access_key_id = cert.access_key_id;
  c.time = cert.signature_time;
  c.session_token = cert.session_token;
  sigv4::EfsConnectOptions opts;
  opts.region = check.region;
  auto v = sigv4::VerifyEfsConnect(c, cert.signature, check.secrets, check.now, opts);
  if (!v) {
    return Refuse(sigv4::ReasonName(v.error().reason),
                  fmt::format("access key {}: {}", cert.access_key_id, v.error().message));
  }
  id.access_key_id = v->access_key_id;
  id.session_token = v->session_token;
  return id;
}

// ---------------------------------------------------------------------------
// Generation.

std::string DerUtf8String(std::string_view s) { return Tlv(kTagUtf8String, s); }

std::string DerEfsAuth(std::string_view access_key_id, std::string_view signature_hex,
                       int64_t time, std::string_view session_token) {
  std::string body = Tlv(kTagUtf8String, access_key_id) + Tlv(kTagOctetString, signature_hex) +
                     Tlv(kTagUtcTime, FormatUtcTime(time));
  if (!session_token.empty()) body += Tlv(kTagContext0, Tlv(kTagUtf8String, session_token));
  return Tlv(kTagSequence, body);
}

namespace {

Status AddRawExtension(X509* cert, const RawExtension& e) {
  ObjPtr obj(OBJ_txt2obj(e.oid.c_str(), 1));
  if (!obj) return Status::Invalid("bad OID " + e.oid);
  std::unique_ptr<ASN1_OCTET_STRING, decltype(&ASN1_OCTET_STRING_free)> data(
      ASN1_OCTET_STRING_new(), ASN1_OCTET_STRING_free);
  if (!data || ASN1_OCTET_STRING_set(data.get(), reinterpret_cast<const unsigned char*>(e.der.data()),
                                     static_cast<int>(e.der.size())) != 1) {
    return Status::Internal("ASN1_OCTET_STRING_set");
  }
  X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), 0, data.get());
  if (ext == nullptr) return Status::Internal("X509_EXTENSION_create_by_OBJ");
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok ? Status() : Status::Internal("X509_add_ext");
}

std::string BioString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

Result<CertificateAndKey> MakeSelfSignedCertificate(
    KeyType key_type, int64_t not_before, int64_t not_after,
    const std::vector<RawExtension>& extensions,
    const std::function<std::vector<RawExtension>(const std::string&)>& before_sign) {
  KeyPtr key(key_type == KeyType::kRsa3072 ? EVP_RSA_gen(3072) : EVP_EC_gen("P-256"));
  if (!key) return Err(Errc::kInternal, "key generation failed");
  CertPtr cert(X509_new());
  if (!cert) return Err(Errc::kInternal, "X509_new");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return Err(Errc::kInternal, "RAND_bytes");
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(not_after));
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("elfs-client"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  std::string hash = PublicKeyHash(cert.get());
  for (const RawExtension& e : extensions) {
    if (Status st = AddRawExtension(cert.get(), e); !st.ok()) return Err(std::move(st));
  }
  if (before_sign) {
    for (const RawExtension& e : before_sign(hash)) {
      if (Status st = AddRawExtension(cert.get(), e); !st.ok()) return Err(std::move(st));
    }
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return Err(Errc::kInternal, "X509_sign failed");
  }
  BioPtr cbio(BIO_new(BIO_s_mem())), kbio(BIO_new(BIO_s_mem()));
  if (!cbio || !kbio || PEM_write_bio_X509(cbio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(kbio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Err(Errc::kInternal, "PEM encoding failed");
  }
  return CertificateAndKey{BioString(cbio.get()), BioString(kbio.get()), hash};
}

Result<CertificateAndKey> MakeEfsClientCertificate(const EfsClientCertificateRequest& rq) {
  if (!ValidFileSystemId(rq.file_system_id)) {
    return Invalid("file system id must look like fs-0123abcd");
  }
  if (!rq.access_point_id.empty() && !ValidAccessPointId(rq.access_point_id)) {
    return Invalid("access point id must be fsap- and 17 lower-case hex digits");
  }
  if (rq.region.empty()) return Invalid("region is required");
  const bool sign = !rq.credentials.access_key_id.empty();
  if (sign && rq.credentials.secret_access_key.empty()) {
    return Invalid("a secret access key is required with an access key id");
  }
  std::vector<RawExtension> exts;
  if (!rq.access_point_id.empty()) {
    exts.push_back({std::string(kEfsAccessPointOid), DerUtf8String(rq.access_point_id)});
  }
  exts.push_back({std::string(kEfsFileSystemOid), DerUtf8String(rq.file_system_id)});
  if (!rq.client_info.empty()) {
    exts.push_back({std::string(kEfsClientInfoOid),
                    Tlv(kTagSequence, DerUtf8String(rq.client_info))});
  }
  for (const RawExtension& e : rq.extra_extensions) exts.push_back(e);
  auto add_signature = [&](const std::string& hash) {
    std::vector<RawExtension> more;
    if (!sign) return more;
    sigv4::EfsConnect c;
    c.file_system_id = rq.file_system_id;
    c.public_key_hash = hash;
    c.access_key_id = rq.credentials.access_key_id;
    c.time = rq.now;
    c.session_token = rq.credentials.session_token;
    std::string sig = sigv4::SignEfsConnect(c, rq.credentials.secret_access_key, rq.region);
    more.push_back({std::string(kEfsAuthOid),
                    DerEfsAuth(c.access_key_id, sig, c.time, c.session_token)});
    return more;
  };
  return MakeSelfSignedCertificate(rq.key_type, rq.now - rq.valid_before_seconds,
                                   rq.now + rq.valid_after_seconds, exts, add_signature);
}

Result<std::vector<uint8_t>> CertificatePemToDer(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Err(Errc::kInternal, "BIO_new_mem_buf");
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Invalid("not a PEM certificate");
  int len = i2d_X509(cert.get(), nullptr);
  if (len <= 0) return Invalid("certificate does not encode");
  std::vector<uint8_t> der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  i2d_X509(cert.get(), &p);
  return der;
}

}  // namespace elfs::net
