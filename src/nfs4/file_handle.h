// NFS file handles as clients see them: a backend handle wrapped with the
// file system it belongs to and a MAC, so that a client can neither forge a
// handle (the local backend's handles are kernel handles that could name any
// file on the host's disk) nor move one between file systems.
//
// Layout (RFC 8881 section 4.2.1 leaves it to the server; max NFS4_FHSIZE):
//   version(1) = 1 | fs_id(4, big-endian) | backend handle | mac(8)
//   version(1) = 2 | fs_id(4) | jail(8, big-endian) | backend handle | mac(8)
// mac = first 8 bytes of HMAC-SHA256(key, everything before it).
// Version 2 is a handle given out through an access point: `jail` is the
// fileid of the access point's root directory, so a connection jailed there
// accepts only handles it (or another client of the same root) was given,
// and refuses handles from outside — guessed handles fail the MAC, and a
// handle from an unjailed mount or another access point has another jail.
//
// Thread safety: FileHandleCodec is immutable after construction.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "common/status.h"
#include "vfs/vfs.h"

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

namespace elfs::nfs4 {

struct FileHandle {
  uint32_t fs_id = 0;
  vfs::Handle handle;
  // The access point root's fileid this handle was given out under; 0 for
  // a handle of an unjailed mount (encoded as version 1).
  uint64_t jail = 0;
  friend bool operator==(const FileHandle&, const FileHandle&) = default;
};

// The wire form: at most NFS4_FHSIZE bytes, stored inline.
struct WireHandle {
  std::array<uint8_t, 128> bytes{};
  uint8_t size = 0;
  std::span<const uint8_t> span() const { return {bytes.data(), size}; }
};

class FileHandleCodec {
 public:
  static constexpr size_t kKeySize = 32;
  explicit FileHandleCodec(std::span<const uint8_t, kKeySize> key);
  FileHandleCodec(const FileHandleCodec&) = delete;
  FileHandleCodec& operator=(const FileHandleCodec&) = delete;

  WireHandle Encode(const FileHandle& fh) const;
  // kBadHandle for anything malformed or with a wrong MAC.
  Result<FileHandle> Decode(std::span<const uint8_t> wire) const;

 private:
  // False only when OpenSSL cannot allocate.
  bool Mac(std::span<const uint8_t> data, uint8_t out[8]) const;
  // HMAC-SHA256 keyed once: every MAC starts from a copy of this context
  // (the one-shot HMAC() fetches the algorithms again on every call, which
  // READDIR, one handle per entry, pays 100,000 times per listing).
  struct MacCtxFree {
    void operator()(::evp_mac_ctx_st* c) const;
  };
  std::unique_ptr<::evp_mac_ctx_st, MacCtxFree> keyed_;
};

}  // namespace elfs::nfs4
