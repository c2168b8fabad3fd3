// POSIX permission decisions: mode bits, owner and group, exactly as a Linux
// NFS server (knfsd on top of the Linux VFS) decides them.
//
// elfsd runs as root and its backends never check anything (see vfs/vfs.h),
// so every permission an NFS client relies on is decided here, from the
// client's identity (after squash / access-point mapping, done elsewhere) and
// the attributes the backend returns. The functions are pure: no I/O, no
// state, no clock. Thread safety: all functions are safe to call from any
// thread.
//
// Where the rules come from (Linux, read, not copied):
//   - fs/namei.c   generic_permission / acl_permission_check (owner, then
//                  group, then other: the first class that matches decides,
//                  even when a later class would allow more); the
//                  CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH bypass for root;
//                  may_delete + __check_sticky; vfs_rename.
//   - fs/attr.c    setattr_prepare (chown_ok, chgrp_ok, chmod and the setgid
//                  bit, explicit times), may_setattr (times = now),
//                  setattr_should_drop_suidgid / setattr_should_drop_sgid.
//   - fs/inode.c   inode_init_owner, mode_strip_sgid; fs/namei.c
//                  vfs_prepare_mode (mkdir drops S_ISUID/S_ISGID from the
//                  requested mode, symlinks are always 0777).
//   - fs/nfsd/vfs.c nfsd_permission (NFSD_MAY_OWNER_OVERRIDE,
//                  NFSD_MAY_READ_IF_EXEC), nfsd_setattr, nfsd_sanitize_attrs,
//                  nfsd_access (the ACCESS bit maps).
// ACLs, immutable/append-only flags and LSMs are out of scope: elfs has none.
// "root" means uid 0 after squash: it has every capability (CAP_DAC_OVERRIDE,
// CAP_FOWNER, CAP_CHOWN, CAP_FSETID), as knfsd's threads do for uid 0.
//
// Errors: Errc::kAccess when mode bits deny (EACCES), Errc::kPerm when an
// operation is reserved to the owner or root (EPERM), Errc::kNotDir /
// kIsDir / kInvalid for an object of the wrong type.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/status.h"
#include "vfs/vfs.h"

namespace elfs::authz {

// The identity an operation runs as, after root squash and access-point
// mapping (done elsewhere).
struct Identity {
  uint32_t uid = 0;
  uint32_t gid = 0;
  // Supplementary groups: up to 16 from AUTH_SYS, more from an access
  // point's secondary gids. May include gid.
  std::vector<uint32_t> groups;

  bool is_root() const { return uid == 0; }
  // The primary gid or any supplementary group (Linux in_group_p).
  bool in_group(uint32_t g) const {
    if (g == gid) return true;
    for (uint32_t x : groups)
      if (x == g) return true;
    return false;
  }
};

// What an operation wants of an object: a bitmask, the same values as the
// kernel's MAY_READ / MAY_WRITE / MAY_EXEC and the rwx bits of one mode class.
enum Access : uint32_t { kRead = 4, kWrite = 2, kExec = 1 };

// Generic permission (generic_permission): the first of owner / group /
// other that matches `who` decides, so an owner whose owner bits lack
// something is denied even if the group or other bits have it. Root bypasses
// read and write always, and exec when the object is a directory or has at
// least one exec bit (so root may not execute a 0644 file).
// Returns OK when every bit of `want` is granted (want 0 is always granted),
// Errc::kAccess otherwise. Bits of want other than rwx are ignored.
Status CheckAccess(const Identity& who, const vfs::Attr& obj, uint32_t want);

// knfsd's two relaxations of CheckAccess (nfsd_permission), for I/O the
// client has already been allowed by an OPEN (the NFS layer decides when they
// apply; CheckAccess without them is what ACCESS, LOOKUP, CREATE... use):
//   - owner_override (NFSD_MAY_OWNER_OVERRIDE): the owner is always allowed,
//     so a file created with mode 0444 can still be written through the open
//     that created it, and a chmod after OPEN does not break READ/WRITE.
//     knfsd sets it for READ/WRITE through a stateid and for an OPEN that
//     created the file.
//   - read_if_exec (NFSD_MAY_READ_IF_EXEC): a read of a regular file is
//     allowed when exec is, because clients must read a binary to execute it
//     (a 0111 program). knfsd sets it for every OPEN.
// With either flag, a denied pure read of a regular file is retried as exec.
struct Relax {
  bool owner_override = false;
  bool read_if_exec = false;
};
Status CheckAccess(const Identity& who, const vfs::Attr& obj, uint32_t want, Relax relax);

// Which bits of `want` the identity has, each decided on its own (so root
// asking rwx of a 0644 file gets rw). Never fails.
uint32_t Allowed(const Identity& who, const vfs::Attr& obj, uint32_t want);

// LOOKUP / LOOKUPP / READDIR's name resolution: exec (search) on `dir`.
// kNotDir if dir is not a directory, kAccess if denied.
Status MayLookup(const Identity& who, const vfs::Attr& dir);

// Adding a name to `dir` (CREATE, OPEN with create, LINK, the target side of
// RENAME when the name is new): write and exec on `dir`. kNotDir, kAccess.
// LINK needs nothing more: knfsd calls vfs_link, which does not apply the
// fs.protected_hardlinks sysctl (that lives in the linkat(2) syscall).
Status MayCreate(const Identity& who, const vfs::Attr& dir);

// Removing `victim`'s name from `dir` (REMOVE, the source side of RENAME, a
// RENAME that replaces an existing name): write and exec on `dir` (kAccess),
// then, if `dir` is sticky, the caller must own `dir` or `victim` or be root
// (kPerm, Linux's EPERM). kNotDir if dir is not a directory. Whether the
// victim's type suits the operation (rmdir of a file...) is the backend's.
Status MayDelete(const Identity& who, const vfs::Attr& dir, const vfs::Attr& victim);

// RENAME from_dir/name (object `victim`) to to_dir/name2, where `target` is
// the object currently named name2, or null if the name is free (vfs_rename):
// MayDelete(from_dir, victim); then MayDelete(to_dir, *target) or
// MayCreate(to_dir); then, when a directory moves to another parent, write
// permission on the directory itself, whose ".." entry changes. Parents are
// compared by fileid.
Status MayRename(const Identity& who, const vfs::Attr& from_dir, const vfs::Attr& victim,
                 const vfs::Attr& to_dir, const vfs::Attr* target);

// Owner, group and exact mode of a new object created by `who` in `dir` with
// `requested_mode` (the NFS client already applied its umask; knfsd applies
// none). inode_init_owner + vfs_prepare_mode + mode_strip_sgid:
//   - uid = who.uid.
//   - gid = dir.gid if dir is setgid, else who.gid.
//   - A directory: the requested S_ISUID and S_ISGID are dropped (mkdir keeps
//     only 01777), and S_ISGID is set if dir is setgid.
//   - A non-directory in a setgid dir keeps a requested S_ISGID only if the
//     creator is in dir's group or root, or the mode lacks group exec (then
//     S_ISGID is a mandatory-locking mark, not privilege). S_ISUID is kept.
//   - A symlink is always 0777, whatever was requested.
struct NewOwner {
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t mode = 0;
};
NewOwner OwnerForNew(const Identity& who, const vfs::Attr& dir, vfs::FileType type,
                     uint32_t requested_mode);

// SETATTR: validates `set` against `obj` and returns what to actually apply,
// with Linux's side effects added. In the order knfsd checks:
//   1. Types: size on a directory is kIsDir, on anything else but a regular
//      file kInvalid. A mode on a symlink is silently dropped (knfsd ignores
//      it); mode bits beyond 07777 are masked off.
//   2. kAccess: a size change, or times set only to server time (no explicit
//      time), needs write permission, except for the owner (knfsd asks
//      NFSD_MAY_WRITE | NFSD_MAY_OWNER_OVERRIDE; the Linux client already
//      checked write access with ACCESS before it truncates by path).
//   3. kPerm (setattr_prepare): a uid only by root, or by the owner keeping
//      the same uid (a non-owner "chown" to the current uid is still kPerm);
//      a gid by root, or by the owner to the current gid or a group they are
//      in; a mode only by the owner or root; any explicit client time only by
//      the owner or root.
//   4. Side effects, added to the returned mode (or to a new mode field when
//      the request had none and a bit actually changes):
//      - chmod: S_ISGID is cleared unless the caller is root or in the file's
//        group (the new group if this request also changes it).
//      - chown/chgrp of a non-directory, by anyone, root included (Linux has
//        done so since 2.2.13): S_ISUID is cleared, and S_ISGID too if group
//        exec is set (or, with no group exec, if the caller is neither root
//        nor in the group: setattr_should_drop_sgid). When the request also
//        sets a mode, that mode loses S_ISUID, and S_ISGID if it has group
//        exec (nfsd_sanitize_attrs).
//      - size change of a regular file by non-root: the same as a write, see
//        KillPrivAfterWrite (Linux do_truncate).
// Returns the SetAttrs to apply (empty if `set` was empty or only a symlink
// mode).
Result<vfs::SetAttrs> CheckSetAttr(const Identity& who, const vfs::Attr& obj,
                                   const vfs::SetAttrs& set);

// After a successful WRITE (or any data change through a write) to `file`
// by `who` (setattr_should_drop_suidgid / file_remove_privs): for a regular
// file and a caller other than root, S_ISUID is cleared, and S_ISGID when
// group exec is set or the caller is not in the file's group. Returns the
// SetAttrs to apply, or nullopt when nothing changes.
std::optional<vfs::SetAttrs> KillPrivAfterWrite(const Identity& who, const vfs::Attr& file);

// NFSv4 ACCESS (RFC 8881, section 18.1). Values of ACCESS4_*.
inline constexpr uint32_t kAccess4Read = 0x01;
inline constexpr uint32_t kAccess4Lookup = 0x02;
inline constexpr uint32_t kAccess4Modify = 0x04;
inline constexpr uint32_t kAccess4Extend = 0x08;
inline constexpr uint32_t kAccess4Delete = 0x10;
inline constexpr uint32_t kAccess4Execute = 0x20;

// Which of `requested` the server can decide for an object of `type`: the
// `supported` field of ACCESS4resok. As knfsd (nfsd_access): a directory
// supports READ, LOOKUP, MODIFY, EXTEND, DELETE; every other type READ,
// EXECUTE, MODIFY, EXTEND (so DELETE and LOOKUP on a file, and EXECUTE on a
// directory, are unsupported and never granted). The RFC 8276 xattr bits are
// not supported (elfs has no xattrs).
uint32_t Nfs4AccessSupported(vfs::FileType type, uint32_t requested);

// The `access` field of ACCESS4resok: the supported bits of `requested` that
// `who` has, each decided by CheckAccess on `obj` as knfsd maps them:
//   READ -> r; EXECUTE (non-directories) -> x; LOOKUP (directories) -> x;
//   MODIFY, EXTEND -> w on a non-directory, w+x on a directory;
//   DELETE (directories only) -> w+x on the directory itself, i.e. "may I
//   delete entries of this directory" (knfsd ignores the sticky bit here;
//   REMOVE decides it with MayDelete).
// Read-only exports and IAM's ClientWrite are not seen here: the NFS layer
// masks MODIFY, EXTEND and DELETE itself when writes are refused.
uint32_t Nfs4Access(const Identity& who, const vfs::Attr& obj, uint32_t requested);

}  // namespace elfs::authz
