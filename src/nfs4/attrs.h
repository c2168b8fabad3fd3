// fattr4: attribute bitmaps and values (RFC 8881 section 5, RFC 7530
// section 5). Encodes the attributes elfs supports from vfs::Attr, and decodes
// the settable ones for SETATTR, CREATE and OPEN.
//
// Owners go on the wire as numeric strings ("1000"), as the Linux server does
// for AUTH_SYS clients, so clients need no id mapping (TESTING.md section 1).
//
// Thread safety: stateless functions.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "nfs4/nfs4_const.h"
#include "vfs/vfs.h"
#include "xdr/xdr.h"

namespace elfs::nfs4 {

class Bitmap {
 public:
  static constexpr uint32_t kWords = 3;
  bool Has(uint32_t bit) const { return bit < 32 * kWords && (w_[bit / 32] >> (bit % 32)) & 1; }
  void Set(uint32_t bit) {
    if (bit < 32 * kWords) w_[bit / 32] |= 1u << (bit % 32);
  }
  void Clear(uint32_t bit) {
    if (bit < 32 * kWords) w_[bit / 32] &= ~(1u << (bit % 32));
  }
  bool empty() const { return w_[0] == 0 && w_[1] == 0 && w_[2] == 0; }
  Bitmap operator&(const Bitmap& o) const {
    Bitmap r;
    for (uint32_t i = 0; i < kWords; ++i) r.w_[i] = w_[i] & o.w_[i];
    return r;
  }
  bool SubsetOf(const Bitmap& o) const {
    for (uint32_t i = 0; i < kWords; ++i)
      if (w_[i] & ~o.w_[i]) return false;
    return true;
  }
  // True if the wire bitmap named bits beyond the words kept here.
  bool has_unknown_bits() const { return unknown_; }
  uint32_t word(uint32_t i) const { return w_[i]; }

  // bitmap4 is uint32_t<>; a longer bitmap is accepted and bits beyond
  // kWords words are remembered as unknown.
  void Decode(xdr::XdrDecoder& d);
  void Encode(xdr::XdrEncoder& e) const;
  friend bool operator==(const Bitmap& a, const Bitmap& b) { return a.w_ == b.w_; }

 private:
  std::array<uint32_t, kWords> w_{};
  bool unknown_ = false;
};

// The attributes elfs supports for a minor version.
const Bitmap& SupportedAttrs(uint32_t minorversion);
// Attributes a client may set (SETATTR, CREATE, OPEN).
const Bitmap& SettableAttrs();

// Everything needed to encode one object's attributes.
struct AttrSource {
  const vfs::Attr* attr = nullptr;
  std::span<const uint8_t> wire_handle;  // for FATTR4_FILEHANDLE
  uint64_t fsid_major = 0;
  uint64_t fsid_minor = 0;
  uint32_t lease_seconds = 90;
  uint32_t minorversion = 1;
  uint64_t mounted_on_fileid = 0;  // usually attr->fileid
  uint32_t rdattr_error = NFS4_OK;
  // Called at most once, only when a space_* or files_* attribute is asked.
  std::function<Result<vfs::FsStats>()> stats;
};

// Encodes fattr4 for `requested` ∩ supported. Never fails.
void EncodeFattr(xdr::XdrEncoder& e, const Bitmap& requested, const AttrSource& src);
// Encodes only the attrlist (no bitmap) for exactly `bits`, for VERIFY.
void EncodeAttrValues(xdr::XdrEncoder& e, const Bitmap& bits, const AttrSource& src);

// A decoded settable fattr4.
struct SetAttrRequest {
  Bitmap bits;  // which attributes were given
  vfs::SetAttrs set;
};
// Decodes fattr4 for SETATTR/CREATE/OPEN. Errors: BADXDR, ATTRNOTSUPP (not
// supported at all), INVAL (supported but read-only), BADOWNER.
nfsstat4 DecodeSettable(xdr::XdrDecoder& d, uint32_t minorversion, SetAttrRequest& out);

// Maps backend types to nfs_ftype4 and back.
nfs_ftype4 ToFtype(vfs::FileType t);

}  // namespace elfs::nfs4
