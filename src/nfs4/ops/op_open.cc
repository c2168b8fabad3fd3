// OPEN and the operations on open state (RFC 8881 sections 18.2, 18.16,
// 18.18; RFC 7530 section 16.17 OPEN_CONFIRM).
#include <cstring>

#include "nfs4/ops/op_util.h"
#include "nfs4/ops/ops.h"

namespace elfs::nfs4::ops {

namespace {

struct OpenArgs {
  uint32_t seqid = 0;
  uint32_t share_access = 0;
  uint32_t share_deny = 0;
  uint64_t clientid = 0;
  std::span<const uint8_t> owner;
  uint32_t opentype = OPEN4_NOCREATE;
  uint32_t createmode = UNCHECKED4;
  SetAttrRequest createattrs;
  std::span<const uint8_t> verifier;
  uint32_t claim = CLAIM_NULL;
  std::string_view name;
};

// Decodes OPEN4args. BADXDR, or the error of a bad createattrs.
nfsstat4 DecodeOpenArgs(CompoundState& cs, xdr::XdrDecoder& d, OpenArgs& a) {
  a.seqid = d.U32();
  a.share_access = d.U32();
  a.share_deny = d.U32();
  a.clientid = d.U64();
  a.owner = d.Opaque(NFS4_OPAQUE_LIMIT);
  a.opentype = d.U32();
  nfsstat4 attr_status = NFS4_OK;
  if (a.opentype == OPEN4_CREATE) {
    a.createmode = d.U32();
    switch (a.createmode) {
      case UNCHECKED4:
      case GUARDED4: attr_status = DecodeSettable(d, cs.minorversion, a.createattrs); break;
      case EXCLUSIVE4: a.verifier = d.FixedOpaque(NFS4_VERIFIER_SIZE); break;
      case EXCLUSIVE4_1:
        if (cs.minorversion < 1) return NFS4ERR_INVAL;
        a.verifier = d.FixedOpaque(NFS4_VERIFIER_SIZE);
        attr_status = DecodeSettable(d, cs.minorversion, a.createattrs);
        // Only suppattr_exclcreat may come with the verifier (RFC 8881
        // section 18.16.3): the times hold it.
        if (attr_status == NFS4_OK && (a.createattrs.bits.Has(FATTR4_TIME_ACCESS_SET) ||
                                       a.createattrs.bits.Has(FATTR4_TIME_MODIFY_SET)))
          attr_status = NFS4ERR_INVAL;
        break;
      default: d.Fail();
    }
  } else if (a.opentype != OPEN4_NOCREATE) {
    d.Fail();
  }
  a.claim = d.U32();
  switch (a.claim) {
    case CLAIM_NULL:
    case CLAIM_DELEGATE_PREV: a.name = d.String(kMaxComponentWire); break;
    case CLAIM_PREVIOUS: d.U32(); break;
    case CLAIM_DELEGATE_CUR: {
      state::Stateid ignored;
      DecodeStateid(d, ignored);
      a.name = d.String(kMaxComponentWire);
      break;
    }
    case CLAIM_FH:
    case CLAIM_DELEG_PREV_FH: break;
    case CLAIM_DELEG_CUR_FH: {
      state::Stateid ignored;
      DecodeStateid(d, ignored);
      break;
    }
    default: d.Fail();
  }
  if (!d.ok()) return NFS4ERR_BADXDR;
  return attr_status;
}

// The exclusive-create verifier lives in the file's times, as Linux's
// server keeps it (RFC 8881 section 18.16.3 leaves the place to the server).
void VerifierToTimes(std::span<const uint8_t> v, vfs::SetAttrs& set) {
  uint32_t a, m;
  std::memcpy(&a, v.data(), 4);
  std::memcpy(&m, v.data() + 4, 4);
  set.atime_how = vfs::TimeSet::kClientTime;
  set.atime = {a, 0};
  set.mtime_how = vfs::TimeSet::kClientTime;
  set.mtime = {m, 0};
}

bool TimesHoldVerifier(std::span<const uint8_t> v, const vfs::Attr& attr) {
  vfs::SetAttrs set;
  VerifierToTimes(v, set);
  return attr.atime.sec == set.atime.sec && attr.mtime.sec == set.mtime.sec &&
         attr.atime.nsec == 0 && attr.mtime.nsec == 0;
}

// What an existing object may be opened as (RFC 8881 section 18.16.3).
nfsstat4 CheckOpenType(const CompoundState& cs, const vfs::Attr& a) {
  switch (a.type) {
    case vfs::FileType::kRegular: return NFS4_OK;
    case vfs::FileType::kDirectory: return NFS4ERR_ISDIR;
    case vfs::FileType::kSymlink: return NFS4ERR_SYMLINK;
    // RFC 7530 section 16.16.6 (4.0) and RFC 8881 section 18.16.3 (4.1).
    default: return cs.minorversion >= 1 ? NFS4ERR_WRONG_TYPE : NFS4ERR_SYMLINK;
  }
}

// EFS grants no delegations. A 4.1 client that states a wish gets told why
// (RFC 8881 section 18.16.3, open_none_delegation4).
void EncodeNoDelegation(xdr::XdrEncoder& res, uint32_t want) {
  switch (want) {
    case OPEN4_SHARE_ACCESS_WANT_NO_PREFERENCE:
      res.U32(OPEN_DELEGATE_NONE);
      return;
    case OPEN4_SHARE_ACCESS_WANT_NO_DELEG:
      res.U32(OPEN_DELEGATE_NONE_EXT);
      res.U32(WND4_NOT_WANTED);
      return;
    case OPEN4_SHARE_ACCESS_WANT_CANCEL:
      res.U32(OPEN_DELEGATE_NONE_EXT);
      res.U32(WND4_CANCELLED);
      return;
    default:
      res.U32(OPEN_DELEGATE_NONE_EXT);
      res.U32(WND4_RESOURCE);
      res.Bool(false);  // ond_server_will_signal_avail
  }
}

uint32_t WantedAccess(uint32_t share_access) {
  uint32_t want = 0;
  if (share_access & OPEN4_SHARE_ACCESS_READ) want |= authz::kRead;
  if (share_access & OPEN4_SHARE_ACCESS_WRITE) want |= authz::kWrite;
  return want;
}

// OPEN after its arguments were decoded and the 4.0 seqid admitted.
nfsstat4 OpenAdmitted(CompoundState& cs, const OpenArgs& a, nfsstat4 st, uint64_t clientid,
                      xdr::XdrEncoder& res) {
  if (st != NFS4_OK) return st;

  const uint32_t access = a.share_access & ~OPEN4_SHARE_ACCESS_WANT_DELEG_MASK;
  if (access == 0 || access > OPEN4_SHARE_ACCESS_BOTH || a.share_deny > OPEN4_SHARE_DENY_BOTH ||
      (cs.minorversion == 0 && (a.share_access & OPEN4_SHARE_ACCESS_WANT_DELEG_MASK)))
    return NFS4ERR_INVAL;
  // Without ClientWrite (a read-only export to knfsd): no create, no open
  // for writing.
  if (cs.read_only && (a.opentype == OPEN4_CREATE || (access & OPEN4_SHARE_ACCESS_WRITE)))
    return NFS4ERR_ROFS;

  // After a restart, the grace period: reclaims from clients that held
  // state before it, and nothing new (RFC 8881 sections 8.4.2, 18.51.3;
  // RFC 7530 section 9.6.2).
  const bool reclaim = a.claim == CLAIM_PREVIOUS;
  if (nfsstat4 s = reclaim ? cs.server.state().CheckReclaim(clientid)
                           : cs.server.state().CheckNewState(cs.minorversion, clientid);
      s != NFS4_OK)
    return s;

  vfs::Handle file;
  vfs::Attr file_attr;
  vfs::Attr dir_attr;
  bool created = false;
  Bitmap attrset;
  switch (a.claim) {
    case CLAIM_NULL: break;
    case CLAIM_FH:
      if (cs.minorversion < 1) return NFS4ERR_INVAL;
      break;
    case CLAIM_PREVIOUS:
      // The current file handle is the file itself (RFC 7530 section
      // 16.16.5); no delegation was ever granted, so none is given back.
      break;
    default:
      // No delegations are ever granted, so none can be claimed.
      return NFS4ERR_NOTSUPP;
  }

  if (a.claim == CLAIM_FH || reclaim) {
    if (a.opentype == OPEN4_CREATE) return NFS4ERR_INVAL;
    auto attr = CurrentAttr(cs);
    if (!attr) return ToStat(attr.error());
    file = cs.cfh;
    file_attr = *attr;
    dir_attr = *attr;
  } else {
    auto dir = CurrentAttr(cs);
    if (!dir) return ToStat(dir.error());
    dir_attr = *dir;
    if (nfsstat4 s = RequireDir(*dir); s != NFS4_OK) return s;
    if (nfsstat4 s = CheckComponent(a.name); s != NFS4_OK) return s;
    if (Status s = authz::MayLookup(cs.who, *dir); !s.ok()) return ToStat(s);
    auto existing = cs.fs().Lookup(cs.cfh, a.name);
    if (!existing && existing.error().code() != Errc::kNotFound) return ToStat(existing.error());
    if (existing) {
      file = existing->handle;
      file_attr = existing->attr;
      if (a.opentype == OPEN4_CREATE) {
        if (a.createmode == GUARDED4) return NFS4ERR_EXIST;
        if (a.createmode == EXCLUSIVE4 || a.createmode == EXCLUSIVE4_1) {
          // A retransmitted exclusive create finds its own verifier. Only
          // the file's owner is spared the permission check: the verifier
          // can be read from the times by anyone.
          if (file_attr.type != vfs::FileType::kRegular || !TimesHoldVerifier(a.verifier, file_attr))
            return NFS4ERR_EXIST;
          created = file_attr.uid == cs.who.uid;
          attrset.Set(FATTR4_TIME_ACCESS);
          attrset.Set(FATTR4_TIME_MODIFY);
        }
      }
    } else if (a.opentype == OPEN4_NOCREATE) {
      return NFS4ERR_NOENT;
    } else {
      if (Status s = authz::MayCreate(cs.who, *dir); !s.ok()) return ToStat(s);
      const bool exclusive = a.createmode == EXCLUSIVE4 || a.createmode == EXCLUSIVE4_1;
      uint32_t mode = a.createattrs.set.mode.value_or(exclusive ? 0600 : 0644);
      authz::NewOwner owner = authz::OwnerForNew(cs.who, *dir, vfs::FileType::kRegular, mode);
      vfs::CreateRequest creq;
      creq.type = vfs::FileType::kRegular;
      creq.mode = owner.mode;
      creq.uid = owner.uid;
      creq.gid = owner.gid;
      creq.exclusive = a.createmode != UNCHECKED4;
      auto e = cs.fs().Create(cs.cfh, a.name, creq);
      if (!e) return ToStat(e.error());
      file = e->handle;
      file_attr = e->attr;
      created = true;
      if (a.createattrs.bits.Has(FATTR4_MODE)) attrset.Set(FATTR4_MODE);
      if (exclusive) {
        vfs::SetAttrs set;
        VerifierToTimes(a.verifier, set);
        auto after = cs.fs().SetAttr(file, set);
        if (!after) return ToStat(after.error());
        file_attr = *after;
        // Tell the client the times hold the verifier, so it sets them.
        attrset.Set(FATTR4_TIME_ACCESS);
        attrset.Set(FATTR4_TIME_MODIFY);
      }
    }
  }

  if (nfsstat4 s = CheckOpenType(cs, file_attr); s != NFS4_OK) return s;
  if (!created) {
    // knfsd's rules for OPEN: a read of a file the caller may only execute
    // is allowed (clients must read a binary to run it).
    Status s = authz::CheckAccess(cs.who, file_attr, WantedAccess(access),
                                  authz::Relax{.owner_override = false, .read_if_exec = true});
    if (!s.ok()) return ToStat(s);
  }
  // UNCHECKED4 create of an existing file, or with attributes: apply the
  // remaining ones (typically size 0 for O_TRUNC).
  if (a.opentype == OPEN4_CREATE && (a.createmode == UNCHECKED4 || a.createmode == GUARDED4 ||
                                     a.createmode == EXCLUSIVE4_1)) {
    vfs::SetAttrs rest = a.createattrs.set;
    if (created) {
      rest.mode.reset();
    } else {
      // An UNCHECKED4 open of an existing file applies only a size of zero
      // (RFC 8881 section 18.16.3: truncation by O_TRUNC); the rest is ignored.
      rest = vfs::SetAttrs();
      if (a.createattrs.set.size == 0u) rest.size = 0;
    }
    if (!rest.empty()) {
      auto apply = authz::CheckSetAttr(cs.who, file_attr, rest);
      if (!apply) return ToStat(apply.error());
      auto after = cs.fs().SetAttr(file, *apply);
      if (!after) return ToStat(after.error());
      for (uint32_t bit : {FATTR4_SIZE, FATTR4_MODE, FATTR4_OWNER, FATTR4_OWNER_GROUP,
                           FATTR4_TIME_ACCESS_SET, FATTR4_TIME_MODIFY_SET})
        if (a.createattrs.bits.Has(bit) && (created || (bit == FATTR4_SIZE && rest.size)))
          attrset.Set(bit);
    }
  }

  auto opened = cs.server.state().Open(cs.minorversion, clientid, a.owner, {cs.exp.id, file},
                                       access, a.share_deny, reclaim);
  if (!opened) return opened.error();

  uint64_t dir_change_after = dir_attr.change;
  if (created && a.claim == CLAIM_NULL) {
    if (auto d = cs.fs().GetAttr(cs.cfh)) dir_change_after = d->change;
  }
  cs.SetCurrentFh(file);
  cs.SetCurrentStateid(opened->stateid);

  EncodeStateid(res, opened->stateid);
  EncodeChangeInfo(res, dir_attr.change, dir_change_after);
  uint32_t rflags = OPEN4_RESULT_LOCKTYPE_POSIX;
  if (opened->needs_confirm) rflags |= OPEN4_RESULT_CONFIRM;
  res.U32(rflags);
  attrset.Encode(res);
  EncodeNoDelegation(res, a.share_access & OPEN4_SHARE_ACCESS_WANT_DELEG_MASK);
  return NFS4_OK;
}

}  // namespace

nfsstat4 Open(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  OpenArgs a;
  nfsstat4 st = DecodeOpenArgs(cs, args, a);
  if (st == NFS4ERR_BADXDR) return st;
  const uint64_t clientid = cs.minorversion >= 1 ? cs.session_clientid() : a.clientid;
  // From here on every error consumes the 4.0 seqid (RFC 7530 section
  // 9.1.7); the dispatcher saves the reply for the owner, or answers a
  // retransmission from it (CompoundState::seqid_op).
  if (nfsstat4 s = cs.server.state().BeginOpen(cs.minorversion, clientid, a.owner, a.seqid,
                                               &cs.seqid_op);
      s != NFS4_OK || cs.seqid_op.replay)
    return s;
  return OpenAdmitted(cs, a, st, clientid, res);
}

nfsstat4 OpenConfirm(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  state::Stateid sid;
  DecodeStateid(args, sid);
  uint32_t seqid = args.U32();
  if (!args.ok()) return NFS4ERR_BADXDR;
  state::Stateid out;
  if (nfsstat4 s = cs.server.state().OpenConfirm(sid, seqid, &cs.seqid_op, &out);
      s != NFS4_OK || cs.seqid_op.replay)
    return s;
  EncodeStateid(res, out);
  return NFS4_OK;
}

nfsstat4 OpenDowngrade(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  state::Stateid sid;
  DecodeStateid(args, sid);
  uint32_t seqid = args.U32();
  uint32_t access = args.U32();
  uint32_t deny = args.U32();
  if (!args.ok()) return NFS4ERR_BADXDR;
  if (!cs.ResolveStateid(sid)) return NFS4ERR_BAD_STATEID;
  state::Stateid out;
  nfsstat4 s = cs.server.state().OpenDowngrade(cs.minorversion, cs.session_clientid(), sid, seqid,
                                               access & ~OPEN4_SHARE_ACCESS_WANT_DELEG_MASK, deny,
                                               &cs.seqid_op, &out);
  if (s != NFS4_OK || cs.seqid_op.replay) return s;
  cs.SetCurrentStateid(out);
  EncodeStateid(res, out);
  return NFS4_OK;
}

nfsstat4 Close(CompoundState& cs, xdr::XdrDecoder& args, xdr::XdrEncoder& res) {
  uint32_t seqid = args.U32();
  state::Stateid sid;
  DecodeStateid(args, sid);
  if (!args.ok()) return NFS4ERR_BADXDR;
  if (!cs.ResolveStateid(sid)) return NFS4ERR_BAD_STATEID;
  state::Stateid out;
  if (nfsstat4 s = cs.server.state().Close(cs.minorversion, cs.session_clientid(), sid, seqid,
                                           &cs.seqid_op, &out);
      s != NFS4_OK || cs.seqid_op.replay)
    return s;
  cs.SetCurrentStateid(out);
  EncodeStateid(res, out);
  return NFS4_OK;
}

}  // namespace elfs::nfs4::ops
