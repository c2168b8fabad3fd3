// Directory operations (RFC 8881 sections 18.4, 18.9, 18.23-18.26).
#include <cstring>

#include "nfs4/ops/op_util.h"
#include "nfs4/ops/ops.h"

namespace elfs::nfs4::ops {

namespace {

uint64_t ChangeOf(CompoundState& cs, const vfs::Handle& dir) {
  auto a = cs.fs().GetAttr(dir);
  return a ? a->change : 0;
}

// Applies the attributes given with CREATE/OPEN beyond the mode (which
// OwnerForNew already used), as the creator may set them; returns the bits
// actually set.
Bitmap ApplyCreateAttrs(CompoundState& cs, const vfs::Handle& h, const vfs::Attr& attr,
                        const SetAttrRequest& req) {
  Bitmap done;
  if (req.bits.Has(FATTR4_MODE)) done.Set(FATTR4_MODE);
  vfs::SetAttrs rest = req.set;
  rest.mode.reset();
  if (rest.empty()) return done;
  auto apply = authz::CheckSetAttr(cs.who, attr, rest);
  if (!apply || !cs.fs().SetAttr(h, *apply)) return done;
  for (uint32_t bit : {FATTR4_SIZE, FATTR4_OWNER, FATTR4_OWNER_GROUP, FATTR4_TIME_ACCESS_SET,
                       FATTR4_TIME_MODIFY_SET})
    if (req.bits.Has(bit)) done.Set(bit);
  return done;
}

}  // namespace

nfsstat4 Create(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  vfs::CreateRequest creq;
  uint32_t type = args.U32();
  std::string_view link_target;
  switch (type) {
    case NF4LNK:
      creq.type = vfs::FileType::kSymlink;
      link_target = args.String(4096);
      break;
    case NF4BLK:
    case NF4CHR:
      creq.type = type == NF4BLK ? vfs::FileType::kBlockDevice : vfs::FileType::kCharDevice;
      creq.rdev_major = args.U32();
      creq.rdev_minor = args.U32();
      break;
    case NF4SOCK: creq.type = vfs::FileType::kSocket; break;
    case NF4FIFO: creq.type = vfs::FileType::kFifo; break;
    case NF4DIR: creq.type = vfs::FileType::kDirectory; break;
    default:
      if (!args.ok()) return NFS4ERR_BADXDR;
      // Regular files are made by OPEN (RFC 8881 section 18.4.3).
      return NFS4ERR_BADTYPE;
  }
  std::string_view name = args.String(kMaxComponentWire);
  SetAttrRequest req;
  nfsstat4 st = DecodeSettable(args, cs.minorversion, req);
  if (!args.ok()) return NFS4ERR_BADXDR;
  if (st != NFS4_OK) return st;

  auto dir = CurrentAttr(cs);
  if (!dir) return ToStat(dir.error());
  if (nfsstat4 s = RequireDir(*dir); s != NFS4_OK) return s;
  if (nfsstat4 s = CheckComponent(name); s != NFS4_OK) return s;
  if (creq.type == vfs::FileType::kSymlink && link_target.empty()) return NFS4ERR_INVAL;
  if (Status s = authz::MayCreate(cs.who, *dir); !s.ok()) return ToStat(s);
  // Device nodes: a file service has no use for them and they would let a
  // client with root reach host devices. mknod(2) answers EPERM likewise.
  if ((creq.type == vfs::FileType::kBlockDevice || creq.type == vfs::FileType::kCharDevice) &&
      !cs.who.is_root())
    return NFS4ERR_PERM;

  uint32_t mode = req.set.mode.value_or(creq.type == vfs::FileType::kDirectory ? 0755 : 0644);
  authz::NewOwner owner = authz::OwnerForNew(cs.who, *dir, creq.type, mode);
  creq.uid = owner.uid;
  creq.gid = owner.gid;
  creq.mode = owner.mode;
  creq.symlink_target = link_target;
  creq.exclusive = true;
  auto e = cs.fs().Create(cs.cfh, name, creq);
  if (!e) return ToStat(e.error());
  Bitmap set = ApplyCreateAttrs(cs, e->handle, e->attr, req);
  EncodeChangeInfo(res, dir->change, ChangeOf(cs, cs.cfh));
  set.Encode(res);
  cs.SetCurrentFh(e->handle);
  cs.has_cstateid = false;
  return NFS4_OK;
}

nfsstat4 Remove(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  std::string_view name = args.String(kMaxComponentWire);
  if (!args.ok()) return NFS4ERR_BADXDR;
  auto dir = CurrentAttr(cs);
  if (!dir) return ToStat(dir.error());
  if (nfsstat4 s = RequireDir(*dir); s != NFS4_OK) return s == NFS4ERR_SYMLINK ? NFS4ERR_NOTDIR : s;
  if (nfsstat4 s = CheckComponent(name); s != NFS4_OK) return s;
  if (Status s = authz::MayLookup(cs.who, *dir); !s.ok()) return ToStat(s);
  auto victim = cs.fs().Lookup(cs.cfh, name);
  if (!victim) return ToStat(victim.error());
  if (Status s = authz::MayDelete(cs.who, *dir, victim->attr); !s.ok()) return ToStat(s);
  if (Status s = cs.fs().Remove(cs.cfh, name); !s.ok()) return ToStat(s);
  EncodeChangeInfo(res, dir->change, ChangeOf(cs, cs.cfh));
  return NFS4_OK;
}

nfsstat4 Rename(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  std::string_view oldname = args.String(kMaxComponentWire);
  std::string_view newname = args.String(kMaxComponentWire);
  if (!args.ok()) return NFS4ERR_BADXDR;
  // Source directory: the saved file handle; target: the current one.
  if (!cs.has_sfh) return NFS4ERR_NOFILEHANDLE;
  auto from_dir = cs.fs().GetAttr(cs.sfh);
  if (!from_dir) return ToStat(from_dir.error());
  auto to_dir = CurrentAttr(cs);
  if (!to_dir) return ToStat(to_dir.error());
  if (from_dir->type != vfs::FileType::kDirectory || to_dir->type != vfs::FileType::kDirectory)
    return NFS4ERR_NOTDIR;
  if (nfsstat4 s = CheckComponent(oldname); s != NFS4_OK) return s;
  if (nfsstat4 s = CheckComponent(newname); s != NFS4_OK) return s;
  if (Status s = authz::MayLookup(cs.who, *from_dir); !s.ok()) return ToStat(s);
  if (Status s = authz::MayLookup(cs.who, *to_dir); !s.ok()) return ToStat(s);
  auto victim = cs.fs().Lookup(cs.sfh, oldname);
  if (!victim) return ToStat(victim.error());
  auto target = cs.fs().Lookup(cs.cfh, newname);
  if (!target && target.error().code() != Errc::kNotFound) return ToStat(target.error());
  const vfs::Attr* target_attr = target ? &target->attr : nullptr;
  if (Status s = authz::MayRename(cs.who, *from_dir, victim->attr, *to_dir, target_attr); !s.ok())
    return ToStat(s);
  if (target && target->attr.fileid == victim->attr.fileid) {
    // RFC 8881 section 18.26.4: two links to the same file: nothing to do.
  } else if (Status s = cs.fs().Rename(cs.sfh, oldname, cs.cfh, newname); !s.ok()) {
    // RFC 8881 section 18.26.3: a target of another type is NFS4ERR_EXIST.
    // A non-empty target directory stays NFS4ERR_NOTEMPTY, as Linux and
    // Ganesha answer: clients turn it into ENOTEMPTY, which rename(2) users
    // expect (POSIX allows either; docs/design.md).
    if (target && (s.code() == Errc::kIsDir || s.code() == Errc::kNotDir ||
                   s.code() == Errc::kExists))
      return NFS4ERR_EXIST;
    return ToStat(s);
  }
  EncodeChangeInfo(res, from_dir->change, ChangeOf(cs, cs.sfh));
  EncodeChangeInfo(res, to_dir->change, ChangeOf(cs, cs.cfh));
  return NFS4_OK;
}

nfsstat4 Link(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  std::string_view name = args.String(kMaxComponentWire);
  if (!args.ok()) return NFS4ERR_BADXDR;
  // The object to link: the saved file handle; the directory: the current.
  if (!cs.has_sfh) return NFS4ERR_NOFILEHANDLE;
  auto src = cs.fs().GetAttr(cs.sfh);
  if (!src) return ToStat(src.error());
  auto dir = CurrentAttr(cs);
  if (!dir) return ToStat(dir.error());
  if (nfsstat4 s = RequireDir(*dir); s != NFS4_OK) return s == NFS4ERR_SYMLINK ? NFS4ERR_NOTDIR : s;
  if (src->type == vfs::FileType::kDirectory) return NFS4ERR_ISDIR;
  if (nfsstat4 s = CheckComponent(name); s != NFS4_OK) return s;
  if (Status s = authz::MayCreate(cs.who, *dir); !s.ok()) return ToStat(s);
  if (Status s = cs.fs().Link(cs.sfh, cs.cfh, name); !s.ok()) return ToStat(s);
  EncodeChangeInfo(res, dir->change, ChangeOf(cs, cs.cfh));
  return NFS4_OK;
}

nfsstat4 ReadLink(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  auto attr = CurrentAttr(cs);
  if (!attr) return ToStat(attr.error());
  // RFC 7530 section 16.25.5: INVAL for anything but a symlink.
  if (attr->type != vfs::FileType::kSymlink) return NFS4ERR_INVAL;
  auto target = cs.fs().ReadLink(cs.cfh);
  if (!target) return ToStat(target.error());
  res.String(*target);
  return NFS4_OK;
}

namespace {
// NFS cookies 0, 1 and 2 are reserved (RFC 7530 section 16.24.4), so
// backend cookies are shifted by two on the wire.
constexpr uint64_t kCookieShift = 2;
}  // namespace

nfsstat4 ReadDir(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  uint64_t cookie = args.U64();
  auto verf = args.FixedOpaque(NFS4_VERIFIER_SIZE);
  uint32_t dircount = args.U32();
  uint32_t maxcount = args.U32();
  Bitmap requested;
  requested.Decode(args);
  if (!args.ok()) return NFS4ERR_BADXDR;
  if (requested.Has(FATTR4_TIME_ACCESS_SET) || requested.Has(FATTR4_TIME_MODIFY_SET))
    return NFS4ERR_INVAL;  // write-only attributes (RFC 8881 section 5.5)

  auto dir = CurrentAttr(cs);
  if (!dir) return ToStat(dir.error());
  if (nfsstat4 s = RequireDir(*dir); s != NFS4_OK) return s == NFS4ERR_SYMLINK ? NFS4ERR_NOTDIR : s;
  if (cookie == 1 || cookie == 2) return NFS4ERR_BAD_COOKIE;
  // Our cookie verifier is always zero: cookies stay valid for the life of
  // the directory. Anything else did not come from us.
  if (cookie != 0) {
    for (uint8_t b : verf)
      if (b != 0) return NFS4ERR_NOT_SAME;
  }
  if (Status s = authz::CheckAccess(cs.who, *dir, authz::kRead); !s.ok()) return ToStat(s);

  // The reply must fit maxcount (RFC 8881 section 18.23.3): cookieverf,
  // entries, and the closing value_follows + eof words.
  const size_t body = res.size();
  const size_t limit = maxcount > 16 ? body + maxcount - 8 : body;
  const uint8_t zero_verf[NFS4_VERIFIER_SIZE] = {};
  res.FixedOpaque(zero_verf);
  const bool with_attrs = !requested.empty();
  size_t dir_bytes = 0;
  uint32_t entries = 0;
  bool too_small = false;

  auto sink = [&](const vfs::DirEntry& e) {
    const size_t at = res.size();
    res.Bool(true);  // value_follows
    res.U64(e.cookie + kCookieShift);
    res.String(e.name);
    if (e.entry) {
      EncodeAttrs(cs, res, requested, e.entry->handle, e.entry->attr);
    } else {
      Bitmap().Encode(res);  // no attributes asked for
      res.U32(0);
    }
    dir_bytes += 8 + xdr::Pad4(e.name.size()) + 4;
    if (res.size() > limit || (dircount > 0 && entries > 0 && dir_bytes > dircount)) {
      res.Truncate(at);
      too_small = entries == 0;
      return false;
    }
    ++entries;
    return true;
  };
  uint64_t start = cookie == 0 ? 0 : cookie - kCookieShift;
  auto eof = cs.fs().ReadDir(cs.cfh, start, with_attrs, sink);
  if (!eof) return ToStat(eof.error());
  if (too_small) return NFS4ERR_TOOSMALL;
  if (res.size() + 8 > body + maxcount) return NFS4ERR_TOOSMALL;
  res.Bool(false);  // no more entries in this reply
  res.Bool(*eof);
  return NFS4_OK;
}

}  // namespace elfs::nfs4::ops
