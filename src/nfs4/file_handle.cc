#include "nfs4/file_handle.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

namespace elfs::nfs4 {

namespace {
constexpr uint8_t kVersion = 1;
constexpr uint8_t kVersionJailed = 2;
constexpr size_t kHeader = 5;
constexpr size_t kJailSize = 8;
constexpr size_t kMacSize = 8;
}  // namespace

void FileHandleCodec::MacCtxFree::operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }

FileHandleCodec::FileHandleCodec(std::span<const uint8_t, kKeySize> key) {
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  if (hmac) keyed_.reset(EVP_MAC_CTX_new(hmac));
  EVP_MAC_free(hmac);  // the context holds its own reference
  char digest[] = OSSL_DIGEST_NAME_SHA2_256;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (!keyed_ || EVP_MAC_init(keyed_.get(), key.data(), key.size(), params) != 1) {
    // Without HMAC-SHA256 no handle could be checked: nothing can be served.
    spdlog::critical("file handles: OpenSSL has no HMAC-SHA256");
    std::abort();
  }
}

bool FileHandleCodec::Mac(std::span<const uint8_t> data, uint8_t out[8]) const {
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> c(EVP_MAC_CTX_dup(keyed_.get()));
  uint8_t full[32];
  size_t len = 0;
  if (!c || EVP_MAC_update(c.get(), data.data(), data.size()) != 1 ||
      EVP_MAC_final(c.get(), full, &len, sizeof full) != 1 || len < kMacSize) {
    std::memset(out, 0, kMacSize);
    return false;
  }
  std::memcpy(out, full, kMacSize);
  return true;
}

WireHandle FileHandleCodec::Encode(const FileHandle& fh) const {
  WireHandle w;
  uint8_t* p = w.bytes.data();
  p[0] = fh.jail ? kVersionJailed : kVersion;
  p[1] = static_cast<uint8_t>(fh.fs_id >> 24);
  p[2] = static_cast<uint8_t>(fh.fs_id >> 16);
  p[3] = static_cast<uint8_t>(fh.fs_id >> 8);
  p[4] = static_cast<uint8_t>(fh.fs_id);
  size_t n = kHeader;
  if (fh.jail) {
    for (size_t i = 0; i < kJailSize; ++i)
      p[n + i] = static_cast<uint8_t>(fh.jail >> (8 * (kJailSize - 1 - i)));
    n += kJailSize;
  }
  auto hb = fh.handle.bytes();
  std::memcpy(p + n, hb.data(), hb.size());
  n += hb.size();
  // A handle whose MAC could not be computed (no memory) is all zeros
  // there and is refused when it comes back.
  Mac({p, n}, p + n);
  w.size = static_cast<uint8_t>(n + kMacSize);
  return w;
}

Result<FileHandle> FileHandleCodec::Decode(std::span<const uint8_t> wire) const {
  if (wire.empty() || (wire[0] != kVersion && wire[0] != kVersionJailed))
    return Err(Errc::kBadHandle, "malformed file handle");
  const size_t header = wire[0] == kVersionJailed ? kHeader + kJailSize : kHeader;
  if (wire.size() < header + kMacSize || wire.size() > header + vfs::Handle::kMaxSize + kMacSize)
    return Err(Errc::kBadHandle, "malformed file handle");
  size_t n = wire.size() - kMacSize;
  uint8_t mac[kMacSize];
  if (!Mac(wire.first(n), mac)) return Err(Errc::kIo, "cannot check the file handle's MAC");
  // Constant time: the MAC is a secret-derived value.
  if (CRYPTO_memcmp(mac, wire.data() + n, kMacSize) != 0)
    return Err(Errc::kBadHandle, "file handle MAC mismatch");
  FileHandle fh;
  fh.fs_id = (uint32_t{wire[1]} << 24) | (uint32_t{wire[2]} << 16) | (uint32_t{wire[3]} << 8) |
             uint32_t{wire[4]};
  for (size_t i = kHeader; i < header; ++i) fh.jail = (fh.jail << 8) | wire[i];
  // A jailed handle always names a jail (Encode writes version 2 only then).
  if (header != kHeader && fh.jail == 0) return Err(Errc::kBadHandle, "malformed file handle");
  fh.handle = vfs::Handle(wire.subspan(header, n - header));
  return fh;
}

}  // namespace elfs::nfs4
