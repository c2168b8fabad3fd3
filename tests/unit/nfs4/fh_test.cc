// File handle operations: PUTROOTFH, PUTPUBFH, PUTFH, GETFH, SAVEFH,
// RESTOREFH, LOOKUP, LOOKUPP (RFC 8881 sections 18.8, 18.13, 18.14,
// 18.19-18.21, 18.27, 18.28; RFC 7530 section 16).
#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class OpPutRootFh : public Nfs4Test {};
class OpPutPubFh : public Nfs4Test {};
class OpPutFh : public Nfs4Test {};
class OpGetFh : public Nfs4Test {};
class OpSaveFh : public Nfs4Test {};
class OpRestoreFh : public Nfs4Test {};
class OpLookup : public Nfs4Test {};
class OpLookupP : public Nfs4Test {};

TEST_F(OpPutRootFh, SetsTheExportRoot) {
  Reply r = Run(Compound(1).PutRootFh().GetFh().GetAttr(Bits({fa::TYPE, fa::FILEID})));
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK);
  Bytes fh = r.Fh(2);
  EXPECT_FALSE(fh.empty());
  EXPECT_LE(fh.size(), 128u);
  Fattr4 a = r.Attrs(3);
  EXPECT_EQ(a.U32(fa::TYPE), NF4DIR);
  EXPECT_EQ(a.U64(fa::FILEID), mem_->GetAttr(*mem_->Root())->fileid);
}

TEST_F(OpPutRootFh, RootOfEachExportDiffers) {
  Bytes a = Fh("", exp_);
  Bytes b = Fh("", exp2_);
  EXPECT_NE(a, b);
}

TEST_F(OpPutPubFh, IsTheRoot) {
  Reply r = RunRaw(Compound(0).PutPubFh().GetFh());
  ASSERT_STATUSES(r, st::OK, st::OK);
  EXPECT_EQ(r.Fh(1), Fh(""));
}

TEST_F(OpPutFh, RoundTripsAHandle) {
  MakeDir("d");
  MakeFile("d/f", "hello");
  Bytes fh = Fh("d/f");
  Reply r = Run(Compound(1).PutFh(fh).GetAttr(Bits({fa::SIZE, fa::TYPE})).GetFh());
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK);
  EXPECT_EQ(r.Attrs(2).U64(fa::SIZE), 5u);
  EXPECT_EQ(r.Attrs(2).U32(fa::TYPE), NF4REG);
  EXPECT_EQ(r.Fh(3), fh);
}

TEST_F(OpPutFh, HandlesAreStableAcrossLookups) {
  MakeFile("f");
  EXPECT_EQ(Fh("f"), Fh("f"));
}

TEST_F(OpPutFh, ForgedHandleIsBadHandle) {
  MakeFile("f");
  Bytes fh = Fh("f");
  // Flip each byte in turn: every change must be detected.
  for (size_t i = 0; i < fh.size(); ++i) {
    Bytes forged = fh;
    forged[i] ^= 0x01;
    Reply r = Run(Compound(1).PutFh(forged).GetAttr(Bits({fa::TYPE})));
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.op_status(1), st::BADHANDLE) << "byte " << i;
  }
}

TEST_F(OpPutFh, GarbledHandlesAreBadHandle) {
  std::vector<Bytes> garbled = {
      {},
      {1},
      {1, 0, 0, 0, 1},
      Bytes(128, 0xAB),
      Bytes(40, 0x00),
  };
  for (const Bytes& g : garbled) {
    Reply r = Run(Compound(1).PutFh(g).GetFh());
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.op_status(1), st::BADHANDLE) << "size " << g.size();
    EXPECT_EQ(r.size(), 2u);
  }
}

TEST_F(OpPutFh, HandleLongerThanFhSizeIsBadXdr) {
  // nfs_fh4 is opaque<NFS4_FHSIZE> (128): a longer one does not decode.
  Reply r = Run(Compound(1).PutFh(Bytes(129, 1)));
  EXPECT_STATUSES(r, st::OK, st::BADXDR);
}

TEST_F(OpPutFh, HandleOfAnotherExportIsStale) {
  // A handle of export 2 presented on export 1's mount target.
  MakeFile("f");
  vfs::CreateRequest req;
  ASSERT_TRUE(mem2_->Create(*mem2_->Root(), "other", req).has_value());
  Bytes other = Fh("other", exp2_);
  Reply r = Run(Compound(1).PutFh(other).GetAttr(Bits({fa::TYPE})));
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.status, st::STALE);
  Bytes other_root = Fh("", exp2_);
  Reply r2 = Run(Compound(1).PutFh(other_root).GetFh());
  EXPECT_EQ(r2.status, st::STALE);
}

TEST_F(OpPutFh, HandleOfRemovedFileIsStale) {
  // RFC 8881 section 4.2.3: a handle of an object that no longer exists is
  // NFS4ERR_STALE, whether PUTFH or the next operation notices.
  MakeFile("gone");
  Bytes fh = Fh("gone");
  ASSERT_TRUE(mem_->Remove(*mem_->Root(), "gone").ok());
  Reply r = Run(Compound(1).PutFh(fh).GetAttr(Bits({fa::TYPE})));
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.status, st::STALE);
  // Even when a new object took its inode number.
  MakeFile("new");
  Reply r2 = Run(Compound(1).PutFh(fh).GetAttr(Bits({fa::TYPE})));
  EXPECT_EQ(r2.status, st::STALE);
}

TEST_F(OpPutFh, HandlesSurviveARestart) {
  // SPEC section 2: file handles survive a server restart.
  MakeFile("persist", "data");
  Bytes fh = Fh("persist");
  Restart();
  Reply r = RunRaw(Compound(0).PutFh(fh).GetAttr(Bits({fa::SIZE})));
  ASSERT_STATUSES(r, st::OK, st::OK);
  EXPECT_EQ(r.Attrs(1).U64(fa::SIZE), 4u);
}

// Clients keep handles across server upgrades: the wire form is fixed
// (version 1, export number, the backend's bytes, the first 8 bytes of
// HMAC-SHA256 under the server's key), checked against Python's hmac.
TEST(FileHandleCodec, WireFormIsStable) {
  std::array<uint8_t, 32> key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  FileHandleCodec codec{std::span<const uint8_t, 32>(key)};
  const uint8_t backend[] = {'a', 'b', 'c'};
  FileHandle fh;
  fh.fs_id = 7;
  fh.handle = vfs::Handle(std::span<const uint8_t>(backend));
  WireHandle w = codec.Encode(fh);
  const std::vector<uint8_t> want = {1,    0,    0,    0,    7,    'a',  'b',  'c',
                                     0xdc, 0x88, 0x0b, 0x88, 0x1c, 0x71, 0xee, 0xe8};
  EXPECT_EQ(std::vector<uint8_t>(w.bytes.begin(), w.bytes.begin() + w.size), want);
  auto back = codec.Decode(want);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, fh);
}

TEST_F(OpPutFh, HandleUnderAnotherKeyIsBadHandle) {
  MakeFile("f");
  Bytes fh = Fh("f");
  key_[0] ^= 0xff;  // a different server secret
  Restart();
  Reply r = RunRaw(Compound(0).PutFh(fh).GetFh());
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.op_status(0), st::BADHANDLE);
}

TEST_F(OpPutFh, ClearsTheCurrentStateid) {
  // RFC 8881 section 16.2.3.1.2: an operation that sets the current
  // filehandle without setting the current stateid leaves no usable one.
  MakeFile("f", "abc");
  Bytes fh = Fh("f");
  Compound c(1);
  c.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_READ, .owner = "o1", .name = "f"});
  c.PutFh(fh).Read(Stateid4::Current(), 0, 3);
  Reply r = Run(c);
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.op_status(2), st::OK);
  EXPECT_EQ(r.op_status(3), st::OK);
  EXPECT_EQ(r.op_status(4), st::BAD_STATEID);
}

TEST_F(OpGetFh, WithoutCurrentFhIsNoFileHandle) {
  Reply r = RunRaw(Compound(0).GetFh());
  EXPECT_STATUSES(r, st::NOFILEHANDLE);
}

TEST_F(OpGetFh, DistinctObjectsHaveDistinctHandles) {
  MakeDir("a");
  MakeFile("a/b");
  MakeFile("c");
  std::vector<Bytes> hs = {Fh(""), Fh("a"), Fh("a/b"), Fh("c")};
  for (size_t i = 0; i < hs.size(); ++i)
    for (size_t j = i + 1; j < hs.size(); ++j) EXPECT_NE(hs[i], hs[j]) << i << " " << j;
}

TEST_F(OpSaveFh, WithoutCurrentFhIsNoFileHandle) {
  Reply r = Run(Compound(1).SaveFh());
  EXPECT_STATUSES(r, st::OK, st::NOFILEHANDLE);
}

TEST_F(OpRestoreFh, RestoresTheSavedHandle) {
  MakeDir("d");
  Compound c(1);
  c.PutRootFh().Lookup("d").SaveFh().PutRootFh().RestoreFh().GetFh();
  Reply r = Run(c);
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK, st::OK, st::OK, st::OK);
  EXPECT_EQ(r.Fh(6), Fh("d"));
}

TEST_F(OpRestoreFh, WithoutSaveFhIsRestoreFh40) {
  // RFC 7530 section 16.27.4: NFS4ERR_RESTOREFH when nothing was saved.
  Reply r = RunRaw(Compound(0).PutRootFh().RestoreFh());
  EXPECT_STATUSES(r, st::OK, st::RESTOREFH);
}

TEST_F(OpRestoreFh, WithoutSaveFh41) {
  // RFC 8881 section 18.27: RESTOREFH without a saved filehandle fails
  // (NFS4ERR_RESTOREFH, or NFS4ERR_NOFILEHANDLE in 4.1's error table).
  Reply r = Run(Compound(1).PutRootFh().RestoreFh().GetFh());
  ASSERT_TRUE(r.parsed) << r.error;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r.op_status(2) == st::RESTOREFH || r.op_status(2) == st::NOFILEHANDLE)
      << r.op_status(2);
}

TEST_F(OpRestoreFh, SavedHandleDoesNotLeakAcrossCompounds) {
  Run(Compound(1).PutRootFh().SaveFh());
  Reply r = RunRaw(Compound(0).RestoreFh());
  ASSERT_TRUE(r.parsed);
  EXPECT_NE(r.status, st::OK);
}

TEST_F(OpLookup, FindsAnEntry) {
  MakeDir("dir");
  MakeFile("dir/file", "12345");
  Compound c(1);
  PutPath(c, "dir/file").GetAttr(Bits({fa::TYPE, fa::SIZE}));
  Reply r = Run(c);
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK, st::OK);
  EXPECT_EQ(r.Attrs(4).U32(fa::TYPE), NF4REG);
  EXPECT_EQ(r.Attrs(4).U64(fa::SIZE), 5u);
}

TEST_F(OpLookup, MissingNameIsNoEnt) {
  Reply r = Run(Compound(1).PutRootFh().Lookup("nope"));
  EXPECT_STATUSES(r, st::OK, st::OK, st::NOENT);
}

TEST_F(OpLookup, InAFileIsNotDir) {
  MakeFile("file");
  Reply r = Run(Compound(1).PutRootFh().Lookup("file").Lookup("x"));
  EXPECT_STATUSES(r, st::OK, st::OK, st::OK, st::NOTDIR);
}

TEST_F(OpLookup, InASymlinkIsSymlink) {
  // RFC 8881 section 18.15.3: NFS4ERR_SYMLINK when the current filehandle
  // is a symbolic link.
  MakeDir("dir");
  MakeSymlink("link", "dir");
  Reply r = Run(Compound(1).PutRootFh().Lookup("link").Lookup("x"));
  EXPECT_STATUSES(r, st::OK, st::OK, st::OK, st::SYMLINK);
}

TEST_F(OpLookup, BadNames) {
  // RFC 8881 section 14.2 / 18.15.3: zero length is INVAL; "." and ".."
  // and names with '/' or NUL are BADNAME; over the 255-byte maxname
  // NAMETOOLONG.
  struct Case {
    std::string name;
    uint32_t want;
  };
  std::vector<Case> cases = {
      {"", st::INVAL},
      {".", st::BADNAME},
      {"..", st::BADNAME},
      {"a/b", st::BADNAME},
      {"/", st::BADNAME},
      {std::string("a\0b", 3), st::BADNAME},
      {std::string(256, 'x'), st::NAMETOOLONG},
      {std::string(255, 'x'), st::NOENT},
  };
  for (const auto& k : cases) {
    Reply r = Run(Compound(1).PutRootFh().Lookup(k.name));
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.last_status(), k.want) << "name of " << k.name.size() << " bytes";
  }
}

TEST_F(OpLookup, VeryLongNameIsNameTooLong) {
  // component4 is an unbounded utf8 string in the XDR (RFC 8881 section
  // 3.2): a 2000-byte name is valid XDR and must get NFS4ERR_NAMETOOLONG,
  // not NFS4ERR_BADXDR.
  Reply r = Run(Compound(1).PutRootFh().Lookup(std::string(2000, 'n')));
  EXPECT_STATUSES(r, st::OK, st::OK, st::NAMETOOLONG);
}

TEST_F(OpLookup, NeedsSearchPermission) {
  MakeDir("private", 0700);
  MakeFile("private/f");
  MakeDir("searchable", 0711);
  MakeFile("searchable/f");
  Reply denied = Run(Compound(1).PutRootFh().Lookup("private").Lookup("f"), User());
  EXPECT_STATUSES(denied, st::OK, st::OK, st::OK, st::ACCESS);
  Reply ok = Run(Compound(1).PutRootFh().Lookup("searchable").Lookup("f"), User());
  EXPECT_STATUSES(ok, st::OK, st::OK, st::OK, st::OK);
  // Root may search anything.
  Reply root = Run(Compound(1).PutRootFh().Lookup("private").Lookup("f"), Root());
  EXPECT_STATUSES(root, st::OK, st::OK, st::OK, st::OK);
}

TEST_F(OpLookup, GroupAndOtherClasses) {
  // The first matching class decides (owner, then group, then other).
  MakeDir("g", 0070, 0, 500);
  MakeFile("g/f");
  Reply in_group = Run(Compound(1).PutRootFh().Lookup("g").Lookup("f"), User(1000, 1000, {500}));
  EXPECT_EQ(in_group.status, st::OK);
  Reply other = Run(Compound(1).PutRootFh().Lookup("g").Lookup("f"), User(1000, 1000));
  EXPECT_EQ(other.status, st::ACCESS);
  MakeDir("o", 0601, 1000, 1000);  // owner lacks x, other has it
  MakeFile("o/f");
  Reply owner = Run(Compound(1).PutRootFh().Lookup("o").Lookup("f"), User(1000, 1000));
  EXPECT_EQ(owner.status, st::ACCESS);
}

TEST_F(OpLookupP, GoesToTheParent) {
  MakeDir("a");
  MakeDir("a/b");
  Compound c(1);
  PutPath(c, "a/b").LookupP().GetFh();
  Reply r = Run(c);
  ASSERT_TRUE(r.parsed) << r.error;
  ASSERT_EQ(r.status, st::OK);
  EXPECT_EQ(r.Fh(r.size() - 1), Fh("a"));
}

TEST_F(OpLookupP, AtTheRootIsNoEnt) {
  // RFC 8881 section 18.14.3.
  Reply r = Run(Compound(1).PutRootFh().LookupP());
  EXPECT_STATUSES(r, st::OK, st::OK, st::NOENT);
}

TEST_F(OpLookupP, OfAFileIsNotDir) {
  MakeFile("f");
  Reply r = Run(Compound(1).PutRootFh().Lookup("f").LookupP());
  EXPECT_STATUSES(r, st::OK, st::OK, st::OK, st::NOTDIR);
}

TEST_F(OpLookupP, NeedsSearchPermission) {
  // Looking up ".." searches the current directory (Linux may_lookup).
  MakeDir("p", 0755);
  MakeDir("p/c", 0700);
  Bytes child = Fh("p/c");
  Reply r = Run(Compound(1).PutFh(child).LookupP(), User());
  ASSERT_TRUE(r.parsed);
  EXPECT_EQ(r.status, st::ACCESS);
}

}  // namespace
}  // namespace elfs::nfs4::test
