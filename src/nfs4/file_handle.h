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

struct evp_md_st;  // OpenSSL's EVP_MD

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
  ~FileHandleCodec();
  FileHandleCodec(const FileHandleCodec&) = delete;
  FileHandleCodec& operator=(const FileHandleCodec&) = delete;

  WireHandle Encode(const FileHandle& fh) const;
  // kBadHandle for anything malformed or with a wrong MAC.
  Result<FileHandle> Decode(std::span<const uint8_t> wire) const;

 private:
  // False only when OpenSSL cannot allocate.
  bool Mac(std::span<const uint8_t> data, uint8_t out[8]) const;
  // HMAC-SHA256 from its definition (RFC 2104): the key's inner and outer
  // pad blocks are made once, and each MAC is two SHA-256 digests on a
  // digest context each thread keeps and reuses. READDIR pays one MAC per
  // entry and every PUTFH one: duplicating a keyed EVP_MAC_CTX per MAC
  // (allocations) was a quarter of READDIR's CPU.
  struct MdFree {
    void operator()(::evp_md_st* md) const;
  };
  std::unique_ptr<::evp_md_st, MdFree> sha256_;
  std::array<uint8_t, 64> ipad_{}, opad_{};  // secret: wiped by the destructor
};

}  // namespace elfs::nfs4
