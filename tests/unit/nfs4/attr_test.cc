// Attribute operations: GETATTR, SETATTR, VERIFY, NVERIFY, ACCESS
// (RFC 8881 sections 5, 18.1, 18.7, 18.15, 18.30, 18.31; RFC 7530 section 5).
#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class OpGetAttr : public Nfs4Test {};
class OpSetAttr : public Nfs4Test {};
class OpVerify : public Nfs4Test {};
class OpNVerify : public Nfs4Test {};
class OpAccess : public Nfs4Test {};

TEST_F(OpGetAttr, EncodesTheFattr4ByteForByte) {
  MakeFile("f", "hello", 0640, 1000, 1000);
  vfs::Attr a = AttrOf("f");
  Compound c(1);
  PutPath(c, "f").GetAttr(Bits({fa::TYPE, fa::SIZE, fa::FSID, fa::FILEID, fa::MODE, fa::NUMLINKS,
                                fa::OWNER, fa::OWNER_GROUP}));
  Reply r = Run(c);
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK);
  Fattr4 got = r.Attrs(3);
  ASSERT_TRUE(got.parsed);

  // The fsid is the server's to choose; take it from the reply and check
  // everything else exactly (RFC 8881 section 5.8: bitmap4, then the values
  // in attribute order, as one attrlist4 opaque).
  WireIn fsid(got.Raw(fa::FSID));
  uint64_t fsid_major = fsid.U64(), fsid_minor = fsid.U64();
  WireOut vals;
  vals.U32(NF4REG);          // type
  vals.U64(5);               // size
  vals.U64(fsid_major).U64(fsid_minor);
  vals.U64(a.fileid);        // fileid
  vals.U32(0640);            // mode
  vals.U32(1);               // numlinks
  vals.Str("1000");          // owner: numeric string (RFC 8881 section 5.9)
  vals.Str("1000");          // owner_group
  WireOut want;
  want.Bitmap({(1u << fa::TYPE) | (1u << fa::SIZE) | (1u << fa::FSID) | (1u << fa::FILEID),
               (1u << (fa::MODE - 32)) | (1u << (fa::NUMLINKS - 32)) | (1u << (fa::OWNER - 32)) |
                   (1u << (fa::OWNER_GROUP - 32))});
  want.Opaque(vals.bytes());
  EXPECT_EQ(r.BodyBytes(3), want.bytes());
}

TEST_F(OpGetAttr, DirectoryTypeAndLinks) {
  MakeDir("d", 0750, 7, 8);
  MakeDir("d/sub");
  Compound c(1);
  PutPath(c, "d").GetAttr(Bits({fa::TYPE, fa::MODE, fa::NUMLINKS, fa::OWNER, fa::OWNER_GROUP}));
  Reply r = Run(c);
  ASSERT_EQ(r.status, st::OK);
  Fattr4 a = r.Attrs(3);
  EXPECT_EQ(a.U32(fa::TYPE), NF4DIR);
  EXPECT_EQ(a.U32(fa::MODE), 0750u);
  EXPECT_EQ(a.U32(fa::NUMLINKS), 3u);  // ".", its name, "sub/.."
  EXPECT_EQ(a.Str(fa::OWNER), "7");
  EXPECT_EQ(a.Str(fa::OWNER_GROUP), "8");
}

TEST_F(OpGetAttr, SymlinkType) {
  MakeSymlink("l", "target");
  Compound c(1);
  PutPath(c, "l").GetAttr(Bits({fa::TYPE, fa::SIZE}));
  Reply r = Run(c);
  ASSERT_EQ(r.status, st::OK);
  EXPECT_EQ(r.Attrs(3).U32(fa::TYPE), NF4LNK);
  EXPECT_EQ(r.Attrs(3).U64(fa::SIZE), 6u);
}

TEST_F(OpGetAttr, FsidSameWithinAnExportDistinctAcrossExports) {
  MakeFile("f");
  Reply a = RunRaw(Compound(0).PutRootFh().GetAttr(Bits({fa::FSID})), Root(), exp_);
  Reply b = RunRaw(Compound(0).PutRootFh().Lookup("f").GetAttr(Bits({fa::FSID})), Root(), exp_);
  Reply c = RunRaw(Compound(0).PutRootFh().GetAttr(Bits({fa::FSID})), Root(), exp2_);
  ASSERT_EQ(a.status, st::OK);
  ASSERT_EQ(b.status, st::OK);
  ASSERT_EQ(c.status, st::OK);
  EXPECT_EQ(a.Attrs(1).Raw(fa::FSID), b.Attrs(2).Raw(fa::FSID));
  EXPECT_NE(a.Attrs(1).Raw(fa::FSID), c.Attrs(1).Raw(fa::FSID));
}

TEST_F(OpGetAttr, ChangeAdvancesAfterAWriteAndNotOnReads) {
  MakeFile("f", "abc");
  Bytes fh = Fh("f");
  auto change = [&] {
    Reply r = Run(Compound(1).PutFh(fh).GetAttr(Bits({fa::CHANGE})));
    EXPECT_EQ(r.status, st::OK);
    return r.Attrs(2).U64(fa::CHANGE);
  };
  uint64_t c0 = change();
  Reply rd = Run(Compound(1).PutFh(fh).Read(Stateid4::Anonymous(), 0, 3));
  ASSERT_EQ(rd.status, st::OK);
  EXPECT_EQ(change(), c0);
  Reply w = Run(Compound(1).PutFh(fh).Write(Stateid4::Anonymous(), 0, FILE_SYNC4, ToBytes("x")));
  ASSERT_EQ(w.status, st::OK);
  uint64_t c1 = change();
  EXPECT_NE(c1, c0);
  Reply s = Run(Compound(1).PutFh(fh).SetAttr(Stateid4(), Fattr().Mode(0600)));
  ASSERT_EQ(s.status, st::OK);
  EXPECT_NE(change(), c1);
}

TEST_F(OpGetAttr, SupportedAttrsHasTheRequiredOnes) {
  // RFC 8881 section 5.6 (REQUIRED attributes) and 5.8.1.14
  // (suppattr_exclcreat is REQUIRED in 4.1).
  for (uint32_t minor : {0u, 1u}) {
    Reply r = minor == 0 ? RunRaw(Compound(0).PutRootFh().GetAttr(Bits({fa::SUPPORTED_ATTRS})))
                         : Run(Compound(1).PutRootFh().GetAttr(Bits({fa::SUPPORTED_ATTRS})));
    ASSERT_EQ(r.status, st::OK);
    Fattr4 a = r.Attrs(r.size() - 1);
    std::vector<uint32_t> supp = a.Bitmap(fa::SUPPORTED_ATTRS);
    for (uint32_t req : {fa::SUPPORTED_ATTRS, fa::TYPE, fa::FH_EXPIRE_TYPE, fa::CHANGE, fa::SIZE,
                         fa::LINK_SUPPORT, fa::SYMLINK_SUPPORT, fa::NAMED_ATTR, fa::FSID,
                         fa::UNIQUE_HANDLES, fa::LEASE_TIME, fa::RDATTR_ERROR, fa::FILEHANDLE})
      EXPECT_TRUE(HasBit(supp, req)) << "REQUIRED attribute " << req << " minor " << minor;
    for (uint32_t rec : {fa::MODE, fa::NUMLINKS, fa::OWNER, fa::OWNER_GROUP, fa::FILEID,
                         fa::TIME_MODIFY, fa::TIME_METADATA, fa::TIME_ACCESS, fa::SPACE_USED})
      EXPECT_TRUE(HasBit(supp, rec)) << "attribute " << rec << " minor " << minor;
    EXPECT_EQ(HasBit(supp, fa::SUPPATTR_EXCLCREAT), minor == 1) << minor;
  }
}

TEST_F(OpGetAttr, EverySupportedReadableAttributeIsReturned) {
  // Ask for everything the server says it supports: all of it comes back
  // (except the write-only time_*_set), every value decodes per its RFC
  // type, and nothing else is returned.
  MakeFile("f", "xyz");
  Reply s = Run(Compound(1).PutRootFh().GetAttr(Bits({fa::SUPPORTED_ATTRS})));
  ASSERT_EQ(s.status, st::OK);
  std::vector<uint32_t> supp = s.Attrs(2).Bitmap(fa::SUPPORTED_ATTRS);
  std::vector<uint32_t> readable = supp;
  readable[fa::TIME_ACCESS_SET / 32] &= ~(1u << (fa::TIME_ACCESS_SET % 32));
  readable[fa::TIME_MODIFY_SET / 32] &= ~(1u << (fa::TIME_MODIFY_SET % 32));
  for (const char* path : {"", "f"}) {
    Compound c(1);
    PutPath(c, path).GetAttr(readable);
    Reply r = Run(c);
    ASSERT_EQ(r.status, st::OK);
    Fattr4 a = r.Attrs(r.size() - 1);
    EXPECT_TRUE(a.parsed) << "fattr4 values do not decode";
    std::vector<uint32_t> want = supp;
    want[fa::TIME_ACCESS_SET / 32] &= ~(1u << (fa::TIME_ACCESS_SET % 32));
    want[fa::TIME_MODIFY_SET / 32] &= ~(1u << (fa::TIME_MODIFY_SET % 32));
    while (!want.empty() && want.back() == 0) want.pop_back();
    EXPECT_EQ(a.mask, want) << path;
  }
}

TEST_F(OpGetAttr, WriteOnlyAttributesAreInval) {
  // RFC 8881 section 5.5 / op_attr.cc: time_access_set and time_modify_set
  // cannot be read; asking for them is NFS4ERR_INVAL.
  for (uint32_t a : {fa::TIME_ACCESS_SET, fa::TIME_MODIFY_SET}) {
    Reply r = Run(Compound(1).PutRootFh().GetAttr(Bits({fa::TYPE, a})));
    EXPECT_STATUSES(r, st::OK, st::OK, st::INVAL);
  }
}

TEST_F(OpGetAttr, UnsupportedAttributesAreOmitted) {
  // RFC 8881 section 18.7.3: the server returns the attributes it supports
  // and omits the others (GETATTR does not fail for them).
  std::vector<uint32_t> ask = Bits({fa::TYPE, fa::ACL, fa::MIMETYPE, fa::QUOTA_USED, 90});
  Reply r = Run(Compound(1).PutRootFh().GetAttr(ask));
  ASSERT_EQ(r.status, st::OK);
  Fattr4 a = r.Attrs(2);
  EXPECT_EQ(a.mask, Bits({fa::TYPE}));
  EXPECT_TRUE(a.parsed);
}

TEST_F(OpGetAttr, LeaseTimeAndFixedValues) {
  Reply r = Run(Compound(1).PutRootFh().GetAttr(
      Bits({fa::FH_EXPIRE_TYPE, fa::LEASE_TIME, fa::RDATTR_ERROR, fa::MAXNAME, fa::MAXREAD,
            fa::MAXWRITE, fa::UNIQUE_HANDLES})));
  ASSERT_EQ(r.status, st::OK);
  Fattr4 a = r.Attrs(2);
  EXPECT_EQ(a.U32(fa::FH_EXPIRE_TYPE), 0u);  // FH4_PERSISTENT
  EXPECT_EQ(a.U32(fa::LEASE_TIME), 90u);
  EXPECT_EQ(a.U32(fa::RDATTR_ERROR), st::OK);
  EXPECT_EQ(a.U32(fa::MAXNAME), 255u);
  EXPECT_EQ(a.U64(fa::MAXREAD), 1u << 20);  // SPEC: 1 MiB rsize
  EXPECT_EQ(a.U64(fa::MAXWRITE), 1u << 20);
}

TEST_F(OpGetAttr, FilehandleAttributeMatchesGetFh) {
  MakeFile("f");
  Reply r = Run(Compound(1).PutRootFh().Lookup("f").GetAttr(Bits({fa::FILEHANDLE})).GetFh());
  ASSERT_EQ(r.status, st::OK);
  EXPECT_EQ(r.Attrs(3).Opaque(fa::FILEHANDLE), r.Fh(4));
}

TEST_F(OpGetAttr, OfARemovedObjectIsStale) {
  MakeFile("f");
  Bytes fh = Fh("f");
  ASSERT_TRUE(mem_->Remove(*mem_->Root(), "f").ok());
  Reply r = Run(Compound(1).PutFh(fh).GetAttr(Bits({fa::TYPE})));
  EXPECT_EQ(r.status, st::STALE);
}

TEST_F(OpGetAttr, EmptyBitmapGivesEmptyFattr) {
  Reply r = Run(Compound(1).PutRootFh().GetAttr({}));
  ASSERT_EQ(r.status, st::OK);
  WireOut want;
  want.Bitmap({}).Opaque({});
  EXPECT_EQ(r.BodyBytes(2), want.bytes());
}

// ---- SETATTR ----

TEST_F(OpSetAttr, ModeByOwner) {
  MakeFile("f", "", 0644, 1000, 1000);
  Compound c(1);
  PutPath(c, "f").SetAttr(Stateid4(), Fattr().Mode(0600)).GetAttr(Bits({fa::MODE}));
  Reply r = Run(c, User());
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK, st::OK);
  EXPECT_EQ(r.SetAttr(3), Bits({fa::MODE}));
  EXPECT_EQ(r.Attrs(4).U32(fa::MODE), 0600u);
  EXPECT_EQ(AttrOf("f").mode, 0600u);
}

TEST_F(OpSetAttr, ModeByNonOwnerIsPermWithEmptyAttrsset) {
  MakeFile("f", "", 0666, 0, 0);
  Compound c(1);
  PutPath(c, "f").SetAttr(Stateid4(), Fattr().Mode(0777));
  Reply r = Run(c, User());
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::PERM);
  // RFC 8881 section 18.30.2: SETATTR4res carries attrsset on error too.
  EXPECT_TRUE(r.SetAttr(3).empty());
  EXPECT_EQ(r.BodyBytes(3), WireOut().Bitmap({}).bytes());
  EXPECT_EQ(AttrOf("f").mode, 0666u);
}

TEST_F(OpSetAttr, OwnerChangeOnlyByRoot) {
  MakeFile("f", "", 0644, 1000, 1000);
  Compound c(1);
  PutPath(c, "f").SetAttr(Stateid4(), Fattr().Owner("2000"));
  Reply as_owner = Run(c, User());
  EXPECT_EQ(as_owner.last_status(), st::PERM);
  EXPECT_EQ(AttrOf("f").uid, 1000u);
  Reply as_root = Run(c, Root());
  EXPECT_EQ(as_root.last_status(), st::OK);
  EXPECT_EQ(as_root.SetAttr(3), Bits({fa::OWNER}));
  EXPECT_EQ(AttrOf("f").uid, 2000u);
}

TEST_F(OpSetAttr, GroupToOwnGroupByOwner) {
  MakeFile("f", "", 0644, 1000, 1000);
  Compound c(1);
  PutPath(c, "f").SetAttr(Stateid4(), Fattr().OwnerGroup("500"));
  Reply not_member = Run(c, User(1000, 1000));
  EXPECT_EQ(not_member.last_status(), st::PERM);
  Reply member = Run(c, User(1000, 1000, {500}));
  EXPECT_EQ(member.last_status(), st::OK);
  EXPECT_EQ(AttrOf("f").gid, 500u);
}

TEST_F(OpSetAttr, MalformedOwnerIsBadOwner) {
  MakeFile("f");
  // (An empty owner is NFS4ERR_INVAL: see EmptyOwnerIsInval.)
  for (const char* bad : {"bob", "-1", "12345678901", "1000x"}) {
    Compound c(1);
    PutPath(c, "f").SetAttr(Stateid4(), Fattr().Owner(bad));
    Reply r = Run(c);
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.last_status(), st::BADOWNER) << "'" << bad << "'";
    EXPECT_TRUE(r.SetAttr(3).empty());
  }
}

TEST_F(OpSetAttr, EmptyOwnerIsInval) {
  // attrs.cc DecodeSettable (pynfs 4.0 conformance): a zero-length owner
  // or group string is NFS4ERR_INVAL.
  MakeFile("f");
  Compound c(1);
  PutPath(c, "f").SetAttr(Stateid4(), Fattr().Owner(""));
  EXPECT_EQ(Run(c).last_status(), st::INVAL);
}

TEST_F(OpSetAttr, SizeTruncatesAndExtends) {
  MakeFile("f", "0123456789", 0644, 1000, 1000);
  Compound c(1);
  PutPath(c, "f").SetAttr(Stateid4(), Fattr().Size(4)).GetAttr(Bits({fa::SIZE}));
  Reply r = Run(c, User());
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK, st::OK);
  EXPECT_EQ(r.Attrs(4).U64(fa::SIZE), 4u);
  EXPECT_EQ(Content("f"), "0123");
  Compound g(1);
  PutPath(g, "f").SetAttr(Stateid4(), Fattr().Size(6));
  ASSERT_EQ(Run(g, User()).status, st::OK);
  EXPECT_EQ(Content("f"), std::string("0123\0\0", 6));
}

TEST_F(OpSetAttr, SizeNeedsWritePermission) {
  MakeFile("f", "0123456789", 0644, 0, 0);
  Compound c(1);
  PutPath(c, "f").SetAttr(Stateid4(), Fattr().Size(0));
  Reply r = Run(c, User());
  EXPECT_EQ(r.last_status(), st::ACCESS);
  EXPECT_EQ(AttrOf("f").size, 10u);
}

TEST_F(OpSetAttr, SizeThroughReadOnlyOpenIsOpenMode) {
  MakeFile("f", "0123456789", 0666);
  Compound c(1);
  c.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_READ, .owner = "ro", .name = "f"});
  c.SetAttr(Stateid4::Current(), Fattr().Size(0));
  Reply r = Run(c);
  EXPECT_STATUSES(r, st::OK, st::OK, st::OK, st::OPENMODE);
  EXPECT_EQ(AttrOf("f").size, 10u);
}

TEST_F(OpSetAttr, SizeWithClosedStateidIsBadStateid) {
  MakeFile("f", "0123456789", 0666);
  Compound o(1);
  o.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "rw", .name = "f"});
  Reply opened = Run(o);
  ASSERT_EQ(opened.status, st::OK);
  Stateid4 sid = opened.Open(2).stateid;
  Bytes fh = Fh("f");
  ASSERT_EQ(Run(Compound(1).PutFh(fh).Close(0, sid)).status, st::OK);
  Reply r = Run(Compound(1).PutFh(fh).SetAttr(sid, Fattr().Size(1)));
  EXPECT_STATUSES(r, st::OK, st::OK, st::BAD_STATEID);
}

TEST_F(OpSetAttr, TimesByOwnerAndOthers) {
  MakeFile("f", "", 0666, 1000, 1000);
  Compound set_client(1);
  PutPath(set_client, "f")
      .SetAttr(Stateid4(), Fattr().MtimeClient(1234567, 890).AtimeClient(42, 7))
      .GetAttr(Bits({fa::TIME_MODIFY, fa::TIME_ACCESS}));
  Reply r = Run(set_client, User());
  ASSERT_EQ(r.status, st::OK);
  EXPECT_EQ(r.SetAttr(3), Bits({fa::TIME_ACCESS_SET, fa::TIME_MODIFY_SET}));
  EXPECT_EQ(r.Attrs(4).Time(fa::TIME_MODIFY), std::make_pair(int64_t{1234567}, 890u));
  EXPECT_EQ(r.Attrs(4).Time(fa::TIME_ACCESS), std::make_pair(int64_t{42}, 7u));

  // Explicit times only by the owner (or root): PERM for another user even
  // with write permission; "now" is fine for anyone who may write.
  Reply other = Run(set_client, User(2000, 2000));
  EXPECT_EQ(other.op_status(3), st::PERM);
  Compound set_now(1);
  PutPath(set_now, "f").SetAttr(Stateid4(), Fattr().MtimeServer());
  EXPECT_EQ(Run(set_now, User(2000, 2000)).status, st::OK);
}

TEST_F(OpSetAttr, ClientTimeWithBadNanosecondsIsInval) {
  MakeFile("f");
  Compound c(1);
  PutPath(c, "f").SetAttr(Stateid4(), Fattr().MtimeClient(1, 1000000000));
  EXPECT_EQ(Run(c).last_status(), st::INVAL);
}

TEST_F(OpSetAttr, UnsupportedAttributeIsAttrNotSupp) {
  MakeFile("f");
  for (uint32_t attr : std::initializer_list<uint32_t>{fa::ACL, fa::ARCHIVE, fa::HIDDEN,
                                                        fa::MIMETYPE, fa::SYSTEM, 90u}) {
    Compound c(1);
    PutPath(c, "f").SetAttr(Stateid4(), Fattr().U32(attr, 0));
    Reply r = Run(c);
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.last_status(), st::ATTRNOTSUPP) << attr;
    EXPECT_TRUE(r.SetAttr(3).empty());
  }
}

TEST_F(OpSetAttr, ReadOnlyAttributeIsInval) {
  // RFC 8881 section 18.30.3: setting a read-only attribute is
  // NFS4ERR_INVAL.
  MakeFile("f");
  std::vector<std::pair<uint32_t, Bytes>> ro = {
      {fa::TYPE, WireOut().U32(NF4DIR).bytes()},
      {fa::CHANGE, WireOut().U64(5).bytes()},
      {fa::FILEID, WireOut().U64(5).bytes()},
      {fa::NUMLINKS, WireOut().U32(5).bytes()},
      {fa::TIME_MODIFY, WireOut().I64(5).U32(0).bytes()},
      {fa::SUPPORTED_ATTRS, WireOut().Bitmap({1}).bytes()},
  };
  for (const auto& [attr, v] : ro) {
    Compound c(1);
    PutPath(c, "f").SetAttr(Stateid4(), Fattr().Raw(attr, v));
    Reply r = Run(c);
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.last_status(), st::INVAL) << attr;
    EXPECT_TRUE(r.SetAttr(3).empty());
  }
}

TEST_F(OpSetAttr, ModeBeyond07777IsInval) {
  MakeFile("f", "", 0644);
  Compound c(1);
  PutPath(c, "f").SetAttr(Stateid4(), Fattr().Mode(0170644));
  EXPECT_EQ(Run(c).last_status(), st::INVAL);
  EXPECT_EQ(AttrOf("f").mode, 0644u);
}

TEST_F(OpSetAttr, AttrlistNotMatchingBitmapIsBadXdr) {
  MakeFile("f");
  // Bitmap says MODE+SIZE, attrlist holds only a mode.
  WireOut args;
  Stateid4().Encode(args);
  args.Bitmap(Bits({fa::SIZE, fa::MODE})).Opaque(WireOut().U32(0600).bytes());
  Compound c(1);
  PutPath(c, "f").Op(op::SETATTR, args.bytes());
  Reply r = Run(c);
  EXPECT_STATUSES(r, st::OK, st::OK, st::OK, st::BADXDR);
  // Trailing bytes in the attrlist.
  WireOut args2;
  Stateid4().Encode(args2);
  args2.Bitmap(Bits({fa::MODE})).Opaque(WireOut().U32(0600).U32(0).bytes());
  Compound c2(1);
  PutPath(c2, "f").Op(op::SETATTR, args2.bytes());
  EXPECT_EQ(Run(c2).last_status(), st::BADXDR);
}

TEST_F(OpSetAttr, EmptyAttributeSetSucceeds) {
  MakeFile("f");
  Compound c(1);
  PutPath(c, "f").SetAttr(Stateid4(), Fattr());
  Reply r = Run(c, User());
  EXPECT_EQ(r.last_status(), st::OK);
  EXPECT_TRUE(r.SetAttr(3).empty());
}

TEST_F(OpSetAttr, AttrssetPresentWhenRejectedBeforeTheHandler) {
  // RFC 8881 section 18.30.2 / RFC 7530 section 16.32.2: SETATTR4res is
  // { nfsstat4 status; bitmap4 attrsset; } with no union: the bitmap
  // follows every status, including NOFILEHANDLE and OP_NOT_IN_SESSION
  // decided before the operation runs. Without it the reply is not
  // decodable XDR.
  Bytes empty_bitmap = WireOut().Bitmap({}).bytes();
  Reply r40 = RunRaw(Compound(0).SetAttr(Stateid4(), Fattr().Mode(0644)));
  EXPECT_TRUE(r40.parsed) << r40.error;
  EXPECT_STATUSES(r40, st::NOFILEHANDLE);
  EXPECT_EQ(r40.BodyBytes(0), empty_bitmap);
  Reply r41 = Run(Compound(1).SetAttr(Stateid4(), Fattr().Mode(0644)));
  EXPECT_STATUSES(r41, st::OK, st::NOFILEHANDLE);
  Reply nosess = RunRaw(Compound(1).SetAttr(Stateid4(), Fattr().Mode(0644)));
  EXPECT_STATUSES(nosess, st::OP_NOT_IN_SESSION);
}

TEST_F(OpSetAttr, OnAStaleHandle) {
  MakeFile("f");
  Bytes fh = Fh("f");
  ASSERT_TRUE(mem_->Remove(*mem_->Root(), "f").ok());
  Reply r = Run(Compound(1).PutFh(fh).SetAttr(Stateid4(), Fattr().Mode(0600)));
  EXPECT_EQ(r.status, st::STALE);
}

// ---- VERIFY / NVERIFY ----

TEST_F(OpVerify, MatchingAttributesSucceed) {
  MakeFile("f", "12345", 0644, 1000, 1000);
  Compound c(1);
  PutPath(c, "f").Verify(Fattr().Mode(0644).Size(5).Owner("1000")).GetFh();
  Reply r = Run(c);
  EXPECT_STATUSES(r, st::OK, st::OK, st::OK, st::OK, st::OK);
}

TEST_F(OpVerify, DifferentAttributesAreNotSame) {
  MakeFile("f", "12345", 0644);
  Compound c(1);
  PutPath(c, "f").Verify(Fattr().Mode(0600)).GetFh();
  EXPECT_STATUSES(Run(c), st::OK, st::OK, st::OK, st::NOT_SAME);
  Compound c2(1);
  PutPath(c2, "f").Verify(Fattr().Mode(0644).Size(6));
  EXPECT_EQ(Run(c2).last_status(), st::NOT_SAME);
  Compound c3(1);
  PutPath(c3, "f").Verify(Fattr().U32(fa::TYPE, NF4DIR));
  EXPECT_EQ(Run(c3).last_status(), st::NOT_SAME);
}

TEST_F(OpVerify, EmptyAttributeSet) {
  // An empty fattr4 compares equal (VERIFY succeeds, NVERIFY is SAME).
  // Under -fsanitize=undefined this also checks that the comparison does
  // not pass null pointers to memcmp (op_attr.cc CompareAttrs).
  MakeFile("f");
  Compound v(1);
  PutPath(v, "f").Verify(Fattr());
  EXPECT_EQ(Run(v).last_status(), st::OK);
  Compound n(1);
  PutPath(n, "f").NVerify(Fattr());
  EXPECT_EQ(Run(n).last_status(), st::SAME);
}

TEST_F(OpVerify, UnsupportedAttributeIsAttrNotSupp) {
  MakeFile("f");
  Compound c(1);
  PutPath(c, "f").Verify(Fattr().U32(fa::ARCHIVE, 0));
  EXPECT_EQ(Run(c).last_status(), st::ATTRNOTSUPP);
}

TEST_F(OpVerify, RdattrErrorAndWriteOnlyAttributesAreInval) {
  // RFC 8881 section 18.31.3 (rdattr_error), 5.5 (write-only attributes).
  MakeFile("f");
  Compound c(1);
  PutPath(c, "f").Verify(Fattr().U32(fa::RDATTR_ERROR, 0));
  EXPECT_EQ(Run(c).last_status(), st::INVAL);
  Compound c2(1);
  PutPath(c2, "f").Verify(Fattr().MtimeServer());
  EXPECT_EQ(Run(c2).last_status(), st::INVAL);
}

TEST_F(OpNVerify, DifferentAttributesSucceed) {
  MakeFile("f", "12345", 0644);
  Compound c(1);
  PutPath(c, "f").NVerify(Fattr().Size(4)).GetFh();
  EXPECT_STATUSES(Run(c), st::OK, st::OK, st::OK, st::OK, st::OK);
}

TEST_F(OpNVerify, SameAttributesAreSame) {
  MakeFile("f", "12345", 0644);
  Compound c(1);
  PutPath(c, "f").NVerify(Fattr().Size(5).Mode(0644)).GetFh();
  EXPECT_STATUSES(Run(c), st::OK, st::OK, st::OK, st::SAME);
}

TEST_F(OpNVerify, UnsupportedAttributeIsAttrNotSupp) {
  MakeFile("f");
  Compound c(1);
  PutPath(c, "f").NVerify(Fattr().U32(fa::ACL, 0));
  EXPECT_EQ(Run(c).last_status(), st::ATTRNOTSUPP);
}

// ---- ACCESS ----

TEST_F(OpAccess, FileAsOtherUser) {
  MakeFile("f", "", 0644, 0, 0);
  Compound c(1);
  PutPath(c, "f").Access(ACCESS4_READ | ACCESS4_MODIFY | ACCESS4_EXTEND | ACCESS4_EXECUTE);
  Reply r = Run(c, User());
  ASSERT_EQ(r.status, st::OK);
  AccessRes a = r.Access(3);
  EXPECT_EQ(a.supported, ACCESS4_READ | ACCESS4_MODIFY | ACCESS4_EXTEND | ACCESS4_EXECUTE);
  EXPECT_EQ(a.access, ACCESS4_READ);
}

TEST_F(OpAccess, FileAsOwnerAndRoot) {
  MakeFile("f", "", 0600, 1000, 1000);
  Compound c(1);
  PutPath(c, "f").Access(ACCESS4_READ | ACCESS4_MODIFY | ACCESS4_EXTEND | ACCESS4_EXECUTE);
  Reply owner = Run(c, User());
  ASSERT_EQ(owner.status, st::OK);
  EXPECT_EQ(owner.Access(3).access, ACCESS4_READ | ACCESS4_MODIFY | ACCESS4_EXTEND);
  Reply other = Run(c, User(2000, 2000));
  EXPECT_EQ(other.Access(3).access, 0u);
  // Root gets read and write, but not execute of a file without any x bit.
  Reply root = Run(c, Root());
  EXPECT_EQ(root.Access(3).access, ACCESS4_READ | ACCESS4_MODIFY | ACCESS4_EXTEND);
}

TEST_F(OpAccess, Directory) {
  MakeDir("d", 0755, 0, 0);
  Compound c(1);
  PutPath(c, "d").Access(ACCESS4_READ | ACCESS4_LOOKUP | ACCESS4_MODIFY | ACCESS4_EXTEND |
                         ACCESS4_DELETE);
  Reply r = Run(c, User());
  ASSERT_EQ(r.status, st::OK);
  AccessRes a = r.Access(3);
  EXPECT_EQ(a.supported, ACCESS4_READ | ACCESS4_LOOKUP | ACCESS4_MODIFY | ACCESS4_EXTEND |
                             ACCESS4_DELETE);
  EXPECT_EQ(a.access, ACCESS4_READ | ACCESS4_LOOKUP);
  Reply root = Run(c, Root());
  EXPECT_EQ(root.Access(3).access, a.supported);
}

TEST_F(OpAccess, AccessIsASubsetOfSupportedAndOfRequested) {
  // RFC 8881 section 18.1.3: access bits are a subset of supported, which
  // is a subset of what was asked.
  MakeFile("f", "", 0777);
  for (uint32_t ask : std::initializer_list<uint32_t>{0u, ACCESS4_READ, ACCESS4_DELETE | ACCESS4_LOOKUP,
                                                      0x3fu, 0xffffffffu}) {
    Compound c(1);
    PutPath(c, "f").Access(ask);
    Reply r = Run(c, User());
    ASSERT_EQ(r.status, st::OK);
    AccessRes a = r.Access(3);
    EXPECT_EQ(a.supported & ~ask, 0u) << ask;
    EXPECT_EQ(a.access & ~a.supported, 0u) << ask;
  }
}

}  // namespace
}  // namespace elfs::nfs4::test
