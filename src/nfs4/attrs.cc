#include "nfs4/attrs.h"

#include <bit>
#include <charconv>
#include <string>

namespace elfs::nfs4 {

namespace {

constexpr uint64_t kMaxFileSize = 0x7fffffffffffffffull;
constexpr uint32_t kMaxLink = 65000;  // ext4's limit
constexpr uint32_t kMaxName = 255;
constexpr uint64_t kMaxIo = 1u << 20;  // SPEC: 1 MiB rsize/wsize

Bitmap MakeBitmap(std::initializer_list<uint32_t> bits) {
  Bitmap b;
  for (uint32_t x : bits) b.Set(x);
  return b;
}

void EncodeTime(xdr::XdrEncoder& e, const Timespec& t) {
  e.I64(t.sec);
  e.U32(t.nsec);
}

constexpr uint32_t kNoBit = 32 * Bitmap::kWords;

// The lowest bit set in `bits` at or above `from`, or kNoBit: the encoder
// visits only the requested attributes (READDIR encodes them per entry).
uint32_t NextBit(const Bitmap& bits, uint32_t from) {
  for (uint32_t w = from / 32; w < Bitmap::kWords; ++w) {
    uint32_t word = bits.word(w);
    if (w == from / 32) word &= ~0u << (from % 32);
    if (word != 0) return 32 * w + static_cast<uint32_t>(std::countr_zero(word));
  }
  return kNoBit;
}

bool ParseId(std::string_view s, uint32_t& out) {
  // Numeric owner strings (RFC 8881 section 5.9): "1000", no sign, no
  // leading zeros beyond "0".
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > 0xffffffffull) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

void Bitmap::Decode(xdr::XdrDecoder& d) {
  uint32_t n = d.ArrayLength(64);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t v = d.U32();
    if (i < kWords) {
      w_[i] = v;
    } else if (v != 0) {
      unknown_ = true;
    }
  }
}

void Bitmap::Encode(xdr::XdrEncoder& e) const {
  uint32_t n = kWords;
  while (n > 0 && w_[n - 1] == 0) --n;
  e.U32(n);
  for (uint32_t i = 0; i < n; ++i) e.U32(w_[i]);
}

const Bitmap& SupportedAttrs(uint32_t minorversion) {
  static const Bitmap v40 = MakeBitmap({
      FATTR4_SUPPORTED_ATTRS, FATTR4_TYPE, FATTR4_FH_EXPIRE_TYPE, FATTR4_CHANGE, FATTR4_SIZE,
      FATTR4_LINK_SUPPORT, FATTR4_SYMLINK_SUPPORT, FATTR4_NAMED_ATTR, FATTR4_FSID,
      FATTR4_UNIQUE_HANDLES, FATTR4_LEASE_TIME, FATTR4_RDATTR_ERROR, FATTR4_CANSETTIME,
      FATTR4_CASE_INSENSITIVE, FATTR4_CASE_PRESERVING, FATTR4_CHOWN_RESTRICTED,
      FATTR4_FILEHANDLE, FATTR4_FILEID, FATTR4_FILES_AVAIL, FATTR4_FILES_FREE,
      FATTR4_FILES_TOTAL, FATTR4_HOMOGENEOUS, FATTR4_MAXFILESIZE, FATTR4_MAXLINK,
      FATTR4_MAXNAME, FATTR4_MAXREAD, FATTR4_MAXWRITE, FATTR4_MODE, FATTR4_NO_TRUNC,
      FATTR4_NUMLINKS, FATTR4_OWNER, FATTR4_OWNER_GROUP, FATTR4_RAWDEV, FATTR4_SPACE_AVAIL,
      FATTR4_SPACE_FREE, FATTR4_SPACE_TOTAL, FATTR4_SPACE_USED, FATTR4_TIME_ACCESS,
      FATTR4_TIME_ACCESS_SET, FATTR4_TIME_DELTA, FATTR4_TIME_METADATA, FATTR4_TIME_MODIFY,
      FATTR4_TIME_MODIFY_SET, FATTR4_MOUNTED_ON_FILEID});
  static const Bitmap v41 = [] {
    Bitmap b = v40;
    b.Set(FATTR4_SUPPATTR_EXCLCREAT);
    return b;
  }();
  static const Bitmap v42 = [] {
    Bitmap b = v41;
    b.Set(FATTR4_XATTR_SUPPORT);
    return b;
  }();
  if (minorversion >= 2) return v42;
  return minorversion == 1 ? v41 : v40;
}

const Bitmap& SettableAttrs() {
  static const Bitmap b = MakeBitmap({FATTR4_SIZE, FATTR4_MODE, FATTR4_OWNER, FATTR4_OWNER_GROUP,
                                      FATTR4_TIME_ACCESS_SET, FATTR4_TIME_MODIFY_SET});
  return b;
}

nfs_ftype4 ToFtype(vfs::FileType t) {
  switch (t) {
    case vfs::FileType::kRegular: return NF4REG;
    case vfs::FileType::kDirectory: return NF4DIR;
    case vfs::FileType::kBlockDevice: return NF4BLK;
    case vfs::FileType::kCharDevice: return NF4CHR;
    case vfs::FileType::kSymlink: return NF4LNK;
    case vfs::FileType::kSocket: return NF4SOCK;
    case vfs::FileType::kFifo: return NF4FIFO;
  }
  return NF4REG;
}

void EncodeAttrValues(xdr::XdrEncoder& e, const Bitmap& bits, const AttrSource& src) {
  const vfs::Attr& a = *src.attr;
  std::optional<vfs::FsStats> stats;
  auto get_stats = [&]() -> const vfs::FsStats& {
    if (!stats) {
      stats.emplace();
      if (src.stats) {
        if (auto r = src.stats(); r) *stats = *r;
      }
    }
    return *stats;
  };
  char num[16];
  auto encode_id = [&](uint32_t id) {
    auto [p, ec] = std::to_chars(num, num + sizeof num, id);
    e.String({num, static_cast<size_t>(p - num)});
  };
  // Values in ascending attribute order (RFC 8881 section 3.3.9 fattr4).
  for (uint32_t bit = NextBit(bits, 0); bit < kNoBit; bit = NextBit(bits, bit + 1)) {
    switch (bit) {
      case FATTR4_SUPPORTED_ATTRS: SupportedAttrs(src.minorversion).Encode(e); break;
      case FATTR4_TYPE: e.U32(ToFtype(a.type)); break;
      case FATTR4_FH_EXPIRE_TYPE: e.U32(FH4_PERSISTENT); break;
      case FATTR4_CHANGE: e.U64(a.change); break;
      case FATTR4_SIZE: e.U64(a.size); break;
      case FATTR4_LINK_SUPPORT: e.Bool(true); break;
      case FATTR4_SYMLINK_SUPPORT: e.Bool(true); break;
      case FATTR4_NAMED_ATTR: e.Bool(false); break;
      case FATTR4_XATTR_SUPPORT: e.Bool(false); break;  // as EFS: no extended attributes
      case FATTR4_FSID:
        e.U64(src.fsid_major);
        e.U64(src.fsid_minor);
        break;
      case FATTR4_UNIQUE_HANDLES: e.Bool(true); break;
      case FATTR4_LEASE_TIME: e.U32(src.lease_seconds); break;
      case FATTR4_RDATTR_ERROR: e.U32(src.rdattr_error); break;
      case FATTR4_CANSETTIME: e.Bool(true); break;
      case FATTR4_CASE_INSENSITIVE: e.Bool(false); break;
      case FATTR4_CASE_PRESERVING: e.Bool(true); break;
      case FATTR4_CHOWN_RESTRICTED: e.Bool(true); break;
      case FATTR4_FILEHANDLE: e.Opaque(src.wire_handle); break;
      case FATTR4_FILEID: e.U64(a.fileid); break;
      case FATTR4_FILES_AVAIL: e.U64(get_stats().files_avail); break;
      case FATTR4_FILES_FREE: e.U64(get_stats().files_free); break;
      case FATTR4_FILES_TOTAL: e.U64(get_stats().files_total); break;
      case FATTR4_HOMOGENEOUS: e.Bool(true); break;
      case FATTR4_MAXFILESIZE: e.U64(kMaxFileSize); break;
      case FATTR4_MAXLINK: e.U32(kMaxLink); break;
      case FATTR4_MAXNAME: e.U32(kMaxName); break;
      case FATTR4_MAXREAD: e.U64(kMaxIo); break;
      case FATTR4_MAXWRITE: e.U64(kMaxIo); break;
      case FATTR4_MODE: e.U32(a.mode & vfs::kModeMask); break;
      case FATTR4_NO_TRUNC: e.Bool(true); break;
      case FATTR4_NUMLINKS: e.U32(a.nlink); break;
      case FATTR4_OWNER: encode_id(a.uid); break;
      case FATTR4_OWNER_GROUP: encode_id(a.gid); break;
      case FATTR4_RAWDEV:
        e.U32(a.rdev_major);
        e.U32(a.rdev_minor);
        break;
      case FATTR4_SPACE_AVAIL: e.U64(get_stats().bytes_avail); break;
      case FATTR4_SPACE_FREE: e.U64(get_stats().bytes_free); break;
      case FATTR4_SPACE_TOTAL: e.U64(get_stats().bytes_total); break;
      case FATTR4_SPACE_USED: e.U64(a.space_used); break;
      case FATTR4_TIME_ACCESS: EncodeTime(e, a.atime); break;
      case FATTR4_TIME_DELTA: EncodeTime(e, {0, 1}); break;
      case FATTR4_TIME_METADATA: EncodeTime(e, a.ctime); break;
      case FATTR4_TIME_MODIFY: EncodeTime(e, a.mtime); break;
      case FATTR4_MOUNTED_ON_FILEID:
        e.U64(src.mounted_on_fileid ? src.mounted_on_fileid : a.fileid);
        break;
      case FATTR4_SUPPATTR_EXCLCREAT: {
        // RFC 8881 section 5.8.1.14: what EXCLUSIVE4_1 may set with the
        // verifier (the times are taken by the verifier itself).
        Bitmap b = SettableAttrs();
        b.Clear(FATTR4_TIME_ACCESS_SET);
        b.Clear(FATTR4_TIME_MODIFY_SET);
        b.Encode(e);
        break;
      }
      default:
        break;  // write-only (time_*_set) or unsupported: nothing to send
    }
  }
}

void EncodeFattr(xdr::XdrEncoder& e, const Bitmap& requested, const AttrSource& src) {
  Bitmap bits = requested & SupportedAttrs(src.minorversion);
  // Write-only attributes are never returned.
  bits.Clear(FATTR4_TIME_ACCESS_SET);
  bits.Clear(FATTR4_TIME_MODIFY_SET);
  bits.Encode(e);
  size_t len_at = e.Reserve32();
  size_t start = e.size();
  EncodeAttrValues(e, bits, src);
  e.Patch32(len_at, static_cast<uint32_t>(e.size() - start));
}

nfsstat4 DecodeSettable(xdr::XdrDecoder& d, uint32_t minorversion, SetAttrRequest& out) {
  out.bits.Decode(d);
  auto attrlist = d.Opaque(1u << 20);
  if (!d.ok()) return NFS4ERR_BADXDR;
  if (out.bits.has_unknown_bits() || !out.bits.SubsetOf(SupportedAttrs(minorversion)))
    return NFS4ERR_ATTRNOTSUPP;
  if (!out.bits.SubsetOf(SettableAttrs())) return NFS4ERR_INVAL;

  xdr::XdrDecoder v(attrlist);
  nfsstat4 status = NFS4_OK;
  auto decode_time_set = [&](vfs::TimeSet& how, Timespec& t) {
    uint32_t h = v.U32();
    if (h == SET_TO_CLIENT_TIME4) {
      how = vfs::TimeSet::kClientTime;
      t.sec = v.I64();
      t.nsec = v.U32();
      if (t.nsec >= 1'000'000'000) status = NFS4ERR_INVAL;
    } else if (h == SET_TO_SERVER_TIME4) {
      how = vfs::TimeSet::kServerTime;
    } else {
      v.Fail();
    }
  };
  for (uint32_t bit = 0; bit < 32 * Bitmap::kWords && v.ok(); ++bit) {
    if (!out.bits.Has(bit)) continue;
    switch (bit) {
      case FATTR4_SIZE: out.set.size = v.U64(); break;
      case FATTR4_MODE: {
        uint32_t mode = v.U32();
        if (mode & ~vfs::kModeMask) status = NFS4ERR_INVAL;
        out.set.mode = mode & vfs::kModeMask;
        break;
      }
      case FATTR4_OWNER:
      case FATTR4_OWNER_GROUP: {
        std::string_view s = v.String(NFS4_OPAQUE_LIMIT);
        uint32_t id = 0;
        if (v.ok() && s.empty()) {
          status = NFS4ERR_INVAL;
        } else if (v.ok() && !ParseId(s, id)) {
          status = NFS4ERR_BADOWNER;
        } else if (bit == FATTR4_OWNER) {
          out.set.uid = id;
        } else {
          out.set.gid = id;
        }
        break;
      }
      case FATTR4_TIME_ACCESS_SET: decode_time_set(out.set.atime_how, out.set.atime); break;
      case FATTR4_TIME_MODIFY_SET: decode_time_set(out.set.mtime_how, out.set.mtime); break;
      default: break;
    }
  }
  // The attrlist must hold exactly the announced values.
  if (!v.ok() || v.remaining() != 0) return NFS4ERR_BADXDR;
  return status;
}

}  // namespace elfs::nfs4
