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

void FileHandleCodec::MdFree::operator()(EVP_MD* md) const { EVP_MD_free(md); }

FileHandleCodec::FileHandleCodec(std::span<const uint8_t, kKeySize> key)
    : sha256_(EVP_MD_fetch(nullptr, OSSL_DIGEST_NAME_SHA2_256, nullptr)) {
  if (!sha256_) {
    // Without SHA-256 no handle could be checked: nothing can be served.
    spdlog::critical("file handles: OpenSSL has no SHA-256");
    std::abort();
  }
  // RFC 2104 section 2: the key (shorter than SHA-256's 64-byte block)
  // padded with zeros, XORed with 0x36 (inner) and 0x5c (outer).
  static_assert(kKeySize <= 64);
  ipad_.fill(0x36);
  opad_.fill(0x5c);
  for (size_t i = 0; i < key.size(); ++i) {
    ipad_[i] ^= key[i];
    opad_[i] ^= key[i];
  }
}

FileHandleCodec::~FileHandleCodec() {
  OPENSSL_cleanse(ipad_.data(), ipad_.size());
  OPENSSL_cleanse(opad_.data(), opad_.size());
}

bool FileHandleCodec::Mac(std::span<const uint8_t> data, uint8_t out[8]) const {
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  uint8_t inner[32], full[32];
  unsigned inner_len = 0, full_len = 0;
  EVP_MD* md = sha256_.get();
  bool ok = ctx && EVP_DigestInit_ex2(ctx.get(), md, nullptr) == 1 &&
            EVP_DigestUpdate(ctx.get(), ipad_.data(), ipad_.size()) == 1 &&
            EVP_DigestUpdate(ctx.get(), data.data(), data.size()) == 1 &&
            EVP_DigestFinal_ex(ctx.get(), inner, &inner_len) == 1 &&
            EVP_DigestInit_ex2(ctx.get(), md, nullptr) == 1 &&
            EVP_DigestUpdate(ctx.get(), opad_.data(), opad_.size()) == 1 &&
            EVP_DigestUpdate(ctx.get(), inner, inner_len) == 1 &&
            EVP_DigestFinal_ex(ctx.get(), full, &full_len) == 1 && full_len >= kMacSize;
  if (!ok) {
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
