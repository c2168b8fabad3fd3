#include "compound_builder.h"

#include <cstring>

namespace elfs::nfs4::test {

Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// ---- WireOut ----

WireOut& WireOut::U32(uint32_t v) {
  for (int i = 3; i >= 0; --i) buf_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return *this;
}

WireOut& WireOut::U64(uint64_t v) {
  U32(static_cast<uint32_t>(v >> 32));
  return U32(static_cast<uint32_t>(v));
}

WireOut& WireOut::Fixed(std::span<const uint8_t> b) {
  buf_.insert(buf_.end(), b.begin(), b.end());
  while (buf_.size() % 4 != 0) buf_.push_back(0);
  return *this;
}

WireOut& WireOut::Opaque(std::span<const uint8_t> b) {
  U32(static_cast<uint32_t>(b.size()));
  return Fixed(b);
}

WireOut& WireOut::Str(std::string_view s) {
  return Opaque({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

WireOut& WireOut::Raw(std::span<const uint8_t> b) {
  buf_.insert(buf_.end(), b.begin(), b.end());
  return *this;
}

WireOut& WireOut::Bitmap(const std::vector<uint32_t>& words) {
  U32(static_cast<uint32_t>(words.size()));
  for (uint32_t w : words) U32(w);
  return *this;
}

// ---- WireIn ----

bool WireIn::Need(size_t n) {
  if (!ok_ || data_.size() - pos_ < n) {
    ok_ = false;
    return false;
  }
  return true;
}

uint32_t WireIn::U32() {
  if (!Need(4)) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | data_[pos_ + i];
  pos_ += 4;
  return v;
}

uint64_t WireIn::U64() {
  uint64_t hi = U32();
  uint64_t lo = U32();
  return (hi << 32) | lo;
}

bool WireIn::Bool() {
  uint32_t v = U32();
  if (v > 1) ok_ = false;
  return v == 1;
}

Bytes WireIn::Fixed(size_t n) {
  size_t padded = (n + 3) & ~size_t{3};
  if (!Need(padded)) return {};
  Bytes out(data_.begin() + pos_, data_.begin() + pos_ + n);
  pos_ += padded;
  return out;
}

Bytes WireIn::Opaque(size_t max) {
  uint32_t n = U32();
  if (n > max) {
    ok_ = false;
    return {};
  }
  return Fixed(n);
}

std::string WireIn::Str(size_t max) {
  Bytes b = Opaque(max);
  return std::string(b.begin(), b.end());
}

std::vector<uint32_t> WireIn::Bitmap() {
  uint32_t n = U32();
  if (n > 1024) {
    ok_ = false;
    return {};
  }
  std::vector<uint32_t> w;
  for (uint32_t i = 0; i < n && ok_; ++i) w.push_back(U32());
  return w;
}

void WireIn::Skip(size_t n) {
  if (Need(n)) pos_ += n;
}

// ---- values ----

void Stateid4::Encode(WireOut& w) const {
  w.U32(seqid);
  w.Fixed(other);
}

Stateid4 Stateid4::Decode(WireIn& r) {
  Stateid4 s;
  s.seqid = r.U32();
  Bytes o = r.Fixed(12);
  if (o.size() == 12) std::memcpy(s.other.data(), o.data(), 12);
  return s;
}

std::vector<uint32_t> Bits(std::initializer_list<uint32_t> attrs) {
  std::vector<uint32_t> w;
  for (uint32_t a : attrs) {
    if (w.size() <= a / 32) w.resize(a / 32 + 1, 0);
    w[a / 32] |= 1u << (a % 32);
  }
  return w;
}

bool HasBit(const std::vector<uint32_t>& bitmap, uint32_t bit) {
  return bit / 32 < bitmap.size() && (bitmap[bit / 32] >> (bit % 32)) & 1;
}

namespace {
Bytes Enc(const WireOut& w) { return w.bytes(); }
}  // namespace

Fattr& Fattr::Raw(uint32_t attr, Bytes value) {
  values_[attr] = std::move(value);
  return *this;
}
Fattr& Fattr::U32(uint32_t attr, uint32_t v) { return Raw(attr, Enc(WireOut().U32(v))); }
Fattr& Fattr::U64(uint32_t attr, uint64_t v) { return Raw(attr, Enc(WireOut().U64(v))); }
Fattr& Fattr::Mode(uint32_t m) { return U32(fa::MODE, m); }
Fattr& Fattr::Size(uint64_t s) { return U64(fa::SIZE, s); }
Fattr& Fattr::Owner(std::string_view o) { return Raw(fa::OWNER, Enc(WireOut().Str(o))); }
Fattr& Fattr::OwnerGroup(std::string_view g) {
  return Raw(fa::OWNER_GROUP, Enc(WireOut().Str(g)));
}
// settime4: union switch (time_how4) { SET_TO_CLIENT_TIME4: nfstime4; default: void }.
Fattr& Fattr::AtimeServer() {
  return Raw(fa::TIME_ACCESS_SET, Enc(WireOut().U32(SET_TO_SERVER_TIME4)));
}
Fattr& Fattr::AtimeClient(int64_t sec, uint32_t nsec) {
  return Raw(fa::TIME_ACCESS_SET, Enc(WireOut().U32(SET_TO_CLIENT_TIME4).I64(sec).U32(nsec)));
}
Fattr& Fattr::MtimeServer() {
  return Raw(fa::TIME_MODIFY_SET, Enc(WireOut().U32(SET_TO_SERVER_TIME4)));
}
Fattr& Fattr::MtimeClient(int64_t sec, uint32_t nsec) {
  return Raw(fa::TIME_MODIFY_SET, Enc(WireOut().U32(SET_TO_CLIENT_TIME4).I64(sec).U32(nsec)));
}

void Fattr::Encode(WireOut& w) const {
  std::vector<uint32_t> mask;
  WireOut vals;
  for (const auto& [attr, v] : values_) {  // std::map: ascending order
    if (mask.size() <= attr / 32) mask.resize(attr / 32 + 1, 0);
    mask[attr / 32] |= 1u << (attr % 32);
    vals.Raw(v);
  }
  w.Bitmap(mask);
  w.Opaque(vals.bytes());
}

// ---- Compound ----

Compound& Compound::Op(uint32_t opnum, Bytes args) {
  ops_.emplace_back(opnum, std::move(args));
  return *this;
}

Compound& Compound::Append(const Compound& other) {
  for (const auto& o : other.ops_) ops_.push_back(o);
  return *this;
}

Bytes Compound::Encode() const {
  WireOut w;
  w.Str(tag_);
  w.U32(minor_);
  w.U32(nops_override_ ? *nops_override_ : static_cast<uint32_t>(ops_.size()));
  for (const auto& [opnum, args] : ops_) {
    w.U32(opnum);
    w.Raw(args);
  }
  return w.bytes();
}

Compound& Compound::Access(uint32_t bits) { return Add(op::ACCESS, WireOut().U32(bits)); }

Compound& Compound::Close(uint32_t seqid, const Stateid4& sid) {
  WireOut w;
  w.U32(seqid);
  sid.Encode(w);
  return Add(op::CLOSE, w);
}

Compound& Compound::Commit(uint64_t offset, uint32_t count) {
  return Add(op::COMMIT, WireOut().U64(offset).U32(count));
}

// CREATE4args: createtype4 objtype; component4 objname; fattr4 createattrs.
Compound& Compound::CreateType(uint32_t type, std::string_view name, const Fattr& attrs) {
  WireOut w;
  w.U32(type);
  w.Str(name);
  attrs.Encode(w);
  return Add(op::CREATE, w);
}

Compound& Compound::CreateDir(std::string_view name, const Fattr& attrs) {
  return CreateType(NF4DIR, name, attrs);
}

Compound& Compound::CreateSymlink(std::string_view name, std::string_view target,
                                  const Fattr& attrs) {
  WireOut w;
  w.U32(NF4LNK).Str(target);
  w.Str(name);
  attrs.Encode(w);
  return Add(op::CREATE, w);
}

Compound& Compound::CreateDevice(uint32_t type, std::string_view name, uint32_t major,
                                 uint32_t minor) {
  WireOut w;
  w.U32(type).U32(major).U32(minor);
  w.Str(name);
  Fattr().Encode(w);
  return Add(op::CREATE, w);
}

Compound& Compound::GetAttr(const std::vector<uint32_t>& bitmap) {
  return Add(op::GETATTR, WireOut().Bitmap(bitmap));
}

Compound& Compound::GetFh() { return Op(op::GETFH); }
Compound& Compound::Link(std::string_view name) { return Add(op::LINK, WireOut().Str(name)); }
Compound& Compound::Lookup(std::string_view name) {
  return Add(op::LOOKUP, WireOut().Str(name));
}
Compound& Compound::LookupP() { return Op(op::LOOKUPP); }

Compound& Compound::NVerify(const Fattr& attrs) {
  WireOut w;
  attrs.Encode(w);
  return Add(op::NVERIFY, w);
}

Compound& Compound::Verify(const Fattr& attrs) {
  WireOut w;
  attrs.Encode(w);
  return Add(op::VERIFY, w);
}

Compound& Compound::Open(const OpenArgs& a) {
  WireOut w;
  w.U32(a.seqid).U32(a.access).U32(a.deny);
  w.U64(a.clientid).Str(a.owner);  // open_owner4
  // openflag4
  if (a.create) {
    w.U32(1);  // OPEN4_CREATE
    w.U32(a.createmode);
    switch (a.createmode) {
      case UNCHECKED4:
      case GUARDED4: a.attrs.Encode(w); break;
      case EXCLUSIVE4: w.Fixed(a.verifier); break;
      case EXCLUSIVE4_1:
        w.Fixed(a.verifier);
        a.attrs.Encode(w);
        break;
      default: break;
    }
  } else {
    w.U32(0);  // OPEN4_NOCREATE
  }
  // open_claim4
  w.U32(a.claim);
  switch (a.claim) {
    case CLAIM_NULL:
    case CLAIM_DELEGATE_PREV: w.Str(a.name); break;
    case CLAIM_PREVIOUS: w.U32(OPEN_DELEGATE_NONE); break;
    case CLAIM_DELEGATE_CUR:
      Stateid4().Encode(w);
      w.Str(a.name);
      break;
    case CLAIM_DELEG_CUR_FH: Stateid4().Encode(w); break;
    default: break;
  }
  return Add(op::OPEN, w);
}

Compound& Compound::OpenConfirm(const Stateid4& sid, uint32_t seqid) {
  WireOut w;
  sid.Encode(w);
  w.U32(seqid);
  return Add(op::OPEN_CONFIRM, w);
}

Compound& Compound::OpenDowngrade(const Stateid4& sid, uint32_t seqid, uint32_t access,
                                  uint32_t deny) {
  WireOut w;
  sid.Encode(w);
  w.U32(seqid).U32(access).U32(deny);
  return Add(op::OPEN_DOWNGRADE, w);
}

Compound& Compound::PutFh(std::span<const uint8_t> fh) {
  return Add(op::PUTFH, WireOut().Opaque(fh));
}
Compound& Compound::PutPubFh() { return Op(op::PUTPUBFH); }
Compound& Compound::PutRootFh() { return Op(op::PUTROOTFH); }

Compound& Compound::Read(const Stateid4& sid, uint64_t offset, uint32_t count) {
  WireOut w;
  sid.Encode(w);
  w.U64(offset).U32(count);
  return Add(op::READ, w);
}

Compound& Compound::ReadDir(uint64_t cookie, const Verifier8& verf, uint32_t dircount,
                            uint32_t maxcount, const std::vector<uint32_t>& bitmap) {
  WireOut w;
  w.U64(cookie).Fixed(verf).U32(dircount).U32(maxcount).Bitmap(bitmap);
  return Add(op::READDIR, w);
}

Compound& Compound::ReadLink() { return Op(op::READLINK); }
Compound& Compound::Remove(std::string_view name) {
  return Add(op::REMOVE, WireOut().Str(name));
}
Compound& Compound::Rename(std::string_view oldname, std::string_view newname) {
  return Add(op::RENAME, WireOut().Str(oldname).Str(newname));
}
Compound& Compound::Renew(uint64_t clientid) { return Add(op::RENEW, WireOut().U64(clientid)); }
Compound& Compound::RestoreFh() { return Op(op::RESTOREFH); }
Compound& Compound::SaveFh() { return Op(op::SAVEFH); }
Compound& Compound::SecInfo(std::string_view name) {
  return Add(op::SECINFO, WireOut().Str(name));
}

Compound& Compound::SetAttr(const Stateid4& sid, const Fattr& attrs) {
  WireOut w;
  sid.Encode(w);
  attrs.Encode(w);
  return Add(op::SETATTR, w);
}

// SETCLIENTID4args: nfs_client_id4 client; cb_client4 callback; uint32_t callback_ident.
Compound& Compound::SetClientId(const Verifier8& verifier, std::string_view id,
                                uint32_t cb_program, std::string_view netid,
                                std::string_view addr, uint32_t callback_ident) {
  WireOut w;
  w.Fixed(verifier).Str(id);
  w.U32(cb_program).Str(netid).Str(addr);
  w.U32(callback_ident);
  return Add(op::SETCLIENTID, w);
}

Compound& Compound::SetClientIdConfirm(uint64_t clientid, const Verifier8& confirm) {
  return Add(op::SETCLIENTID_CONFIRM, WireOut().U64(clientid).Fixed(confirm));
}

Compound& Compound::Write(const Stateid4& sid, uint64_t offset, uint32_t stable,
                          std::span<const uint8_t> data) {
  WireOut w;
  sid.Encode(w);
  w.U64(offset).U32(stable).Opaque(data);
  return Add(op::WRITE, w);
}

Compound& Compound::ReleaseLockOwner(uint64_t clientid, std::string_view owner) {
  return Add(op::RELEASE_LOCKOWNER, WireOut().U64(clientid).Str(owner));
}

Compound& Compound::LockNew(uint32_t locktype, uint64_t offset, uint64_t length,
                            uint32_t open_seqid, const Stateid4& open_stateid,
                            uint32_t lock_seqid, uint64_t clientid, std::string_view owner,
                            bool reclaim) {
  WireOut w;
  w.U32(locktype).Bool(reclaim).U64(offset).U64(length);
  w.Bool(true);
  w.U32(open_seqid);
  open_stateid.Encode(w);
  w.U32(lock_seqid).U64(clientid).Str(owner);
  return Add(op::LOCK, w);
}

Compound& Compound::LockExisting(uint32_t locktype, uint64_t offset, uint64_t length,
                                 const Stateid4& lock_stateid, uint32_t lock_seqid) {
  WireOut w;
  w.U32(locktype).Bool(false).U64(offset).U64(length);
  w.Bool(false);
  lock_stateid.Encode(w);
  w.U32(lock_seqid);
  return Add(op::LOCK, w);
}

Compound& Compound::LockT(uint32_t locktype, uint64_t offset, uint64_t length, uint64_t clientid,
                          std::string_view owner) {
  return Add(op::LOCKT, WireOut().U32(locktype).U64(offset).U64(length).U64(clientid).Str(owner));
}

Compound& Compound::LockU(uint32_t locktype, uint32_t seqid, const Stateid4& lock_stateid,
                          uint64_t offset, uint64_t length) {
  WireOut w;
  w.U32(locktype).U32(seqid);
  lock_stateid.Encode(w);
  w.U64(offset).U64(length);
  return Add(op::LOCKU, w);
}

Compound& Compound::BindConnToSession(const SessionId16& sid, uint32_t dir, bool rdma) {
  return Add(op::BIND_CONN_TO_SESSION, WireOut().Fixed(sid).U32(dir).Bool(rdma));
}

// EXCHANGE_ID4args: client_owner4; uint32_t flags; state_protect4_a;
// nfs_impl_id4 eia_client_impl_id<1>.
Compound& Compound::ExchangeId(const Verifier8& verifier, std::string_view owner, uint32_t flags,
                               uint32_t how, bool with_impl_id) {
  WireOut w;
  w.Fixed(verifier).Str(owner);
  w.U32(flags);
  w.U32(how);
  if (how == SP4_MACH_CRED) {
    w.Bitmap({}).Bitmap({});  // spo_must_enforce, spo_must_allow
  }
  if (with_impl_id) {
    w.U32(1);
    w.Str("example.org").Str("elfs unit test client");
    w.I64(0).U32(0);  // nii_date
  } else {
    w.U32(0);
  }
  return Add(op::EXCHANGE_ID, w);
}

namespace {
void EncodeChannel(WireOut& w, const ChannelAttrs4& c) {
  w.U32(c.headerpadsize).U32(c.maxrequestsize).U32(c.maxresponsesize);
  w.U32(c.maxresponsesize_cached).U32(c.maxoperations).U32(c.maxrequests);
  w.U32(static_cast<uint32_t>(c.rdma_ird.size()));
  for (uint32_t v : c.rdma_ird) w.U32(v);
}
}  // namespace

Compound& Compound::CreateSession(uint64_t clientid, uint32_t sequence, uint32_t flags,
                                  const ChannelAttrs4& fore, const ChannelAttrs4& back,
                                  uint32_t cb_program) {
  WireOut w;
  w.U64(clientid).U32(sequence).U32(flags);
  EncodeChannel(w, fore);
  EncodeChannel(w, back);
  w.U32(cb_program);
  // csa_sec_parms<>: one AUTH_SYS entry (authsys_parms, RFC 5531).
  w.U32(1);
  w.U32(kAuthSys);
  w.U32(0).Str("client.example").U32(0).U32(0).U32(0);
  return Add(op::CREATE_SESSION, w);
}

Compound& Compound::DestroySession(const SessionId16& sid) {
  return Add(op::DESTROY_SESSION, WireOut().Fixed(sid));
}
Compound& Compound::DestroyClientId(uint64_t clientid) {
  return Add(op::DESTROY_CLIENTID, WireOut().U64(clientid));
}
Compound& Compound::FreeStateid(const Stateid4& sid) {
  WireOut w;
  sid.Encode(w);
  return Add(op::FREE_STATEID, w);
}
Compound& Compound::SecInfoNoName(uint32_t style) {
  return Add(op::SECINFO_NO_NAME, WireOut().U32(style));
}
Compound& Compound::Sequence(const SessionId16& sid, uint32_t seqid, uint32_t slot,
                             uint32_t highest_slot, bool cachethis) {
  return Add(op::SEQUENCE,
             WireOut().Fixed(sid).U32(seqid).U32(slot).U32(highest_slot).Bool(cachethis));
}
Compound& Compound::TestStateid(const std::vector<Stateid4>& ids) {
  WireOut w;
  w.U32(static_cast<uint32_t>(ids.size()));
  for (const auto& s : ids) s.Encode(w);
  return Add(op::TEST_STATEID, w);
}
Compound& Compound::ReclaimComplete(bool one_fs) {
  return Add(op::RECLAIM_COMPLETE, WireOut().Bool(one_fs));
}

// ---- attribute values (RFC 8881 section 5, the types of each attribute) ----

namespace {

void SkipTime(WireIn& r) {
  r.I64();
  r.U32();
}

// Consumes one attribute value; false for attributes this parser does not
// know (none the server claims to support).
bool SkipAttrValue(uint32_t attr, WireIn& r) {
  switch (attr) {
    case fa::SUPPORTED_ATTRS:
    case fa::SUPPATTR_EXCLCREAT: r.Bitmap(); return true;
    case fa::TYPE:
    case fa::FH_EXPIRE_TYPE:
    case fa::LEASE_TIME:
    case fa::RDATTR_ERROR:
    case fa::ACLSUPPORT:
    case fa::MAXLINK:
    case fa::MAXNAME:
    case fa::MODE:
    case fa::NUMLINKS: r.U32(); return true;
    case fa::LINK_SUPPORT:
    case fa::SYMLINK_SUPPORT:
    case fa::NAMED_ATTR:
    case fa::XATTR_SUPPORT:
    case fa::UNIQUE_HANDLES:
    case fa::ARCHIVE:
    case fa::CANSETTIME:
    case fa::CASE_INSENSITIVE:
    case fa::CASE_PRESERVING:
    case fa::CHOWN_RESTRICTED:
    case fa::HIDDEN:
    case fa::HOMOGENEOUS:
    case fa::NO_TRUNC:
    case fa::SYSTEM: r.Bool(); return true;
    case fa::CHANGE:
    case fa::SIZE:
    case fa::FILEID:
    case fa::FILES_AVAIL:
    case fa::FILES_FREE:
    case fa::FILES_TOTAL:
    case fa::MAXFILESIZE:
    case fa::MAXREAD:
    case fa::MAXWRITE:
    case fa::QUOTA_AVAIL_HARD:
    case fa::QUOTA_AVAIL_SOFT:
    case fa::QUOTA_USED:
    case fa::SPACE_AVAIL:
    case fa::SPACE_FREE:
    case fa::SPACE_TOTAL:
    case fa::SPACE_USED:
    case fa::MOUNTED_ON_FILEID: r.U64(); return true;
    case fa::FSID:
      r.U64();
      r.U64();
      return true;
    case fa::RAWDEV:
      r.U32();
      r.U32();
      return true;
    case fa::FILEHANDLE: r.Opaque(128); return true;
    case fa::MIMETYPE:
    case fa::OWNER:
    case fa::OWNER_GROUP: r.Opaque(); return true;
    case fa::TIME_ACCESS:
    case fa::TIME_BACKUP:
    case fa::TIME_CREATE:
    case fa::TIME_DELTA:
    case fa::TIME_METADATA:
    case fa::TIME_MODIFY: SkipTime(r); return true;
    default: return false;
  }
}

}  // namespace

Fattr4 DecodeFattr(WireIn& r) {
  Fattr4 f;
  f.mask = r.Bitmap();
  f.vals = r.Opaque();
  if (!r.ok()) return f;
  WireIn v(f.vals);
  for (uint32_t bit = 0; bit < 32 * f.mask.size(); ++bit) {
    if (!HasBit(f.mask, bit)) continue;
    size_t start = v.pos();
    if (!SkipAttrValue(bit, v) || !v.ok()) return f;
    f.by_attr[bit] = Bytes(f.vals.begin() + start, f.vals.begin() + v.pos());
  }
  f.parsed = v.remaining() == 0;
  return f;
}

uint32_t Fattr4::U32(uint32_t a) const {
  WireIn r(Raw(a));
  return r.U32();
}
uint64_t Fattr4::U64(uint32_t a) const {
  WireIn r(Raw(a));
  return r.U64();
}
std::string Fattr4::Str(uint32_t a) const {
  WireIn r(Raw(a));
  return r.Str();
}
Bytes Fattr4::Opaque(uint32_t a) const {
  WireIn r(Raw(a));
  return r.Opaque();
}
std::vector<uint32_t> Fattr4::Bitmap(uint32_t a) const {
  WireIn r(Raw(a));
  return r.Bitmap();
}
std::pair<int64_t, uint32_t> Fattr4::Time(uint32_t a) const {
  WireIn r(Raw(a));
  int64_t sec = r.I64();
  return {sec, r.U32()};
}
const Bytes& Fattr4::Raw(uint32_t a) const {
  static const Bytes kEmpty;
  auto it = by_attr.find(a);
  return it == by_attr.end() ? kEmpty : it->second;
}

// ---- result bodies (RFC 8881 section 18, RFC 7530 section 16) ----

namespace {

void SkipChangeInfo(WireIn& r) {
  r.Bool();
  r.U64();
  r.U64();
}

void SkipSecInfo(WireIn& r) {
  uint32_t n = r.U32();
  if (n > 64) r.Fail();
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    if (r.U32() == kRpcsecGss) {
      r.Opaque();  // oid
      r.U32();     // qop
      r.U32();     // service
    }
  }
}

void SkipChannel(WireIn& r) {
  for (int i = 0; i < 6; ++i) r.U32();
  uint32_t n = r.U32();
  if (n > 1) r.Fail();
  if (n == 1) r.U32();
}

ChannelAttrs4 DecodeChannel(WireIn& r) {
  ChannelAttrs4 c;
  c.headerpadsize = r.U32();
  c.maxrequestsize = r.U32();
  c.maxresponsesize = r.U32();
  c.maxresponsesize_cached = r.U32();
  c.maxoperations = r.U32();
  c.maxrequests = r.U32();
  uint32_t n = r.U32();
  if (n > 1) r.Fail();
  for (uint32_t i = 0; i < n && r.ok(); ++i) c.rdma_ird.push_back(r.U32());
  return c;
}

}  // namespace

bool SkipResultBody(uint32_t opnum, uint32_t status, WireIn& r) {
  if (status != st::OK) {
    // Results that carry something on failure.
    if (opnum == op::SETATTR) r.Bitmap();  // SETATTR4res: attrsset always
    if (opnum == op::SETCLIENTID && status == st::CLID_INUSE) {
      r.Str();  // clientaddr4 r_netid
      r.Str();  // r_addr
    }
    if ((opnum == op::LOCK || opnum == op::LOCKT) && status == st::DENIED) {
      r.U64();
      r.U64();
      r.U32();
      r.U64();
      r.Opaque();
    }
    return r.ok();
  }
  switch (opnum) {
    case op::ACCESS:
      r.U32();
      r.U32();
      break;
    case op::CLOSE:
    case op::OPEN_CONFIRM:
    case op::OPEN_DOWNGRADE: Stateid4::Decode(r); break;
    case op::COMMIT: r.Fixed(8); break;
    case op::CREATE:
      SkipChangeInfo(r);
      r.Bitmap();
      break;
    case op::GETATTR: DecodeFattr(r); break;
    case op::GETFH: r.Opaque(128); break;
    case op::LINK:
    case op::REMOVE: SkipChangeInfo(r); break;
    case op::OPEN: {
      Stateid4::Decode(r);
      SkipChangeInfo(r);
      r.U32();     // rflags
      r.Bitmap();  // attrset
      uint32_t deleg = r.U32();
      if (deleg == OPEN_DELEGATE_NONE_EXT) {
        uint32_t why = r.U32();
        if (why == 1 || why == 2) r.Bool();  // WND4_CONTENTION / WND4_RESOURCE
      } else if (deleg != OPEN_DELEGATE_NONE) {
        r.Fail();  // delegations are never granted by elfs (SPEC section 2)
      }
      break;
    }
    case op::READ:
      r.Bool();
      r.Opaque();
      break;
    case op::READDIR: {
      r.Fixed(8);
      while (r.ok() && r.Bool()) {
        r.U64();
        r.Str();
        DecodeFattr(r);
      }
      r.Bool();  // eof
      break;
    }
    case op::READLINK: r.Str(); break;
    case op::RENAME:
      SkipChangeInfo(r);
      SkipChangeInfo(r);
      break;
    case op::SECINFO:
    case op::SECINFO_NO_NAME: SkipSecInfo(r); break;
    case op::SETATTR: r.Bitmap(); break;
    case op::SETCLIENTID:
      r.U64();
      r.Fixed(8);
      break;
    case op::WRITE:
      r.U32();
      r.U32();
      r.Fixed(8);
      break;
    case op::BIND_CONN_TO_SESSION:
      r.Fixed(16);
      r.U32();
      r.Bool();
      break;
    case op::EXCHANGE_ID: {
      r.U64();
      r.U32();
      r.U32();
      uint32_t how = r.U32();
      if (how == SP4_MACH_CRED) {
        r.Bitmap();
        r.Bitmap();
      } else if (how != SP4_NONE) {
        r.Fail();
      }
      r.U64();    // so_minor_id
      r.Opaque(); // so_major_id
      r.Opaque(); // server scope
      uint32_t n = r.U32();
      if (n > 1) r.Fail();
      if (n == 1) {
        r.Str();
        r.Str();
        SkipTime(r);
      }
      break;
    }
    case op::CREATE_SESSION:
      r.Fixed(16);
      r.U32();
      r.U32();
      SkipChannel(r);
      SkipChannel(r);
      break;
    case op::SEQUENCE:
      r.Fixed(16);
      for (int i = 0; i < 5; ++i) r.U32();
      break;
    case op::TEST_STATEID: {
      uint32_t n = r.U32();
      if (n > 100000) r.Fail();
      for (uint32_t i = 0; i < n && r.ok(); ++i) r.U32();
      break;
    }
    case op::LOCK:
    case op::LOCKU: Stateid4::Decode(r); break;
    case op::ILLEGAL:
    default:
      // Everything else has no result body on success (PUTFH, LOOKUP,
      // SAVEFH, RESTOREFH, VERIFY, NVERIFY, RENEW, SETCLIENTID_CONFIRM,
      // DESTROY_SESSION, DESTROY_CLIENTID, RECLAIM_COMPLETE, FREE_STATEID ...).
      break;
  }
  return r.ok();
}

Reply Reply::Parse(Bytes bytes) {
  Reply rep;
  rep.bytes = std::move(bytes);
  WireIn r(rep.bytes);
  rep.status = r.U32();
  rep.tag = r.Str();
  uint32_t n = r.U32();
  if (!r.ok()) {
    rep.error = "short COMPOUND4res header";
    return rep;
  }
  for (uint32_t i = 0; i < n; ++i) {
    OpResult o;
    o.opnum = r.U32();
    o.status = r.U32();
    o.body = r.pos();
    if (!r.ok()) {
      rep.error = "short nfs_resop4 " + std::to_string(i);
      return rep;
    }
    if (!SkipResultBody(o.opnum, o.status, r)) {
      rep.error = "undecodable result body of op " + std::to_string(i) + " (opnum " +
                  std::to_string(o.opnum) + ")";
      return rep;
    }
    o.body_end = r.pos();
    rep.ops.push_back(o);
  }
  if (r.remaining() != 0) {
    rep.error = "trailing bytes after COMPOUND4res";
    return rep;
  }
  rep.parsed = true;
  return rep;
}

WireIn Reply::Body(size_t i) const {
  if (i >= ops.size()) {
    WireIn bad;
    bad.Fail();
    return bad;
  }
  return WireIn(std::span<const uint8_t>(bytes).subspan(ops[i].body,
                                                       ops[i].body_end - ops[i].body));
}

Bytes Reply::BodyBytes(size_t i) const {
  if (i >= ops.size()) return {};
  return Bytes(bytes.begin() + ops[i].body, bytes.begin() + ops[i].body_end);
}

size_t Reply::Find(uint32_t opnum, size_t from) const {
  for (size_t i = from; i < ops.size(); ++i)
    if (ops[i].opnum == opnum) return i;
  return npos;
}

Bytes Reply::Fh(size_t i) const {
  WireIn r = Body(i);
  return r.Opaque(128);
}

Fattr4 Reply::Attrs(size_t i) const {
  WireIn r = Body(i);
  return DecodeFattr(r);
}

namespace {
ChangeInfo4 DecodeChangeInfo(WireIn& r) {
  ChangeInfo4 c;
  c.atomic = r.Bool();
  c.before = r.U64();
  c.after = r.U64();
  return c;
}
}  // namespace

OpenRes Reply::Open(size_t i) const {
  WireIn r = Body(i);
  OpenRes o;
  o.stateid = Stateid4::Decode(r);
  o.cinfo = DecodeChangeInfo(r);
  o.rflags = r.U32();
  o.attrset = r.Bitmap();
  o.delegation_type = r.U32();
  return o;
}

Stateid4 Reply::StateidRes(size_t i) const {
  WireIn r = Body(i);
  return Stateid4::Decode(r);
}

ReadRes Reply::Read(size_t i) const {
  WireIn r = Body(i);
  ReadRes o;
  o.eof = r.Bool();
  o.data = r.Opaque();
  return o;
}

WriteRes Reply::Write(size_t i) const {
  WireIn r = Body(i);
  WriteRes o;
  o.count = r.U32();
  o.committed = r.U32();
  Bytes v = r.Fixed(8);
  if (v.size() == 8) std::memcpy(o.verifier.data(), v.data(), 8);
  return o;
}

Verifier8 Reply::Commit(size_t i) const {
  WireIn r = Body(i);
  Verifier8 out{};
  Bytes v = r.Fixed(8);
  if (v.size() == 8) std::memcpy(out.data(), v.data(), 8);
  return out;
}

ReadDirRes Reply::ReadDir(size_t i) const {
  WireIn r = Body(i);
  ReadDirRes o;
  Bytes v = r.Fixed(8);
  if (v.size() == 8) std::memcpy(o.cookieverf.data(), v.data(), 8);
  while (r.ok() && r.Bool()) {
    DirEntry4 e;
    e.cookie = r.U64();
    e.name = r.Str();
    e.attrs = DecodeFattr(r);
    o.entries.push_back(std::move(e));
  }
  o.eof = r.Bool();
  return o;
}

std::string Reply::ReadLink(size_t i) const {
  WireIn r = Body(i);
  return r.Str();
}

CreateRes Reply::Create(size_t i) const {
  WireIn r = Body(i);
  CreateRes o;
  o.cinfo = DecodeChangeInfo(r);
  o.attrset = r.Bitmap();
  return o;
}

ChangeInfo4 Reply::ChangeInfo(size_t i) const {
  WireIn r = Body(i);
  return DecodeChangeInfo(r);
}

std::pair<ChangeInfo4, ChangeInfo4> Reply::Rename(size_t i) const {
  WireIn r = Body(i);
  ChangeInfo4 a = DecodeChangeInfo(r);
  ChangeInfo4 b = DecodeChangeInfo(r);
  return {a, b};
}

AccessRes Reply::Access(size_t i) const {
  WireIn r = Body(i);
  AccessRes o;
  o.supported = r.U32();
  o.access = r.U32();
  return o;
}

LockDenied Reply::Denied(size_t i) const {
  WireIn r = Body(i);
  LockDenied d;
  d.offset = r.U64();
  d.length = r.U64();
  d.locktype = r.U32();
  d.clientid = r.U64();
  d.owner = r.Opaque();
  return d;
}

std::vector<uint32_t> Reply::SetAttr(size_t i) const {
  WireIn r = Body(i);
  return r.Bitmap();
}

std::vector<uint32_t> Reply::SecInfo(size_t i) const {
  WireIn r = Body(i);
  std::vector<uint32_t> flavors;
  uint32_t n = r.U32();
  for (uint32_t k = 0; k < n && r.ok(); ++k) {
    uint32_t f = r.U32();
    if (f == kRpcsecGss) {
      r.Opaque();
      r.U32();
      r.U32();
    }
    flavors.push_back(f);
  }
  return flavors;
}

std::vector<uint32_t> Reply::TestStateid(size_t i) const {
  WireIn r = Body(i);
  std::vector<uint32_t> out;
  uint32_t n = r.U32();
  for (uint32_t k = 0; k < n && r.ok(); ++k) out.push_back(r.U32());
  return out;
}

SequenceRes Reply::Sequence(size_t i) const {
  WireIn r = Body(i);
  SequenceRes o;
  Bytes sid = r.Fixed(16);
  if (sid.size() == 16) std::memcpy(o.sessionid.data(), sid.data(), 16);
  o.sequenceid = r.U32();
  o.slotid = r.U32();
  o.highest_slotid = r.U32();
  o.target_highest_slotid = r.U32();
  o.status_flags = r.U32();
  return o;
}

ExchangeIdRes Reply::ExchangeId(size_t i) const {
  WireIn r = Body(i);
  ExchangeIdRes o;
  o.clientid = r.U64();
  o.sequenceid = r.U32();
  o.flags = r.U32();
  o.spr_how = r.U32();
  if (o.spr_how == SP4_MACH_CRED) {
    r.Bitmap();
    r.Bitmap();
  }
  o.so_minor_id = r.U64();
  o.so_major_id = r.Opaque();
  o.server_scope = r.Opaque();
  return o;
}

CreateSessionRes Reply::CreateSession(size_t i) const {
  WireIn r = Body(i);
  CreateSessionRes o;
  Bytes sid = r.Fixed(16);
  if (sid.size() == 16) std::memcpy(o.sessionid.data(), sid.data(), 16);
  o.sequence = r.U32();
  o.flags = r.U32();
  o.fore = DecodeChannel(r);
  o.back = DecodeChannel(r);
  return o;
}

SetClientIdRes Reply::SetClientId(size_t i) const {
  WireIn r = Body(i);
  SetClientIdRes o;
  o.clientid = r.U64();
  Bytes v = r.Fixed(8);
  if (v.size() == 8) std::memcpy(o.confirm.data(), v.data(), 8);
  return o;
}

}  // namespace elfs::nfs4::test
