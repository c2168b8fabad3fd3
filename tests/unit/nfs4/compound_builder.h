// Test-side NFSv4 COMPOUND encoder and reply parser.
//
// Written from the XDR of RFC 8881 section 18 (NFSv4.1) and RFC 7530
// section 16 (NFSv4.0), independently of the server's own codecs, so the
// unit tests check the server against the RFC rather than against itself.
// Only the handful of XDR primitives (RFC 4506) are implemented here, in
// WireOut / WireIn, not borrowed from src/xdr.
//
// Compound builds COMPOUND4args op by op; Reply walks COMPOUND4res and
// records, for each nfs_resop4, its opnum, status and where its result body
// lies, so a test can decode exactly the result it cares about (typed
// helpers below) or inspect raw bytes.
//
// Thread safety: none; values are plain data.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace elfs::nfs4::test {

using Bytes = std::vector<uint8_t>;
using Verifier8 = std::array<uint8_t, 8>;
using SessionId16 = std::array<uint8_t, 16>;

Bytes ToBytes(std::string_view s);

// ---- XDR primitives (RFC 4506) ----

class WireOut {
 public:
  WireOut& U32(uint32_t v);
  WireOut& U64(uint64_t v);
  WireOut& I64(int64_t v) { return U64(static_cast<uint64_t>(v)); }
  WireOut& Bool(bool v) { return U32(v ? 1 : 0); }
  WireOut& Fixed(std::span<const uint8_t> b);  // fixed-length opaque, padded
  WireOut& Opaque(std::span<const uint8_t> b);  // length + bytes + pad
  WireOut& Str(std::string_view s);
  WireOut& Raw(std::span<const uint8_t> b);  // no length, no padding
  WireOut& Bitmap(const std::vector<uint32_t>& words);

  const Bytes& bytes() const { return buf_; }
  size_t size() const { return buf_.size(); }

 private:
  Bytes buf_;
};

class WireIn {
 public:
  WireIn() = default;
  explicit WireIn(std::span<const uint8_t> b) : data_(b) {}

  uint32_t U32();
  uint64_t U64();
  int64_t I64() { return static_cast<int64_t>(U64()); }
  bool Bool();  // fails on anything but 0 or 1
  Bytes Fixed(size_t n);
  Bytes Opaque(size_t max = 1u << 24);
  std::string Str(size_t max = 1u << 24);
  std::vector<uint32_t> Bitmap();
  void Skip(size_t n);

  bool ok() const { return ok_; }
  void Fail() { ok_ = false; }
  size_t pos() const { return pos_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }

 private:
  bool Need(size_t n);
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// ---- Protocol values (RFC 8881 section 18; numbers spelled as in the RFC) ----

namespace op {
enum : uint32_t {
  ACCESS = 3, CLOSE = 4, COMMIT = 5, CREATE = 6, DELEGPURGE = 7, DELEGRETURN = 8, GETATTR = 9,
  GETFH = 10, LINK = 11, LOCK = 12, LOCKT = 13, LOCKU = 14, LOOKUP = 15, LOOKUPP = 16,
  NVERIFY = 17, OPEN = 18, OPENATTR = 19, OPEN_CONFIRM = 20, OPEN_DOWNGRADE = 21, PUTFH = 22,
  PUTPUBFH = 23, PUTROOTFH = 24, READ = 25, READDIR = 26, READLINK = 27, REMOVE = 28,
  RENAME = 29, RENEW = 30, RESTOREFH = 31, SAVEFH = 32, SECINFO = 33, SETATTR = 34,
  SETCLIENTID = 35, SETCLIENTID_CONFIRM = 36, VERIFY = 37, WRITE = 38, RELEASE_LOCKOWNER = 39,
  BACKCHANNEL_CTL = 40, BIND_CONN_TO_SESSION = 41, EXCHANGE_ID = 42, CREATE_SESSION = 43,
  DESTROY_SESSION = 44, FREE_STATEID = 45, GET_DIR_DELEGATION = 46, GETDEVICEINFO = 47,
  GETDEVICELIST = 48, LAYOUTCOMMIT = 49, LAYOUTGET = 50, LAYOUTRETURN = 51,
  SECINFO_NO_NAME = 52, SEQUENCE = 53, SET_SSV = 54, TEST_STATEID = 55, WANT_DELEGATION = 56,
  DESTROY_CLIENTID = 57, RECLAIM_COMPLETE = 58,
  // NFSv4.2 (RFC 7862, RFC 8276)
  ALLOCATE = 59, COPY = 60, DEALLOCATE = 62, READ_PLUS = 68, SEEK = 69, GETXATTR = 72,
  REMOVEXATTR = 75, ILLEGAL = 10044,
};
}  // namespace op

namespace st {
enum : uint32_t {
  OK = 0, PERM = 1, NOENT = 2, IO = 5, NXIO = 6, ACCESS = 13, EXIST = 17, XDEV = 18,
  NOTDIR = 20, ISDIR = 21, INVAL = 22, FBIG = 27, NOSPC = 28, ROFS = 30, MLINK = 31,
  NAMETOOLONG = 63, NOTEMPTY = 66, DQUOT = 69, STALE = 70, BADHANDLE = 10001,
  BAD_COOKIE = 10003, NOTSUPP = 10004, TOOSMALL = 10005, SERVERFAULT = 10006, BADTYPE = 10007,
  DELAY = 10008, SAME = 10009, DENIED = 10010, EXPIRED = 10011, LOCKED = 10012, GRACE = 10013,
  FHEXPIRED = 10014, SHARE_DENIED = 10015, WRONGSEC = 10016, CLID_INUSE = 10017,
  RESOURCE = 10018, MOVED = 10019, NOFILEHANDLE = 10020, MINOR_VERS_MISMATCH = 10021,
  STALE_CLIENTID = 10022, STALE_STATEID = 10023, OLD_STATEID = 10024, BAD_STATEID = 10025,
  BAD_SEQID = 10026, NOT_SAME = 10027, LOCK_RANGE = 10028, SYMLINK = 10029, RESTOREFH = 10030,
  LEASE_MOVED = 10031, ATTRNOTSUPP = 10032, NO_GRACE = 10033, RECLAIM_BAD = 10034,
  RECLAIM_CONFLICT = 10035, BADXDR = 10036, LOCKS_HELD = 10037, OPENMODE = 10038,
  BADOWNER = 10039, BADCHAR = 10040, BADNAME = 10041, BAD_RANGE = 10042, LOCK_NOTSUPP = 10043,
  OP_ILLEGAL = 10044, DEADLOCK = 10045, FILE_OPEN = 10046, ADMIN_REVOKED = 10047,
  CB_PATH_DOWN = 10048, BADIOMODE = 10049, BADLAYOUT = 10050, BAD_SESSION_DIGEST = 10051,
  BADSESSION = 10052, BADSLOT = 10053, COMPLETE_ALREADY = 10054,
  CONN_NOT_BOUND_TO_SESSION = 10055, DELEG_ALREADY_WANTED = 10056, BACK_CHAN_BUSY = 10057,
  LAYOUTTRYLATER = 10058, LAYOUTUNAVAILABLE = 10059, NOMATCHING_LAYOUT = 10060,
  RECALLCONFLICT = 10061, UNKNOWN_LAYOUTTYPE = 10062, SEQ_MISORDERED = 10063,
  SEQUENCE_POS = 10064, REQ_TOO_BIG = 10065, REP_TOO_BIG = 10066,
  REP_TOO_BIG_TO_CACHE = 10067, RETRY_UNCACHED_REP = 10068, UNSAFE_COMPOUND = 10069,
  TOO_MANY_OPS = 10070, OP_NOT_IN_SESSION = 10071, HASH_ALG_UNSUPP = 10072,
  CLIENTID_BUSY = 10074, PNFS_IO_HOLE = 10075, SEQ_FALSE_RETRY = 10076, BAD_HIGH_SLOT = 10077,
  DEADSESSION = 10078, ENCR_ALG_UNSUPP = 10079, PNFS_NO_LAYOUT = 10080, NOT_ONLY_OP = 10081,
  WRONG_CRED = 10082, WRONG_TYPE = 10083, DIRDELEG_UNAVAIL = 10084, REJECT_DELEG = 10085,
  RETURNCONFLICT = 10086, DELEG_REVOKED = 10087,
};
}  // namespace st

// Attribute numbers (RFC 8881 section 5.6-5.8).
namespace fa {
enum : uint32_t {
  SUPPORTED_ATTRS = 0, TYPE = 1, FH_EXPIRE_TYPE = 2, CHANGE = 3, SIZE = 4, LINK_SUPPORT = 5,
  SYMLINK_SUPPORT = 6, NAMED_ATTR = 7, FSID = 8, UNIQUE_HANDLES = 9, LEASE_TIME = 10,
  RDATTR_ERROR = 11, ACL = 12, ACLSUPPORT = 13, ARCHIVE = 14, CANSETTIME = 15,
  CASE_INSENSITIVE = 16, CASE_PRESERVING = 17, CHOWN_RESTRICTED = 18, FILEHANDLE = 19,
  FILEID = 20, FILES_AVAIL = 21, FILES_FREE = 22, FILES_TOTAL = 23, FS_LOCATIONS = 24,
  HIDDEN = 25, HOMOGENEOUS = 26, MAXFILESIZE = 27, MAXLINK = 28, MAXNAME = 29, MAXREAD = 30,
  MAXWRITE = 31, MIMETYPE = 32, MODE = 33, NO_TRUNC = 34, NUMLINKS = 35, OWNER = 36,
  OWNER_GROUP = 37, QUOTA_AVAIL_HARD = 38, QUOTA_AVAIL_SOFT = 39, QUOTA_USED = 40,
  RAWDEV = 41, SPACE_AVAIL = 42, SPACE_FREE = 43, SPACE_TOTAL = 44, SPACE_USED = 45,
  SYSTEM = 46, TIME_ACCESS = 47, TIME_ACCESS_SET = 48, TIME_BACKUP = 49, TIME_CREATE = 50,
  TIME_DELTA = 51, TIME_METADATA = 52, TIME_MODIFY = 53, TIME_MODIFY_SET = 54,
  MOUNTED_ON_FILEID = 55, SUPPATTR_EXCLCREAT = 75, XATTR_SUPPORT = 82,
};
}  // namespace fa

enum : uint32_t { NF4REG = 1, NF4DIR = 2, NF4BLK = 3, NF4CHR = 4, NF4LNK = 5, NF4SOCK = 6,
                  NF4FIFO = 7 };
enum : uint32_t { UNSTABLE4 = 0, DATA_SYNC4 = 1, FILE_SYNC4 = 2 };
enum : uint32_t { ACCESS4_READ = 0x01, ACCESS4_LOOKUP = 0x02, ACCESS4_MODIFY = 0x04,
                  ACCESS4_EXTEND = 0x08, ACCESS4_DELETE = 0x10, ACCESS4_EXECUTE = 0x20 };
enum : uint32_t { SHARE_ACCESS_READ = 1, SHARE_ACCESS_WRITE = 2, SHARE_ACCESS_BOTH = 3,
                  SHARE_DENY_NONE = 0, SHARE_DENY_READ = 1, SHARE_DENY_WRITE = 2,
                  SHARE_DENY_BOTH = 3 };
enum : uint32_t { UNCHECKED4 = 0, GUARDED4 = 1, EXCLUSIVE4 = 2, EXCLUSIVE4_1 = 3 };
enum : uint32_t { CLAIM_NULL = 0, CLAIM_PREVIOUS = 1, CLAIM_DELEGATE_CUR = 2,
                  CLAIM_DELEGATE_PREV = 3, CLAIM_FH = 4, CLAIM_DELEG_CUR_FH = 5,
                  CLAIM_DELEG_PREV_FH = 6 };
enum : uint32_t { OPEN4_RESULT_CONFIRM = 0x2, OPEN4_RESULT_LOCKTYPE_POSIX = 0x4 };
enum : uint32_t { OPEN_DELEGATE_NONE = 0, OPEN_DELEGATE_NONE_EXT = 3 };
enum : uint32_t { READ_LT = 1, WRITE_LT = 2, READW_LT = 3, WRITEW_LT = 4 };
enum : uint32_t { SP4_NONE = 0, SP4_MACH_CRED = 1, SP4_SSV = 2 };
enum : uint32_t { EXCHGID4_FLAG_SUPP_MOVED_REFER = 0x1, EXCHGID4_FLAG_USE_NON_PNFS = 0x10000,
                  EXCHGID4_FLAG_USE_PNFS_MDS = 0x20000, EXCHGID4_FLAG_USE_PNFS_DS = 0x40000,
                  EXCHGID4_FLAG_UPD_CONFIRMED_REC_A = 0x40000000,
                  EXCHGID4_FLAG_CONFIRMED_R = 0x80000000 };
enum : uint32_t { SECINFO_STYLE4_CURRENT_FH = 0, SECINFO_STYLE4_PARENT = 1 };
enum : uint32_t { SET_TO_SERVER_TIME4 = 0, SET_TO_CLIENT_TIME4 = 1 };
inline constexpr uint32_t kAuthNone = 0, kAuthSys = 1, kRpcsecGss = 6;

// stateid4 (RFC 8881 section 3.3.12) and the special ones of section 8.2.3.
struct Stateid4 {
  uint32_t seqid = 0;
  std::array<uint8_t, 12> other{};

  static Stateid4 Anonymous() { return {}; }
  static Stateid4 Bypass() {
    Stateid4 s;
    s.seqid = 0xffffffff;
    s.other.fill(0xff);
    return s;
  }
  static Stateid4 Current() { return {1, {}}; }
  static Stateid4 Invalid() { return {0xffffffff, {}}; }
  void Encode(WireOut& w) const;
  static Stateid4 Decode(WireIn& r);
  friend bool operator==(const Stateid4&, const Stateid4&) = default;
};

// A bitmap4 from attribute numbers.
std::vector<uint32_t> Bits(std::initializer_list<uint32_t> attrs);
bool HasBit(const std::vector<uint32_t>& bitmap, uint32_t bit);

// fattr4 for SETATTR / CREATE / OPEN / VERIFY: values kept per attribute and
// encoded in ascending attribute order (RFC 8881 section 3.3.9).
class Fattr {
 public:
  Fattr& Mode(uint32_t m);
  Fattr& Size(uint64_t s);
  Fattr& Owner(std::string_view o);
  Fattr& OwnerGroup(std::string_view g);
  Fattr& AtimeServer();
  Fattr& AtimeClient(int64_t sec, uint32_t nsec);
  Fattr& MtimeServer();
  Fattr& MtimeClient(int64_t sec, uint32_t nsec);
  // Any attribute, with its value already in XDR form.
  Fattr& Raw(uint32_t attr, Bytes value);
  Fattr& U32(uint32_t attr, uint32_t v);
  Fattr& U64(uint32_t attr, uint64_t v);

  void Encode(WireOut& w) const;  // bitmap4 + attrlist4
  bool empty() const { return values_.empty(); }

 private:
  std::map<uint32_t, Bytes> values_;
};

// OPEN4args (RFC 8881 section 18.16.1).
struct OpenArgs {
  uint32_t seqid = 0;
  uint32_t access = SHARE_ACCESS_READ;
  uint32_t deny = SHARE_DENY_NONE;
  uint64_t clientid = 0;
  std::string owner = "open-owner";
  bool create = false;
  uint32_t createmode = UNCHECKED4;
  Fattr attrs;
  Verifier8 verifier{};
  uint32_t claim = CLAIM_NULL;
  std::string name;
};

// channel_attrs4 (RFC 8881 section 18.36.1).
struct ChannelAttrs4 {
  uint32_t headerpadsize = 0;
  // What a Linux client with 1 MiB rsize/wsize asks for, roughly.
  uint32_t maxrequestsize = (1 << 20) + 64 * 1024;
  uint32_t maxresponsesize = (1 << 20) + 64 * 1024;
  uint32_t maxresponsesize_cached = 64 * 1024;
  uint32_t maxoperations = 16;
  uint32_t maxrequests = 8;
  std::vector<uint32_t> rdma_ird;
};

class Compound {
 public:
  explicit Compound(uint32_t minorversion = 1, std::string tag = "elfs-test")
      : minor_(minorversion), tag_(std::move(tag)) {}

  // Any operation with pre-encoded arguments (also illegal opnums, garbage).
  Compound& Op(uint32_t opnum, Bytes args = {});
  Compound& Append(const Compound& other);  // the other's ops, after ours

  Compound& Access(uint32_t bits);
  Compound& Close(uint32_t seqid, const Stateid4& sid);
  Compound& Commit(uint64_t offset, uint32_t count);
  Compound& CreateDir(std::string_view name, const Fattr& attrs = {});
  Compound& CreateSymlink(std::string_view name, std::string_view target, const Fattr& attrs = {});
  Compound& CreateDevice(uint32_t type, std::string_view name, uint32_t major, uint32_t minor);
  Compound& CreateType(uint32_t type, std::string_view name, const Fattr& attrs = {});
  Compound& GetAttr(const std::vector<uint32_t>& bitmap);
  Compound& GetFh();
  Compound& Link(std::string_view name);
  Compound& Lookup(std::string_view name);
  Compound& LookupP();
  Compound& NVerify(const Fattr& attrs);
  Compound& Open(const OpenArgs& a);
  Compound& OpenConfirm(const Stateid4& sid, uint32_t seqid);
  Compound& OpenDowngrade(const Stateid4& sid, uint32_t seqid, uint32_t access, uint32_t deny);
  Compound& PutFh(std::span<const uint8_t> fh);
  Compound& PutPubFh();
  Compound& PutRootFh();
  Compound& Read(const Stateid4& sid, uint64_t offset, uint32_t count);
  Compound& ReadDir(uint64_t cookie, const Verifier8& verf, uint32_t dircount, uint32_t maxcount,
                    const std::vector<uint32_t>& bitmap);
  Compound& ReadLink();
  Compound& Remove(std::string_view name);
  Compound& Rename(std::string_view oldname, std::string_view newname);
  Compound& Renew(uint64_t clientid);
  Compound& RestoreFh();
  Compound& SaveFh();
  Compound& SecInfo(std::string_view name);
  Compound& SetAttr(const Stateid4& sid, const Fattr& attrs);
  Compound& SetClientId(const Verifier8& verifier, std::string_view id, uint32_t cb_program = 0x40000000,
                        std::string_view netid = "tcp", std::string_view addr = "127.0.0.1.3.4",
                        uint32_t callback_ident = 1);
  Compound& SetClientIdConfirm(uint64_t clientid, const Verifier8& confirm);
  Compound& Verify(const Fattr& attrs);
  Compound& Write(const Stateid4& sid, uint64_t offset, uint32_t stable,
                  std::span<const uint8_t> data);
  Compound& ReleaseLockOwner(uint64_t clientid, std::string_view owner);
  // LOCK with locker4 new_lock_owner = TRUE (open_to_lock_owner4).
  Compound& LockNew(uint32_t locktype, uint64_t offset, uint64_t length, uint32_t open_seqid,
                    const Stateid4& open_stateid, uint32_t lock_seqid, uint64_t clientid,
                    std::string_view owner, bool reclaim = false);
  // LOCK with new_lock_owner = FALSE (exist_lock_owner4).
  Compound& LockExisting(uint32_t locktype, uint64_t offset, uint64_t length,
                         const Stateid4& lock_stateid, uint32_t lock_seqid);
  Compound& LockT(uint32_t locktype, uint64_t offset, uint64_t length, uint64_t clientid,
                  std::string_view owner);
  Compound& LockU(uint32_t locktype, uint32_t seqid, const Stateid4& lock_stateid,
                  uint64_t offset, uint64_t length);
  // NFSv4.1
  Compound& BindConnToSession(const SessionId16& sid, uint32_t dir, bool rdma);
  Compound& ExchangeId(const Verifier8& verifier, std::string_view owner, uint32_t flags,
                       uint32_t how = SP4_NONE, bool with_impl_id = true);
  Compound& CreateSession(uint64_t clientid, uint32_t sequence, uint32_t flags = 0,
                          const ChannelAttrs4& fore = {}, const ChannelAttrs4& back = {},
                          uint32_t cb_program = 0x40000000);
  Compound& DestroySession(const SessionId16& sid);
  Compound& DestroyClientId(uint64_t clientid);
  Compound& FreeStateid(const Stateid4& sid);
  Compound& SecInfoNoName(uint32_t style);
  Compound& Sequence(const SessionId16& sid, uint32_t seqid, uint32_t slot, uint32_t highest_slot,
                     bool cachethis);
  Compound& TestStateid(const std::vector<Stateid4>& ids);
  Compound& ReclaimComplete(bool one_fs);

  // COMPOUND4args. nops_override replaces the operation count on the wire.
  Bytes Encode() const;
  Compound& OverrideCount(uint32_t nops) {
    nops_override_ = nops;
    return *this;
  }

  uint32_t minorversion() const { return minor_; }
  size_t size() const { return ops_.size(); }
  uint32_t opnum(size_t i) const { return ops_[i].first; }

 private:
  Compound& Add(uint32_t opnum, const WireOut& args) { return Op(opnum, args.bytes()); }

  uint32_t minor_;
  std::string tag_;
  std::vector<std::pair<uint32_t, Bytes>> ops_;
  std::optional<uint32_t> nops_override_;
};

// ---- Results ----

struct ChangeInfo4 {
  bool atomic = false;
  uint64_t before = 0, after = 0;
};

// fattr4 as returned, with its values split per attribute.
struct Fattr4 {
  std::vector<uint32_t> mask;
  Bytes vals;
  std::map<uint32_t, Bytes> by_attr;  // empty and parsed=false if unparseable
  bool parsed = false;

  bool Has(uint32_t a) const { return by_attr.count(a) != 0; }
  uint32_t U32(uint32_t a) const;
  uint64_t U64(uint32_t a) const;
  std::string Str(uint32_t a) const;
  Bytes Opaque(uint32_t a) const;                   // e.g. filehandle
  std::vector<uint32_t> Bitmap(uint32_t a) const;   // e.g. supported_attrs
  std::pair<int64_t, uint32_t> Time(uint32_t a) const;  // nfstime4
  // The value's XDR bytes (a reference into this object).
  const Bytes& Raw(uint32_t a) const;
};
// Decodes fattr4 and splits the values using each attribute's RFC type.
Fattr4 DecodeFattr(WireIn& r);

struct OpenRes {
  Stateid4 stateid;
  ChangeInfo4 cinfo;
  uint32_t rflags = 0;
  std::vector<uint32_t> attrset;
  uint32_t delegation_type = 0;
};
struct ReadRes {
  bool eof = false;
  Bytes data;
};
struct WriteRes {
  uint32_t count = 0;
  uint32_t committed = 0;
  Verifier8 verifier{};
};
struct DirEntry4 {
  uint64_t cookie = 0;
  std::string name;
  Fattr4 attrs;
};
struct ReadDirRes {
  Verifier8 cookieverf{};
  std::vector<DirEntry4> entries;
  bool eof = false;
};
struct SequenceRes {
  SessionId16 sessionid{};
  uint32_t sequenceid = 0, slotid = 0, highest_slotid = 0, target_highest_slotid = 0,
           status_flags = 0;
};
struct ExchangeIdRes {
  uint64_t clientid = 0;
  uint32_t sequenceid = 0;
  uint32_t flags = 0;
  uint32_t spr_how = 0;
  uint64_t so_minor_id = 0;
  Bytes so_major_id;
  Bytes server_scope;
};
struct CreateSessionRes {
  SessionId16 sessionid{};
  uint32_t sequence = 0;
  uint32_t flags = 0;
  ChannelAttrs4 fore, back;
};
struct SetClientIdRes {
  uint64_t clientid = 0;
  Verifier8 confirm{};
};
struct CreateRes {
  ChangeInfo4 cinfo;
  std::vector<uint32_t> attrset;
};
// LOCK4denied (RFC 8881 section 18.10.2).
struct LockDenied {
  uint64_t offset = 0, length = 0;
  uint32_t locktype = 0;
  uint64_t clientid = 0;
  Bytes owner;
};
struct AccessRes {
  uint32_t supported = 0, access = 0;
};

struct OpResult {
  uint32_t opnum = 0;
  uint32_t status = 0;
  size_t body = 0;      // offset of the result body in Reply::bytes
  size_t body_end = 0;  // one past it
};

// COMPOUND4res, walked op by op. parsed is false if the reply does not
// decode (truncated, trailing bytes, an unknown resop ...); error says why.
class Reply {
 public:
  static Reply Parse(Bytes bytes);

  bool parsed = false;
  std::string error;
  uint32_t status = 0;
  std::string tag;
  std::vector<OpResult> ops;
  Bytes bytes;

  size_t size() const { return ops.size(); }
  uint32_t op_status(size_t i) const { return i < ops.size() ? ops[i].status : 0xdeadbeef; }
  uint32_t last_status() const { return ops.empty() ? 0xdeadbeef : ops.back().status; }
  // A decoder over op i's result body (empty when out of range).
  WireIn Body(size_t i) const;
  Bytes BodyBytes(size_t i) const;
  // The index of the first result of `opnum` (or npos).
  size_t Find(uint32_t opnum, size_t from = 0) const;
  static constexpr size_t npos = ~size_t{0};

  // Typed decoders of op i's body.
  Bytes Fh(size_t i) const;
  Fattr4 Attrs(size_t i) const;
  OpenRes Open(size_t i) const;
  Stateid4 StateidRes(size_t i) const;  // CLOSE, OPEN_CONFIRM, OPEN_DOWNGRADE
  ReadRes Read(size_t i) const;
  WriteRes Write(size_t i) const;
  Verifier8 Commit(size_t i) const;
  ReadDirRes ReadDir(size_t i) const;
  std::string ReadLink(size_t i) const;
  CreateRes Create(size_t i) const;
  ChangeInfo4 ChangeInfo(size_t i) const;  // REMOVE, LINK (first of RENAME)
  std::pair<ChangeInfo4, ChangeInfo4> Rename(size_t i) const;
  AccessRes Access(size_t i) const;
  LockDenied Denied(size_t i) const;  // LOCK / LOCKT with NFS4ERR_DENIED
  std::vector<uint32_t> SetAttr(size_t i) const;
  std::vector<uint32_t> SecInfo(size_t i) const;  // flavors
  std::vector<uint32_t> TestStateid(size_t i) const;
  SequenceRes Sequence(size_t i) const;
  ExchangeIdRes ExchangeId(size_t i) const;
  CreateSessionRes CreateSession(size_t i) const;
  SetClientIdRes SetClientId(size_t i) const;
};

// Consumes nfs_resop4's result body for `opnum` with `status` (what the RFC
// says follows the status); false if it does not decode.
bool SkipResultBody(uint32_t opnum, uint32_t status, WireIn& r);

}  // namespace elfs::nfs4::test
