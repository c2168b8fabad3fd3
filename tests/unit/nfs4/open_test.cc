// OPEN, CLOSE, OPEN_CONFIRM, OPEN_DOWNGRADE and share reservations
// (RFC 8881 sections 9.7, 18.2, 18.16, 18.18; RFC 7530 sections 9.1.7-9.1.9,
// 16.16-16.19).
#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class OpOpen : public Nfs4Test {};
class OpOpen40 : public Nfs4Test {
 protected:
  // PUTROOTFH, OPEN, GETFH over NFSv4.0.
  Reply Open40(const Client40& c, std::string owner, uint32_t seqid, std::string name,
               uint32_t access = SHARE_ACCESS_READ, bool create = false,
               uint32_t deny = SHARE_DENY_NONE) {
    OpenArgs a;
    a.seqid = seqid;
    a.access = access;
    a.deny = deny;
    a.clientid = c.clientid;
    a.owner = std::move(owner);
    a.create = create;
    a.name = std::move(name);
    return RunRaw(Compound(0).PutRootFh().Open(a).GetFh());
  }
};
class OpClose : public Nfs4Test {};
class OpOpenConfirm : public OpOpen40 {};
class OpOpenDowngrade : public Nfs4Test {};
class ShareReservation : public Nfs4Test {};

// ---- OPEN (4.1) ----

TEST_F(OpOpen, NoCreateOfAnExistingFile) {
  MakeFile("f", "abc", 0644);
  uint64_t dir_change = AttrOf("").change;
  Opened o = Open41("", "f", SHARE_ACCESS_READ);
  ASSERT_EQ(o.status, st::OK);
  EXPECT_EQ(o.stateid.seqid, 1u);  // RFC 8881 section 8.2.2: starts at one
  EXPECT_NE(o.stateid, Stateid4::Anonymous());
  EXPECT_TRUE(o.res.rflags & OPEN4_RESULT_LOCKTYPE_POSIX);
  // RFC 8881 section 18.16.3: OPEN4_RESULT_CONFIRM is never set in 4.1.
  EXPECT_FALSE(o.res.rflags & OPEN4_RESULT_CONFIRM);
  EXPECT_EQ(o.res.delegation_type, OPEN_DELEGATE_NONE);
  EXPECT_EQ(o.res.cinfo.before, dir_change);
  EXPECT_EQ(o.res.cinfo.after, dir_change);
  EXPECT_TRUE(o.res.attrset.empty() || o.res.attrset == std::vector<uint32_t>{0});
  EXPECT_EQ(o.fh, Fh("f"));  // the current filehandle is the file
}

TEST_F(OpOpen, NoCreateOfAMissingFileIsNoEnt) {
  Opened o = Open41("", "missing", SHARE_ACCESS_READ);
  EXPECT_EQ(o.status, st::NOENT);
}

TEST_F(OpOpen, UncheckedCreatesWithModeAndOwner) {
  MakeDir("home", 0755, 1000, 1000);
  Compound c(1);
  PutPath(c, "home").Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "o", .create = true,
                                   .createmode = UNCHECKED4, .attrs = Fattr().Mode(0640),
                                   .name = "new"});
  c.GetAttr(Bits({fa::MODE, fa::OWNER, fa::OWNER_GROUP, fa::SIZE, fa::TYPE}));
  Reply r = Run(c, User());
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK, st::OK);
  OpenRes o = r.Open(3);
  EXPECT_TRUE(HasBit(o.attrset, fa::MODE));
  EXPECT_NE(o.cinfo.before, o.cinfo.after);
  Fattr4 a = r.Attrs(4);
  EXPECT_EQ(a.U32(fa::TYPE), NF4REG);
  EXPECT_EQ(a.U32(fa::MODE), 0640u);
  EXPECT_EQ(a.Str(fa::OWNER), "1000");
  EXPECT_EQ(a.Str(fa::OWNER_GROUP), "1000");
  EXPECT_EQ(a.U64(fa::SIZE), 0u);
}

TEST_F(OpOpen, CreatorMayWriteThroughAReadOnlyMode) {
  // A file created with mode 0444 is still writable through the open that
  // created it (knfsd's owner override, authz/posix.h).
  MakeDir("home", 0755, 1000, 1000);
  Compound c(1);
  PutPath(c, "home").Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "o", .create = true,
                                   .attrs = Fattr().Mode(0444), .name = "ro"});
  c.Write(Stateid4::Current(), 0, FILE_SYNC4, ToBytes("data"));
  Reply r = Run(c, User());
  EXPECT_STATUSES(r, st::OK, st::OK, st::OK, st::OK, st::OK);
  EXPECT_EQ(Content("home/ro"), "data");
}

TEST_F(OpOpen, UncheckedOfAnExistingFileOpensItAndAppliesSize) {
  MakeFile("f", "0123456789", 0666);
  Compound c(1);
  c.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "o", .create = true,
                              .createmode = UNCHECKED4, .attrs = Fattr().Size(0), .name = "f"});
  Reply r = Run(c);
  ASSERT_EQ(r.status, st::OK);
  EXPECT_TRUE(HasBit(r.Open(2).attrset, fa::SIZE));
  EXPECT_EQ(AttrOf("f").size, 0u);
}

TEST_F(OpOpen, UncheckedOfAnExistingFileIgnoresAttributesButSizeZero) {
  // RFC 8881 section 18.16.3: "When an UNCHECKED4 create encounters an
  // existing file, the attributes specified by createattrs are not used,
  // except that when createattrs specifies the size attribute with a size
  // of zero, the existing file is truncated." (POSIX open(O_CREAT) of an
  // existing file does not chmod it either.)
  MakeFile("f", "0123456789", 0644, 1000, 1000);
  Compound c(1);
  c.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "o", .create = true,
                              .createmode = UNCHECKED4,
                              .attrs = Fattr().Mode(0600).MtimeClient(77, 0), .name = "f"});
  Reply r = Run(c, User());
  ASSERT_EQ(r.status, st::OK);
  EXPECT_FALSE(HasBit(r.Open(2).attrset, fa::MODE));
  EXPECT_EQ(AttrOf("f").mode, 0644u) << "an existing file was chmod-ed by OPEN";
  EXPECT_NE(AttrOf("f").mtime.sec, 77);
  // A non-zero size is not applied either.
  Compound sz(1);
  sz.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "o", .create = true,
                               .createmode = UNCHECKED4, .attrs = Fattr().Size(3), .name = "f"});
  ASSERT_EQ(Run(sz, User()).status, st::OK);
  EXPECT_EQ(AttrOf("f").size, 10u) << "a non-zero size was applied to an existing file";
}

TEST_F(OpOpen, DelegationWishesGetNoneExt) {
  // SPEC section 2: no delegations. RFC 8881 section 18.16.3: a 4.1 client
  // that states a wish (OPEN4_SHARE_ACCESS_WANT_*) is answered with
  // OPEN_DELEGATE_NONE_EXT and a reason; without a wish, OPEN_DELEGATE_NONE.
  MakeFile("f", "", 0666);
  constexpr uint32_t kWantNoDeleg = 0x0400, kWantReadDeleg = 0x0100;
  for (uint32_t want : {0u, kWantNoDeleg, kWantReadDeleg}) {
    Compound c(1);
    c.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_READ | want,
                                .owner = "w" + std::to_string(want), .name = "f"});
    Reply r = Run(c);
    ASSERT_TRUE(r.parsed) << r.error;
    ASSERT_EQ(r.status, st::OK) << want;
    WireIn b = r.Body(2);
    Stateid4::Decode(b);
    b.Bool();
    b.U64();
    b.U64();
    b.U32();
    b.Bitmap();
    uint32_t type = b.U32();
    if (want == 0) {
      EXPECT_EQ(type, OPEN_DELEGATE_NONE);
    } else {
      EXPECT_EQ(type, OPEN_DELEGATE_NONE_EXT) << want;
      uint32_t why = b.U32();
      if (want == kWantNoDeleg) {
        EXPECT_EQ(why, 0u /* WND4_NOT_WANTED */);
      }
    }
  }
  // 4.0 has no such bits: NFS4ERR_INVAL.
  Client40 c40 = NewClient40("c40");
  OpenArgs a{.seqid = 1, .access = SHARE_ACCESS_READ | kWantNoDeleg, .clientid = c40.clientid,
             .owner = "o", .name = "f"};
  EXPECT_EQ(RunRaw(Compound(0).PutRootFh().Open(a)).last_status(), st::INVAL);
}

TEST_F(OpOpen, OfARemovedFileByHandleIsStale) {
  MakeFile("f", "", 0666);
  Bytes fh = Fh("f");
  ASSERT_TRUE(mem_->Remove(*mem_->Root(), "f").ok());
  Compound c(1);
  c.PutFh(fh).Open(OpenArgs{.access = SHARE_ACCESS_READ, .owner = "fh", .claim = CLAIM_FH});
  EXPECT_EQ(Run(c).status, st::STALE);
}

TEST_F(OpOpen, ExpiredClientsShareReservationYieldsToOthers) {
  // RFC 8881 section 8.4.3 (courtesy): state of a client whose lease ran
  // out is kept only until another client needs it.
  MakeFile("f", "", 0666);
  Session41 a = NewSession("sleepy");
  Compound oa(1);
  oa.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_READ, .deny = SHARE_DENY_WRITE,
                               .owner = "a", .name = "f"});
  ASSERT_EQ(Run41(a, oa).status, st::OK);
  Session41 b = NewSession("awake");
  Compound ob(1);
  ob.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_WRITE, .owner = "b", .name = "f"});
  EXPECT_EQ(Run41(b, ob).last_status(), st::SHARE_DENIED);  // a's lease is alive
  clock_.Advance(std::chrono::seconds(200));
  EXPECT_EQ(Run41(b, ob).status, st::OK);
}

TEST_F(OpOpen, CurrentStateidAfterCloseIsNotUsable) {
  // RFC 8881 section 18.2.4: CLOSE sets the current stateid to the invalid
  // special stateid, which section 8.2.3 says gets NFS4ERR_BAD_STATEID.
  MakeFile("f", "abc", 0666);
  Compound c(1);
  c.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_READ, .owner = "cc", .name = "f"});
  c.Close(0, Stateid4::Current()).Read(Stateid4::Current(), 0, 3);
  Reply r = Run(c);
  EXPECT_STATUSES(r, st::OK, st::OK, st::OK, st::OK, st::BAD_STATEID);
}

TEST_F(OpOpen, GuardedOfAnExistingFileIsExist) {
  MakeFile("f", "keep", 0666);
  Compound c(1);
  c.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "o", .create = true,
                              .createmode = GUARDED4, .attrs = Fattr().Size(0), .name = "f"});
  EXPECT_STATUSES(Run(c), st::OK, st::OK, st::EXIST);
  EXPECT_EQ(Content("f"), "keep");
  Compound n(1);
  n.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "o", .create = true,
                              .createmode = GUARDED4, .name = "g"});
  EXPECT_EQ(Run(n).status, st::OK);
  EXPECT_TRUE(Resolve("g").has_value());
}

TEST_F(OpOpen, Exclusive4RetransmissionAndConflict) {
  // RFC 8881 section 18.16.3: a retransmitted exclusive create (same
  // verifier) succeeds; another verifier on an existing file is EXIST.
  for (uint32_t mode : {EXCLUSIVE4, EXCLUSIVE4_1}) {
    std::string name = "x" + std::to_string(mode);
    OpenArgs a{.access = SHARE_ACCESS_BOTH, .owner = "o" + name, .create = true,
               .createmode = mode, .verifier = {1, 2, 3, 4, 5, 6, 7, 8}, .name = name};
    Compound c(1);
    c.PutRootFh().Open(a).GetFh();
    Reply first = Run(c);
    ASSERT_EQ(first.status, st::OK) << mode;
    Reply again = Run(c);
    ASSERT_EQ(again.status, st::OK) << mode;
    EXPECT_EQ(again.Fh(3), first.Fh(3));
    a.verifier = {8, 7, 6, 5, 4, 3, 2, 1};
    Compound other(1);
    other.PutRootFh().Open(a);
    EXPECT_EQ(Run(other).last_status(), st::EXIST) << mode;
  }
}

TEST_F(OpOpen, ExclusiveRetransmissionByAnotherUserIsPermissionChecked) {
  // A matching verifier makes OPEN treat the request as a retransmission
  // of the creator's exclusive create. That must not hand another user an
  // open of a file whose mode denies them access: the verifier is no
  // credential (it is visible on the wire, and op_open.cc keeps it in the
  // atime/mtime seconds, which any user can read with GETATTR). Only the
  // creator gets knfsd's owner override (authz/posix.h).
  MakeDir("shared", 0777);
  const Verifier8 verf{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x08};
  for (uint32_t mode : {EXCLUSIVE4, EXCLUSIVE4_1}) {
    std::string name = "secret" + std::to_string(mode);
    OpenArgs a{.access = SHARE_ACCESS_BOTH, .owner = "creator", .create = true,
               .createmode = mode, .verifier = verf, .name = name};
    if (mode == EXCLUSIVE4_1) a.attrs = Fattr().Mode(0600);
    Compound create(1);
    PutPath(create, "shared").Open(a);
    ASSERT_EQ(Run(create, User(2000, 2000)).status, st::OK) << mode;
    if (mode == EXCLUSIVE4) {
      // 4.0-style exclusive create: the client sets the mode afterwards.
      ASSERT_TRUE(mem_->SetAttr(*Resolve("shared/" + name), vfs::SetAttrs{.mode = 0600})
                      .has_value());
    }
    ASSERT_EQ(AttrOf("shared/" + name).mode, 0600u);

    a.owner = "intruder";
    Compound steal(1);
    PutPath(steal, "shared").Open(a).Write(Stateid4::Current(), 0, FILE_SYNC4, ToBytes("owned"));
    Reply r = Run(steal, User(1000, 1000));
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_NE(r.op_status(3), st::OK) << "uid 1000 opened uid 2000's 0600 file (mode " << mode << ")";
    EXPECT_EQ(AttrOf("shared/" + name).size, 0u);
  }
}

TEST_F(OpOpen, Exclusive4_1AppliesItsAttributes) {
  Compound c(1);
  c.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "o", .create = true,
                              .createmode = EXCLUSIVE4_1, .attrs = Fattr().Mode(0604),
                              .verifier = {9, 9, 9, 9, 9, 9, 9, 9}, .name = "e"});
  Reply r = Run(c);
  ASSERT_EQ(r.status, st::OK);
  EXPECT_EQ(AttrOf("e").mode, 0604u);
}

TEST_F(OpOpen, Exclusive4_1WithAttributeOutsideSuppattrExclcreatIsInval) {
  // RFC 8881 sections 5.8.1.14 and 18.16.3: cva_attrs may only hold
  // attributes of suppattr_exclcreat (which here excludes the times, where
  // the verifier lives); anything else is NFS4ERR_INVAL.
  Reply s = Run(Compound(1).PutRootFh().GetAttr(Bits({fa::SUPPATTR_EXCLCREAT})));
  ASSERT_EQ(s.status, st::OK);
  std::vector<uint32_t> excl = s.Attrs(2).Bitmap(fa::SUPPATTR_EXCLCREAT);
  ASSERT_FALSE(HasBit(excl, fa::TIME_MODIFY_SET));
  Compound c(1);
  c.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "o", .create = true,
                              .createmode = EXCLUSIVE4_1,
                              .attrs = Fattr().MtimeClient(1000, 0),
                              .verifier = {5, 5, 5, 5, 5, 5, 5, 5}, .name = "bad"});
  EXPECT_EQ(Run(c).last_status(), st::INVAL);
}

TEST_F(OpOpen, OfNonRegularObjects) {
  // RFC 8881 section 18.16.3: ISDIR for a directory, SYMLINK for a
  // symlink, WRONG_TYPE for other types (4.1).
  MakeDir("d");
  MakeSymlink("l", "d");
  ASSERT_EQ(Run(Compound(1).PutRootFh().CreateType(NF4FIFO, "p")).status, st::OK);
  EXPECT_EQ(Open41("", "d", SHARE_ACCESS_READ).status, st::ISDIR);
  EXPECT_EQ(Open41("", "l", SHARE_ACCESS_READ).status, st::SYMLINK);
  EXPECT_EQ(Open41("", "p", SHARE_ACCESS_READ).status, st::WRONG_TYPE);
}

TEST_F(OpOpen, InAFileIsNotDir) {
  MakeFile("f");
  EXPECT_EQ(Open41("f", "x", SHARE_ACCESS_READ).status, st::NOTDIR);
}

TEST_F(OpOpen, BadNames) {
  EXPECT_EQ(Open41("", "", SHARE_ACCESS_READ).status, st::INVAL);
  EXPECT_EQ(Open41("", ".", SHARE_ACCESS_READ).status, st::BADNAME);
  EXPECT_EQ(Open41("", "..", SHARE_ACCESS_READ, 0, "o", true).status, st::BADNAME);
  EXPECT_EQ(Open41("", std::string(256, 'o'), SHARE_ACCESS_READ, 0, "o", true).status,
            st::NAMETOOLONG);
}

TEST_F(OpOpen, BadShareValuesAreInval) {
  MakeFile("f", "", 0666);
  EXPECT_EQ(Open41("", "f", 0).status, st::INVAL);
  EXPECT_EQ(Open41("", "f", 4).status, st::INVAL);
  EXPECT_EQ(Open41("", "f", SHARE_ACCESS_READ, 4).status, st::INVAL);
}

TEST_F(OpOpen, PermissionChecks) {
  MakeFile("secret", "s", 0600, 0, 0);
  MakeFile("readonly", "r", 0644, 0, 0);
  MakeFile("prog", "p", 0711, 0, 0);
  EXPECT_EQ(Open41("", "secret", SHARE_ACCESS_READ, 0, "u", false, User()).status, st::ACCESS);
  EXPECT_EQ(Open41("", "readonly", SHARE_ACCESS_READ, 0, "u", false, User()).status, st::OK);
  EXPECT_EQ(Open41("", "readonly", SHARE_ACCESS_WRITE, 0, "u", false, User()).status, st::ACCESS);
  // A read of a file the caller may only execute is allowed (knfsd,
  // authz/posix.h read_if_exec).
  EXPECT_EQ(Open41("", "prog", SHARE_ACCESS_READ, 0, "u", false, User()).status, st::OK);
  // Creating needs write permission on the directory.
  EXPECT_EQ(Open41("", "new", SHARE_ACCESS_BOTH, 0, "u", true, User()).status, st::ACCESS);
  EXPECT_FALSE(Resolve("new").has_value());
}

TEST_F(OpOpen, ClaimFhOpensTheCurrentFile) {
  MakeFile("f", "claim", 0666);
  Bytes fh = Fh("f");
  Compound c(1);
  c.PutFh(fh).Open(OpenArgs{.access = SHARE_ACCESS_READ, .owner = "fh", .claim = CLAIM_FH});
  c.Read(Stateid4::Current(), 0, 10);
  Reply r = Run(c);
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK);
  EXPECT_EQ(r.Read(3).data, ToBytes("claim"));
}

TEST_F(OpOpen, ClaimFhWithCreateIsInval) {
  MakeFile("f", "", 0666);
  Compound c(1);
  c.PutFh(Fh("f")).Open(OpenArgs{.access = SHARE_ACCESS_READ, .owner = "fh", .create = true,
                                 .claim = CLAIM_FH});
  EXPECT_EQ(Run(c).last_status(), st::INVAL);
}

TEST_F(OpOpen, ClaimPreviousOutsideGraceIsNoGrace) {
  MakeFile("f", "", 0666);
  Compound c(1);
  c.PutFh(Fh("f")).Open(OpenArgs{.access = SHARE_ACCESS_READ, .owner = "p",
                                 .claim = CLAIM_PREVIOUS});
  EXPECT_EQ(Run(c).last_status(), st::NO_GRACE);
}

TEST_F(OpOpen, SameOwnerOpenUpgradesTheStateid) {
  MakeFile("f", "", 0666);
  Opened r = Open41("", "f", SHARE_ACCESS_READ, 0, "up");
  Opened w = Open41("", "f", SHARE_ACCESS_WRITE, 0, "up");
  ASSERT_EQ(r.status, st::OK);
  ASSERT_EQ(w.status, st::OK);
  EXPECT_EQ(w.stateid.other, r.stateid.other);
  EXPECT_EQ(w.stateid.seqid, r.stateid.seqid + 1);
  // The upgraded stateid now allows writes.
  EXPECT_EQ(Run(Compound(1).PutFh(w.fh).Write(w.stateid, 0, FILE_SYNC4, ToBytes("u"))).status,
            st::OK);
}

TEST_F(OpOpen, TestStateidSeesOpenState) {
  MakeFile("f", "", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_READ, 0, "t");
  ASSERT_EQ(o.status, st::OK);
  Stateid4 old = o.stateid;
  Stateid4 bogus = o.stateid;
  bogus.other[5] ^= 1;
  Reply r = Run(Compound(1).TestStateid({o.stateid, Stateid4::Anonymous(), bogus}));
  ASSERT_EQ(r.status, st::OK);
  std::vector<uint32_t> res = r.TestStateid(1);
  ASSERT_EQ(res.size(), 3u);
  EXPECT_EQ(res[0], st::OK);
  EXPECT_NE(res[1], st::OK);  // a special stateid is no state of this client
  EXPECT_NE(res[2], st::OK);
  ASSERT_EQ(Run(Compound(1).PutFh(o.fh).Close(0, o.stateid)).status, st::OK);
  Reply after = Run(Compound(1).TestStateid({old}));
  ASSERT_EQ(after.status, st::OK);
  EXPECT_EQ(after.TestStateid(1).at(0), st::BAD_STATEID);
}

TEST_F(OpOpen, StateidsOfAnotherClientAreNotVisibleToTestStateid) {
  MakeFile("f", "", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_READ, 0, "t");
  ASSERT_EQ(o.status, st::OK);
  Session41 other = NewSession("other-client");
  Reply r = Run41(other, Compound(1).TestStateid({o.stateid}));
  ASSERT_EQ(r.status, st::OK);
  EXPECT_EQ(r.TestStateid(1).at(0), st::BAD_STATEID);
}

// ---- CLOSE ----

TEST_F(OpClose, ThenUseIsBadStateid) {
  MakeFile("f", "abc", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_BOTH);
  ASSERT_EQ(o.status, st::OK);
  Reply c = Run(Compound(1).PutFh(o.fh).Close(0, o.stateid));
  ASSERT_STATUSES(c, st::OK, st::OK, st::OK);
  EXPECT_EQ(c.StateidRes(2), Stateid4::Invalid());
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).Write(o.stateid, 0, FILE_SYNC4, ToBytes("x"))).last_status(),
            st::BAD_STATEID);
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).Close(0, o.stateid)).last_status(), st::BAD_STATEID);
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).OpenDowngrade(o.stateid, 0, SHARE_ACCESS_READ, 0))
                .last_status(),
            st::BAD_STATEID);
}

TEST_F(OpClose, SpecialStateidsAreBadStateid) {
  MakeFile("f", "abc", 0666);
  Bytes fh = Fh("f");
  for (const Stateid4& s : {Stateid4::Anonymous(), Stateid4::Bypass()}) {
    EXPECT_EQ(Run(Compound(1).PutFh(fh).Close(0, s)).last_status(), st::BAD_STATEID);
  }
}

TEST_F(OpClose, OldSeqidIsOldStateid) {
  MakeFile("f", "abc", 0666);
  Opened a = Open41("", "f", SHARE_ACCESS_READ, 0, "same");
  Opened b = Open41("", "f", SHARE_ACCESS_BOTH, 0, "same");
  ASSERT_EQ(b.status, st::OK);
  EXPECT_EQ(Run(Compound(1).PutFh(a.fh).Close(0, a.stateid)).last_status(), st::OLD_STATEID);
  EXPECT_EQ(Run(Compound(1).PutFh(a.fh).Close(0, b.stateid)).last_status(), st::OK);
}

// ---- OPEN_DOWNGRADE ----

TEST_F(OpOpenDowngrade, ToReadOnly) {
  // RFC 7530 section 16.19.4 / RFC 8881 section 18.18.3: the new modes
  // must be those of OPENs this owner did: open for read, then for write
  // (upgrading to both), then downgrade back to read.
  MakeFile("f", "abc", 0666);
  ASSERT_EQ(Open41("", "f", SHARE_ACCESS_READ).status, st::OK);
  Opened o = Open41("", "f", SHARE_ACCESS_WRITE);
  ASSERT_EQ(o.status, st::OK);
  Reply d = Run(Compound(1).PutFh(o.fh).OpenDowngrade(o.stateid, 0, SHARE_ACCESS_READ, 0));
  ASSERT_STATUSES(d, st::OK, st::OK, st::OK);
  Stateid4 down = d.StateidRes(2);
  EXPECT_EQ(down.other, o.stateid.other);
  EXPECT_EQ(down.seqid, o.stateid.seqid + 1);
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).Write(down, 0, FILE_SYNC4, ToBytes("x"))).last_status(),
            st::OPENMODE);
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).Read(down, 0, 3)).last_status(), st::OK);
}

TEST_F(OpOpenDowngrade, ToAModeNeverOpenedIsInval) {
  MakeFile("f", "abc", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_BOTH);
  ASSERT_EQ(o.status, st::OK);
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).OpenDowngrade(o.stateid, 0, SHARE_ACCESS_READ, 0))
                .last_status(),
            st::INVAL);
}

TEST_F(OpOpenDowngrade, ToModesNotHeldIsInval) {
  // RFC 8881 section 18.18.3: access and deny must be subsets of what the
  // open holds.
  MakeFile("f", "abc", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_READ);
  ASSERT_EQ(o.status, st::OK);
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).OpenDowngrade(o.stateid, 0, SHARE_ACCESS_WRITE, 0))
                .last_status(),
            st::INVAL);
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).OpenDowngrade(o.stateid, 0, SHARE_ACCESS_READ,
                                                    SHARE_DENY_WRITE))
                .last_status(),
            st::INVAL);
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).OpenDowngrade(o.stateid, 0, 0, 0)).last_status(),
            st::INVAL);
}

// ---- share reservations ----

TEST_F(ShareReservation, DenyWriteBlocksWritersOfOtherOwners) {
  MakeFile("f", "abc", 0666);
  Opened a = Open41("", "f", SHARE_ACCESS_READ, SHARE_DENY_WRITE, "owner-a");
  ASSERT_EQ(a.status, st::OK);
  EXPECT_EQ(Open41("", "f", SHARE_ACCESS_WRITE, 0, "owner-b").status, st::SHARE_DENIED);
  EXPECT_EQ(Open41("", "f", SHARE_ACCESS_BOTH, 0, "owner-b").status, st::SHARE_DENIED);
  EXPECT_EQ(Open41("", "f", SHARE_ACCESS_READ, 0, "owner-b").status, st::OK);
  // Another client is refused too.
  Session41 other = NewSession("other-client");
  Compound c(1);
  c.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_WRITE, .owner = "x", .name = "f"});
  EXPECT_EQ(Run41(other, c).last_status(), st::SHARE_DENIED);
  // Once A closes, B may write.
  ASSERT_EQ(Run(Compound(1).PutFh(a.fh).Close(0, a.stateid)).status, st::OK);
  EXPECT_EQ(Open41("", "f", SHARE_ACCESS_WRITE, 0, "owner-b").status, st::OK);
}

TEST_F(ShareReservation, DenyConflictsWithExistingAccess) {
  MakeFile("f", "abc", 0666);
  ASSERT_EQ(Open41("", "f", SHARE_ACCESS_READ, 0, "reader").status, st::OK);
  EXPECT_EQ(Open41("", "f", SHARE_ACCESS_WRITE, SHARE_DENY_READ, "writer").status,
            st::SHARE_DENIED);
  EXPECT_EQ(Open41("", "f", SHARE_ACCESS_WRITE, SHARE_DENY_WRITE, "writer").status, st::OK);
}

TEST_F(ShareReservation, AnOwnersOwnDenyModesCountToo) {
  // RFC 7530 section 16.16.5 (kept by RFC 8881): an open-owner holding
  // deny-write that asks for write access is refused like anyone else
  // (state_manager.cc ShareConflict); compatible modes upgrade its open.
  MakeFile("f", "abc", 0666);
  ASSERT_EQ(Open41("", "f", SHARE_ACCESS_READ, SHARE_DENY_WRITE, "solo").status, st::OK);
  EXPECT_EQ(Open41("", "f", SHARE_ACCESS_WRITE, 0, "solo").status, st::SHARE_DENIED);
  MakeFile("g", "abc", 0666);
  ASSERT_EQ(Open41("", "g", SHARE_ACCESS_READ, SHARE_DENY_NONE, "duo").status, st::OK);
  EXPECT_EQ(Open41("", "g", SHARE_ACCESS_WRITE, SHARE_DENY_NONE, "duo").status, st::OK);
}

// ---- NFSv4.0 open-owner seqids (RFC 7530 section 9.1.7) ----

TEST_F(OpOpen40, UnknownOrUnconfirmedClientIsStaleClientid) {
  MakeFile("f", "", 0666);
  Client40 unknown{0x1234};
  EXPECT_EQ(Open40(unknown, "o", 1, "f").op_status(1), st::STALE_CLIENTID);
  Verifier8 v{4, 4, 4, 4, 4, 4, 4, 4};
  Reply s = RunRaw(Compound(0).SetClientId(v, "never-confirmed"));
  ASSERT_EQ(s.status, st::OK);
  Client40 unconfirmed{s.SetClientId(0).clientid};
  EXPECT_EQ(Open40(unconfirmed, "o", 1, "f").op_status(1), st::STALE_CLIENTID);
}

TEST_F(OpOpen40, SeqidMustAdvanceByOne) {
  MakeFile("f", "", 0666);
  MakeFile("g", "", 0666);
  Client40 c = NewClient40("c40");
  Reply first = Open40(c, "o", 10, "f");
  ASSERT_EQ(first.status, st::OK);
  ASSERT_EQ(RunRaw(Compound(0).PutFh(first.Fh(2)).OpenConfirm(first.Open(1).stateid, 11)).status,
            st::OK);
  EXPECT_EQ(Open40(c, "o", 13, "g").op_status(1), st::BAD_SEQID);  // skips one
  EXPECT_EQ(Open40(c, "o", 5, "g").op_status(1), st::BAD_SEQID);   // from the past
  EXPECT_EQ(Open40(c, "o", 12, "g").status, st::OK);
}

TEST_F(OpOpen40, ErrorsAfterTheSeqidCheckConsumeIt) {
  // RFC 7530 section 9.1.7: any error except the few listed there
  // (BAD_SEQID, STALE_CLIENTID, BADXDR ...) advances the seqid.
  MakeFile("f", "", 0666);
  Client40 c = NewClient40("c40");
  Reply first = Open40(c, "o", 1, "f");
  ASSERT_EQ(first.status, st::OK);
  ASSERT_EQ(RunRaw(Compound(0).PutFh(first.Fh(2)).OpenConfirm(first.Open(1).stateid, 2)).status,
            st::OK);
  EXPECT_EQ(Open40(c, "o", 3, "missing").op_status(1), st::NOENT);
  EXPECT_EQ(Open40(c, "o", 9, "f").op_status(1), st::BAD_SEQID);  // does not consume
  EXPECT_EQ(Open40(c, "o", 4, "f").status, st::OK);
}

TEST_F(OpOpen40, RetransmissionOfTheLastRequestIsAnsweredFromTheReplyCache) {
  // RFC 7530 section 9.1.7: "If a duplicate of the last request (r == L)
  // is received, the stored response is returned." Only r < L or r > L+1
  // are NFS4ERR_BAD_SEQID.
  MakeFile("f", "", 0666);
  Client40 c = NewClient40("c40");
  Reply first = Open40(c, "o", 1, "f");
  ASSERT_EQ(first.status, st::OK);
  ASSERT_EQ(RunRaw(Compound(0).PutFh(first.Fh(2)).OpenConfirm(first.Open(1).stateid, 2)).status,
            st::OK);
  Reply open = Open40(c, "o", 3, "f", SHARE_ACCESS_BOTH);
  ASSERT_EQ(open.status, st::OK);
  Reply again = Open40(c, "o", 3, "f", SHARE_ACCESS_BOTH);
  EXPECT_EQ(again.op_status(1), st::OK) << "a retransmitted OPEN must not be BAD_SEQID";
  if (again.status == st::OK) {
    EXPECT_EQ(again.Open(1).stateid, open.Open(1).stateid);
  }
}

TEST_F(OpOpen40, StateidFromBeforeARestartIsStale) {
  MakeFile("f", "abc", 0666);
  Client40 c = NewClient40("c40");
  Reply first = Open40(c, "o", 1, "f");
  ASSERT_EQ(first.status, st::OK);
  Bytes fh = first.Fh(2);
  Reply conf = RunRaw(Compound(0).PutFh(fh).OpenConfirm(first.Open(1).stateid, 2));
  ASSERT_EQ(conf.status, st::OK);
  Stateid4 sid = conf.StateidRes(1);
  Restart();
  // RFC 7530 section 9.1.4.3: a stateid of an earlier server instance is
  // NFS4ERR_STALE_STATEID; the client id likewise STALE_CLIENTID.
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).Read(sid, 0, 3)).last_status(), st::STALE_STATEID);
  EXPECT_EQ(RunRaw(Compound(0).Renew(c.clientid)).last_status(), st::STALE_CLIENTID);
}

TEST_F(OpOpen40, CloseChecksTheSeqid) {
  MakeFile("f", "abc", 0666);
  Client40 c = NewClient40("c40");
  Reply first = Open40(c, "o", 1, "f");
  ASSERT_EQ(first.status, st::OK);
  Bytes fh = first.Fh(2);
  Reply conf = RunRaw(Compound(0).PutFh(fh).OpenConfirm(first.Open(1).stateid, 2));
  ASSERT_EQ(conf.status, st::OK);
  Stateid4 sid = conf.StateidRes(1);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).Close(7, sid)).last_status(), st::BAD_SEQID);
  Reply closed = RunRaw(Compound(0).PutFh(fh).Close(3, sid));
  ASSERT_EQ(closed.status, st::OK);
  EXPECT_EQ(closed.StateidRes(1).other, sid.other);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).Read(sid, 0, 3)).last_status(), st::BAD_STATEID);
}

TEST_F(OpOpen40, DowngradeChecksTheSeqid) {
  MakeFile("f", "abc", 0666);
  Client40 c = NewClient40("c40");
  Reply first = Open40(c, "o", 1, "f", SHARE_ACCESS_READ);
  ASSERT_EQ(first.status, st::OK);
  Bytes fh = first.Fh(2);
  Reply conf = RunRaw(Compound(0).PutFh(fh).OpenConfirm(first.Open(1).stateid, 2));
  ASSERT_EQ(conf.status, st::OK);
  Reply up = Open40(c, "o", 3, "f", SHARE_ACCESS_WRITE);
  ASSERT_EQ(up.status, st::OK);
  Stateid4 sid = up.Open(1).stateid;
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).OpenDowngrade(sid, 9, SHARE_ACCESS_READ, 0)).last_status(),
            st::BAD_SEQID);
  Reply d = RunRaw(Compound(0).PutFh(fh).OpenDowngrade(sid, 4, SHARE_ACCESS_READ, 0));
  ASSERT_EQ(d.status, st::OK);
  EXPECT_EQ(d.StateidRes(1).seqid, sid.seqid + 1);
}

// ---- OPEN_CONFIRM (4.0) ----

TEST_F(OpOpenConfirm, FirstOpenNeedsConfirmation) {
  MakeFile("f", "abc", 0666);
  Client40 c = NewClient40("c40");
  Reply first = Open40(c, "o", 1, "f");
  ASSERT_EQ(first.status, st::OK);
  OpenRes o = first.Open(1);
  EXPECT_TRUE(o.rflags & OPEN4_RESULT_CONFIRM);
  Bytes fh = first.Fh(2);
  // Unconfirmed: the stateid is not usable yet (RFC 7530 section 16.18.5).
  EXPECT_EQ(RunRaw(Compound(0).PutFh(fh).Read(o.stateid, 0, 3)).last_status(), st::BAD_STATEID);
  Reply conf = RunRaw(Compound(0).PutFh(fh).OpenConfirm(o.stateid, 2));
  ASSERT_STATUSES(conf, st::OK, st::OK);
  Stateid4 confirmed = conf.StateidRes(1);
  EXPECT_EQ(confirmed.other, o.stateid.other);
  EXPECT_EQ(confirmed.seqid, o.stateid.seqid + 1);
  Reply rd = RunRaw(Compound(0).PutFh(fh).Read(confirmed, 0, 3));
  ASSERT_EQ(rd.status, st::OK);
  EXPECT_EQ(rd.Read(1).data, ToBytes("abc"));
  // A later OPEN of the confirmed owner needs no confirmation.
  Reply second = Open40(c, "o", 3, "f");
  ASSERT_EQ(second.status, st::OK);
  EXPECT_FALSE(second.Open(1).rflags & OPEN4_RESULT_CONFIRM);
}

TEST_F(OpOpenConfirm, WrongSeqidIsBadSeqid) {
  MakeFile("f", "abc", 0666);
  Client40 c = NewClient40("c40");
  Reply first = Open40(c, "o", 1, "f");
  ASSERT_EQ(first.status, st::OK);
  Reply conf = RunRaw(Compound(0).PutFh(first.Fh(2)).OpenConfirm(first.Open(1).stateid, 5));
  EXPECT_STATUSES(conf, st::OK, st::BAD_SEQID);
}

TEST_F(OpOpenConfirm, BadStateidIsRejected) {
  MakeFile("f", "abc", 0666);
  Client40 c = NewClient40("c40");
  Reply first = Open40(c, "o", 1, "f");
  ASSERT_EQ(first.status, st::OK);
  Stateid4 bogus = first.Open(1).stateid;
  bogus.seqid += 3;
  Reply conf = RunRaw(Compound(0).PutFh(first.Fh(2)).OpenConfirm(bogus, 2));
  EXPECT_EQ(conf.last_status(), st::BAD_STATEID);
  EXPECT_EQ(RunRaw(Compound(0).PutFh(first.Fh(2)).OpenConfirm(Stateid4::Anonymous(), 2))
                .last_status(),
            st::BAD_STATEID);
}

}  // namespace
}  // namespace elfs::nfs4::test
