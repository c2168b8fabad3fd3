// Helpers shared by the operation handlers: file-handle and name decoding,
// attribute access, and the caller's identity checks.
#pragma once

#include <string_view>

#include "nfs4/attrs.h"
#include "nfs4/compound.h"
#include "nfs4/errors.h"

namespace elfs::nfs4::ops {

// Decodes an nfs_fh4 from the wire into a handle of this connection's
// export. BADXDR / BADHANDLE (malformed or forged) / STALE (another export).
nfsstat4 DecodeFh(CompoundState& cs, xdr::XdrDecoder& args, vfs::Handle& out);

// component4 is unbounded in XDR (RFC 8881 section 3.2): decode any length
// the record allows, so an over-long name is NAMETOOLONG, not BADXDR.
inline constexpr size_t kMaxComponentWire = 1u << 20;

// Validates a component4 (RFC 8881 section 14.2): INVAL if empty,
// NAMETOOLONG over 255 bytes, BADNAME for "." "..", '/' or NUL.
nfsstat4 CheckComponent(std::string_view name);

// The current file as NFSv4 state knows it: one object whatever access
// point jail its handle carries, so the opens and locks of clients with and
// without an access point meet (share reservations, lock conflicts).
inline FileHandle StateFile(const CompoundState& cs) { return {cs.exp.id, cs.cfh}; }

// Attributes of the current file handle.
inline Result<vfs::Attr> CurrentAttr(CompoundState& cs) { return cs.fs().GetAttr(cs.cfh); }

// The current file handle must be a directory: NOTDIR, or SYMLINK for a
// symlink where RFC 8881 asks for it (LOOKUP, CREATE ...).
nfsstat4 RequireDir(const vfs::Attr& a);

// An AttrSource for `attr` of object `h` in this connection's export.
AttrSource MakeAttrSource(CompoundState& cs, const vfs::Attr& attr, const WireHandle& wire);

// Encodes fattr4 of object h with attributes attr.
void EncodeAttrs(CompoundState& cs, xdr::XdrEncoder& res, const Bitmap& requested,
                 const vfs::Handle& h, const vfs::Attr& attr);

// change_info4 (RFC 8881 section 3.3.12): atomic when both values came from
// the same locked operation; ours are before/after reads, so not atomic.
inline void EncodeChangeInfo(xdr::XdrEncoder& res, uint64_t before, uint64_t after) {
  res.Bool(false);
  res.U64(before);
  res.U64(after);
}

// stateid4 (RFC 8881 section 3.3.12); false on short input.
bool DecodeStateid(xdr::XdrDecoder& args, state::Stateid& out);
void EncodeStateid(xdr::XdrEncoder& res, const state::Stateid& sid);

inline nfsstat4 ToStat(const Status& s) { return ToNfsStat(s.code()); }

}  // namespace elfs::nfs4::ops
