#include "authz/posix.h"

#include <fmt/format.h>

namespace elfs::authz {
namespace {

using vfs::FileType;
using vfs::kSetGid;
using vfs::kSetUid;
using vfs::kSticky;

constexpr uint32_t kRwx = kRead | kWrite | kExec;
constexpr uint32_t kGroupExec = 0010;
constexpr uint32_t kAnyExec = 0111;

std::string RwxString(uint32_t bits) {
  std::string s = "---";
  if (bits & kRead) s[0] = 'r';
  if (bits & kWrite) s[1] = 'w';
  if (bits & kExec) s[2] = 'x';
  return s;
}

// The mode class that applies to `who` (acl_permission_check): owner, else
// group, else other. Only that class counts, even if another allows more.
uint32_t ClassBits(const Identity& who, const vfs::Attr& obj) {
  if (who.uid == obj.uid) return (obj.mode >> 6) & kRwx;
  if (who.in_group(obj.gid)) return (obj.mode >> 3) & kRwx;
  return obj.mode & kRwx;
}

bool Granted(const Identity& who, const vfs::Attr& obj, uint32_t want) {
  want &= kRwx;
  if ((want & ~ClassBits(who, obj)) == 0) return true;
  if (!who.is_root()) return false;
  // generic_permission's capability bypass: directories are fully
  // overridable; for anything else read and write are, and exec only when
  // some exec bit is set.
  if (obj.type == FileType::kDirectory) return true;
  return !(want & kExec) || (obj.mode & kAnyExec);
}

// in_group_or_capable(..., CAP_FSETID): may this caller hold S_ISGID for gid?
bool InGroupOrRoot(const Identity& who, uint32_t gid) { return who.is_root() || who.in_group(gid); }

// setattr_should_drop_sgid: S_ISGID with group exec is a real privilege and
// goes; without group exec it is a locking mark, kept only for a caller who
// could have set it (in the group, or root).
uint32_t SgidToDrop(const Identity& who, const vfs::Attr& obj) {
  if (!(obj.mode & kSetGid)) return 0;
  if (obj.mode & kGroupExec) return kSetGid;
  return InGroupOrRoot(who, obj.gid) ? 0 : kSetGid;
}

// setattr_should_drop_suidgid: the bits a write or truncate by `who` kills.
uint32_t PrivToDropOnWrite(const Identity& who, const vfs::Attr& obj) {
  if (who.is_root() || obj.type != FileType::kRegular) return 0;
  uint32_t kill = obj.mode & kSetUid;
  kill |= SgidToDrop(who, obj);
  return kill;
}

Status Denied(const Identity& who, const vfs::Attr& obj, uint32_t want) {
  return Status::Access(fmt::format("uid {} lacks {} on mode {:04o} owned by {}:{}", who.uid,
                                    RwxString(want & kRwx), obj.mode, obj.uid, obj.gid));
}

Status NotDir() { return Status(Errc::kNotDir, "not a directory"); }

}  // namespace

Status CheckAccess(const Identity& who, const vfs::Attr& obj, uint32_t want) {
  if (Granted(who, obj, want)) return Status::Ok();
  return Denied(who, obj, want);
}

Status CheckAccess(const Identity& who, const vfs::Attr& obj, uint32_t want, Relax relax) {
  if (relax.owner_override && who.uid == obj.uid) return Status::Ok();
  if (Granted(who, obj, want)) return Status::Ok();
  // nfsd_permission: "allow read access to binaries even when mode 111".
  if (obj.type == FileType::kRegular && (want & kRwx) == kRead &&
      (relax.owner_override || relax.read_if_exec) && Granted(who, obj, kExec)) {
    return Status::Ok();
  }
  return Denied(who, obj, want);
}

uint32_t Allowed(const Identity& who, const vfs::Attr& obj, uint32_t want) {
  uint32_t out = 0;
  for (uint32_t bit : {kRead, kWrite, kExec}) {
    if ((want & bit) && Granted(who, obj, bit)) out |= bit;
  }
  return out;
}

Status MayLookup(const Identity& who, const vfs::Attr& dir) {
  if (dir.type != FileType::kDirectory) return NotDir();
  return CheckAccess(who, dir, kExec);
}

Status MayCreate(const Identity& who, const vfs::Attr& dir) {
  if (dir.type != FileType::kDirectory) return NotDir();
  return CheckAccess(who, dir, kWrite | kExec);
}

Status MayDelete(const Identity& who, const vfs::Attr& dir, const vfs::Attr& victim) {
  if (dir.type != FileType::kDirectory) return NotDir();
  ELFS_RETURN_IF_ERROR(CheckAccess(who, dir, kWrite | kExec));
  // __check_sticky: in a sticky directory only the owner of the entry, the
  // owner of the directory, or CAP_FOWNER may unlink or rename it away.
  if ((dir.mode & kSticky) && who.uid != victim.uid && who.uid != dir.uid && !who.is_root()) {
    return Status::Perm(
        fmt::format("sticky directory: uid {} owns neither it ({}) nor the entry ({})",
                    who.uid, dir.uid, victim.uid));
  }
  return Status::Ok();
}

Status MayRename(const Identity& who, const vfs::Attr& from_dir, const vfs::Attr& victim,
                 const vfs::Attr& to_dir, const vfs::Attr* target) {
  ELFS_RETURN_IF_ERROR(MayDelete(who, from_dir, victim));
  if (target != nullptr) {
    ELFS_RETURN_IF_ERROR(MayDelete(who, to_dir, *target));
  } else {
    ELFS_RETURN_IF_ERROR(MayCreate(who, to_dir));
  }
  // vfs_rename: a directory that changes parent gets a new "..": it needs
  // write permission on itself.
  if (victim.type == FileType::kDirectory && from_dir.fileid != to_dir.fileid) {
    ELFS_RETURN_IF_ERROR(CheckAccess(who, victim, kWrite));
  }
  return Status::Ok();
}

NewOwner OwnerForNew(const Identity& who, const vfs::Attr& dir, FileType type,
                     uint32_t requested_mode) {
  uint32_t mode = requested_mode & vfs::kModeMask;
  if (type == FileType::kSymlink) mode = 0777;                     // vfs_symlink
  if (type == FileType::kDirectory) mode &= ~(kSetUid | kSetGid);  // vfs_mkdir
  NewOwner out{.uid = who.uid, .gid = who.gid, .mode = mode};
  if (dir.mode & kSetGid) {
    // inode_init_owner: the group comes from the directory, and directories
    // pass the setgid bit on.
    out.gid = dir.gid;
    if (type == FileType::kDirectory) {
      out.mode |= kSetGid;
    } else if ((out.mode & (kSetGid | kGroupExec)) == (kSetGid | kGroupExec) &&
               !InGroupOrRoot(who, dir.gid)) {
      // mode_strip_sgid: no executable setgid-to-a-foreign-group file.
      out.mode &= ~kSetGid;
    }
  }
  return out;
}

Result<vfs::SetAttrs> CheckSetAttr(const Identity& who, const vfs::Attr& obj,
                                   const vfs::SetAttrs& set) {
  vfs::SetAttrs out = set;
  const bool owner = who.uid == obj.uid;
  const bool root = who.is_root();

  // 1. Types (nfsd_setattr's fh_verify(S_IFREG) for a size; nfsd_sanitize_attrs).
  if (out.mode) {
    if (obj.type == FileType::kSymlink) {
      out.mode.reset();
    } else {
      *out.mode &= vfs::kModeMask;
    }
  }
  if (out.size) {
    if (obj.type == FileType::kDirectory) return Err(Errc::kIsDir, "size of a directory");
    if (obj.type != FileType::kRegular) return Err(Errc::kInvalid, "size of a non-regular file");
  }

  // 2. Write permission, with the owner override (nfsd_setattr's accmode).
  const bool client_time = out.atime_how == vfs::TimeSet::kClientTime ||
                           out.mtime_how == vfs::TimeSet::kClientTime;
  const bool server_time_only = !client_time && (out.atime_how == vfs::TimeSet::kServerTime ||
                                                 out.mtime_how == vfs::TimeSet::kServerTime);
  if ((out.size || server_time_only) && !owner) {
    Status s = CheckAccess(who, obj, kWrite);
    if (!s.ok()) return Err(std::move(s));
  }

  // 3. Owner-or-root rules (setattr_prepare).
  if (out.uid && !root && !(owner && *out.uid == obj.uid)) {
    return Err(Errc::kPerm, fmt::format("uid {} may not give uid {}'s file to {}", who.uid,
                                        obj.uid, *out.uid));
  }
  if (out.gid && !root && !(owner && (*out.gid == obj.gid || who.in_group(*out.gid)))) {
    return Err(Errc::kPerm, fmt::format("uid {} may not change group of {}:{} to {}", who.uid,
                                        obj.uid, obj.gid, *out.gid));
  }
  if (out.mode && !root && !owner) {
    return Err(Errc::kPerm, fmt::format("uid {} may not chmod uid {}'s file", who.uid, obj.uid));
  }
  if (client_time && !root && !owner) {
    return Err(Errc::kPerm,
               fmt::format("uid {} may not set explicit times on uid {}'s file", who.uid, obj.uid));
  }

  // 4. Side effects on the set-id bits.
  uint32_t kill = 0;  // bits to clear from the current mode when no mode is set
  if (out.mode && !InGroupOrRoot(who, out.gid.value_or(obj.gid))) *out.mode &= ~kSetGid;
  if ((out.uid || out.gid) && obj.type != FileType::kDirectory) {
    if (out.mode) {
      *out.mode &= ~kSetUid;
      if (*out.mode & kGroupExec) *out.mode &= ~kSetGid;
    } else {
      kill |= kSetUid | SgidToDrop(who, obj);
    }
  }
  if (out.size) {
    const uint32_t drop = PrivToDropOnWrite(who, obj);
    if (out.mode) {
      *out.mode &= ~drop;
    } else {
      kill |= drop;
    }
  }
  if (!out.mode && (obj.mode & kill)) out.mode = obj.mode & vfs::kModeMask & ~kill;
  return out;
}

std::optional<vfs::SetAttrs> KillPrivAfterWrite(const Identity& who, const vfs::Attr& file) {
  const uint32_t kill = PrivToDropOnWrite(who, file) & file.mode;
  if (kill == 0) return std::nullopt;
  vfs::SetAttrs out;
  out.mode = file.mode & vfs::kModeMask & ~kill;
  return out;
}

uint32_t Nfs4AccessSupported(FileType type, uint32_t requested) {
  const uint32_t supported =
      type == FileType::kDirectory
          ? kAccess4Read | kAccess4Lookup | kAccess4Modify | kAccess4Extend | kAccess4Delete
          : kAccess4Read | kAccess4Execute | kAccess4Modify | kAccess4Extend;
  return requested & supported;
}

uint32_t Nfs4Access(const Identity& who, const vfs::Attr& obj, uint32_t requested) {
  // nfsd_access's maps: each ACCESS4 bit is one permission check.
  const bool dir = obj.type == FileType::kDirectory;
  const uint32_t modify = dir ? kWrite | kExec : kWrite;
  struct Map {
    uint32_t bit;
    uint32_t want;
  };
  const Map maps[] = {
      {kAccess4Read, kRead},       {kAccess4Lookup, kExec},   {kAccess4Execute, kExec},
      {kAccess4Modify, modify},    {kAccess4Extend, modify},  {kAccess4Delete, kWrite | kExec},
  };
  const uint32_t query = Nfs4AccessSupported(obj.type, requested);
  uint32_t out = 0;
  for (const Map& m : maps) {
    if ((query & m.bit) && Granted(who, obj, m.want)) out |= m.bit;
  }
  return out;
}

}  // namespace elfs::authz
