// The opt-in NFSv4.2 (Nfs4Options::max_minor_version = 2): COMPOUNDs at
// minor version 2, ALLOCATE (RFC 7862 section 15.1), NOTSUPP for the other
// 4.2 operations and the xattr_support attribute (RFC 8276 section 8.1).
// Without the opt-in, minor version 2 is a mismatch (compound_test.cc).
#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class Minor2 : public Nfs4Test {
 protected:
  void SetUp() override {
    options_.max_minor_version = 2;
    Restart(std::chrono::seconds(0));
  }

  // `body` at minor version 2 after a SEQUENCE in the default session.
  Reply Run42(const Compound& body, const authz::Identity& who = Root()) {
    Compound c(2);
    Session41& s = session();
    c.Sequence(s.id, ++s.slot_seq.at(0), 0, static_cast<uint32_t>(s.slot_seq.size() - 1), false);
    c.Append(body);
    return RunRaw(c, who);
  }

  static Compound Allocate(std::span<const uint8_t> fh, const Stateid4& sid, uint64_t offset,
                           uint64_t length) {
    WireOut w;
    sid.Encode(w);
    w.U64(offset).U64(length);
    Compound c(2);
    c.PutFh(fh).Op(op::ALLOCATE, w.bytes());
    return c;
  }
};

TEST_F(Minor2, EmptyCompoundAndSessionWork) {
  Reply r = RunRaw(Compound(2, "v42"));
  EXPECT_EQ(r.status, st::OK);
  EXPECT_EQ(r.tag, "v42");
  Reply s = Run42(Compound(2).PutRootFh().GetFh());
  EXPECT_EQ(s.status, st::OK);
  // Above the opt-in is still a mismatch.
  EXPECT_EQ(RunRaw(Compound(3)).status, st::MINOR_VERS_MISMATCH);
}

TEST_F(Minor2, AllocateGrowsTheFileAndReadsZeros) {
  MakeFile("f", "abc", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_BOTH);
  ASSERT_EQ(o.status, st::OK);
  Reply r = Run42(Allocate(o.fh, o.stateid, 0, 1));
  EXPECT_STATUSES(r, st::OK, st::OK, st::OK);
  EXPECT_EQ(AttrOf("f").size, 3u);  // inside the file: the size stays
  r = Run42(Allocate(o.fh, o.stateid, 4096, 8192));
  EXPECT_STATUSES(r, st::OK, st::OK, st::OK);
  EXPECT_EQ(AttrOf("f").size, 4096u + 8192u);
  EXPECT_EQ(Content("f"), "abc" + std::string(4096 + 8192 - 3, '\0'));
}

TEST_F(Minor2, AllocateTakesTheSpecialStateids) {
  // pynfs ALLOC2 and ALLOC3: the anonymous and the bypass stateid.
  MakeFile("f", "", 0666);
  for (const Stateid4& sid : {Stateid4::Anonymous(), Stateid4::Bypass()}) {
    Reply r = Run42(Allocate(Fh("f"), sid, 0, 1));
    EXPECT_STATUSES(r, st::OK, st::OK, st::OK);
  }
}

TEST_F(Minor2, AllocateChecksWhatWriteChecks) {
  MakeFile("ro", "", 0444, 0, 0);
  MakeDir("d");
  MakeFile("f", "", 0666);
  // No write permission under the anonymous stateid.
  EXPECT_STATUSES(Run42(Allocate(Fh("ro"), Stateid4::Anonymous(), 0, 1), User()), st::OK,
                  st::OK, st::ACCESS);
  EXPECT_STATUSES(Run42(Allocate(Fh("d"), Stateid4::Anonymous(), 0, 1)), st::OK, st::OK,
                  st::ISDIR);
  // A stateid that was never given out, a zero length, a range past the
  // largest offset.
  Stateid4 bogus{1, {}};
  bogus.other.fill(0x5a);
  EXPECT_STATUSES(Run42(Allocate(Fh("f"), bogus, 0, 1)), st::OK, st::OK, st::BAD_STATEID);
  EXPECT_STATUSES(Run42(Allocate(Fh("f"), Stateid4::Anonymous(), 0, 0)), st::OK, st::OK,
                  st::INVAL);
  EXPECT_STATUSES(Run42(Allocate(Fh("f"), Stateid4::Anonymous(), 1ull << 63, 1)), st::OK,
                  st::OK, st::FBIG);
  // Truncated arguments.
  Compound c(2);
  c.PutFh(Fh("f")).Op(op::ALLOCATE, WireOut().U32(0).bytes());
  EXPECT_STATUSES(Run42(c), st::OK, st::OK, st::BADXDR);
}

TEST_F(Minor2, AllocateWithoutClientWriteIsReadOnly) {
  MakeFile("f", "", 0666);
  const Bytes fh = Fh("f");
  auto decision = std::make_shared<authz::ClientDecision>();
  decision->mount = true;
  decision->root = true;
  decision->write = false;
  client_ = [decision] { return decision; };
  EXPECT_STATUSES(Run42(Allocate(fh, Stateid4::Anonymous(), 0, 1)), st::OK, st::OK, st::ROFS);
}

TEST_F(Minor2, OtherV42OperationsAreNotSupported) {
  MakeFile("f", "x", 0666);
  for (uint32_t opnum : {op::COPY, op::DEALLOCATE, op::READ_PLUS, op::SEEK, op::GETXATTR,
                         op::REMOVEXATTR}) {
    Compound c(2);
    c.PutFh(Fh("f")).Op(opnum);
    Reply r = Run42(c);
    EXPECT_STATUSES(r, st::OK, st::OK, st::NOTSUPP) << opnum;
    // At minor version 1 they do not exist.
    Compound c1(1);
    c1.PutFh(Fh("f")).Op(opnum);
    Reply r1 = Run(c1);
    EXPECT_EQ(r1.ops.back().opnum, op::ILLEGAL) << opnum;
    EXPECT_EQ(r1.status, st::OP_ILLEGAL) << opnum;
  }
}

TEST_F(Minor2, XattrSupportIsAnAttributeOfMinorVersion2Only) {
  Reply r = Run42(Compound(2).PutRootFh().GetAttr(Bits({fa::SUPPORTED_ATTRS, fa::XATTR_SUPPORT})));
  ASSERT_EQ(r.status, st::OK);
  Fattr4 a = r.Attrs(2);
  ASSERT_TRUE(a.Has(fa::XATTR_SUPPORT));
  EXPECT_EQ(a.U32(fa::XATTR_SUPPORT), 0u);  // false: no extended attributes, as EFS
  std::vector<uint32_t> supported = a.Bitmap(fa::SUPPORTED_ATTRS);
  ASSERT_GE(supported.size(), 3u);
  EXPECT_TRUE(supported[2] & (1u << (fa::XATTR_SUPPORT - 64)));

  Reply r1 = Run(Compound(1).PutRootFh().GetAttr(Bits({fa::SUPPORTED_ATTRS, fa::XATTR_SUPPORT})));
  ASSERT_EQ(r1.status, st::OK);
  Fattr4 a1 = r1.Attrs(2);
  EXPECT_FALSE(a1.Has(fa::XATTR_SUPPORT));
  std::vector<uint32_t> s1 = a1.Bitmap(fa::SUPPORTED_ATTRS);
  EXPECT_TRUE(s1.size() < 3 || (s1[2] & (1u << (fa::XATTR_SUPPORT - 64))) == 0);
}

}  // namespace
}  // namespace elfs::nfs4::test
