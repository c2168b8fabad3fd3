// Directory operations: CREATE, REMOVE, RENAME, LINK, READDIR, READLINK
// (RFC 8881 sections 18.4, 18.9, 18.23-18.26; RFC 7530 sections 16.4,
// 16.9, 16.24-16.27).
#include <algorithm>
#include <set>

#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class OpCreate : public Nfs4Test {};
class OpRemove : public Nfs4Test {};
class OpRename : public Nfs4Test {};
class OpLink : public Nfs4Test {};
class OpReadDir : public Nfs4Test {};
class OpReadLink : public Nfs4Test {};

// ---- CREATE ----

TEST_F(OpCreate, DirectoryWithMode) {
  MakeDir("home", 0755, 1000, 1000);
  Compound c(1);
  PutPath(c, "home").CreateDir("d", Fattr().Mode(0750)).GetFh().GetAttr(
      Bits({fa::TYPE, fa::MODE, fa::OWNER, fa::OWNER_GROUP}));
  Reply r = Run(c, User());
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK, st::OK, st::OK);
  CreateRes cr = r.Create(3);
  EXPECT_NE(cr.cinfo.before, cr.cinfo.after);
  EXPECT_TRUE(HasBit(cr.attrset, fa::MODE));
  // The current filehandle is the new object (RFC 8881 section 18.4.3).
  EXPECT_EQ(r.Fh(4), Fh("home/d"));
  Fattr4 a = r.Attrs(5);
  EXPECT_EQ(a.U32(fa::TYPE), NF4DIR);
  EXPECT_EQ(a.U32(fa::MODE), 0750u);
  EXPECT_EQ(a.Str(fa::OWNER), "1000");
  EXPECT_EQ(a.Str(fa::OWNER_GROUP), "1000");
}

TEST_F(OpCreate, SymlinkAndReadLink) {
  Compound c(1);
  c.PutRootFh().CreateSymlink("l", "some/where/else").ReadLink().GetAttr(Bits({fa::TYPE}));
  Reply r = Run(c);
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK, st::OK);
  EXPECT_EQ(r.ReadLink(3), "some/where/else");
  EXPECT_EQ(r.Attrs(4).U32(fa::TYPE), NF4LNK);
}

TEST_F(OpCreate, FifoAndSocket) {
  MakeDir("home", 0755, 1000, 1000);
  for (uint32_t type : {NF4FIFO, NF4SOCK}) {
    Compound c(1);
    PutPath(c, "home").CreateType(type, "obj" + std::to_string(type)).GetAttr(Bits({fa::TYPE}));
    Reply r = Run(c, User());
    ASSERT_EQ(r.status, st::OK) << type;
    EXPECT_EQ(r.Attrs(4).U32(fa::TYPE), type);
  }
}

TEST_F(OpCreate, DevicesOnlyByRoot) {
  // op_dir.cc: device nodes are refused to non-root callers (as mknod(2)).
  MakeDir("home", 0777);
  Compound c(1);
  PutPath(c, "home").CreateDevice(NF4CHR, "tty", 4, 1);
  EXPECT_EQ(Run(c, User()).last_status(), st::PERM);
  EXPECT_EQ(Run(c, Root()).last_status(), st::OK);
}

TEST_F(OpCreate, RegularFileIsBadType) {
  // RFC 8881 section 18.4.3: regular files are created with OPEN.
  Compound c(1);
  c.PutRootFh().CreateType(NF4REG, "f");
  EXPECT_STATUSES(Run(c), st::OK, st::OK, st::BADTYPE);
}

TEST_F(OpCreate, ExistingNameIsExist) {
  MakeFile("x");
  MakeDir("y");
  for (const char* name : {"x", "y"}) {
    Compound c(1);
    c.PutRootFh().CreateDir(name);
    EXPECT_STATUSES(Run(c), st::OK, st::OK, st::EXIST);
    Compound s(1);
    s.PutRootFh().CreateSymlink(name, "t");
    EXPECT_STATUSES(Run(s), st::OK, st::OK, st::EXIST);
  }
}

TEST_F(OpCreate, InAFileIsNotDir) {
  MakeFile("f");
  Compound c(1);
  PutPath(c, "f").CreateDir("d");
  EXPECT_EQ(Run(c).last_status(), st::NOTDIR);
}

TEST_F(OpCreate, BadNames) {
  struct Case {
    std::string name;
    uint32_t want;
  };
  for (const Case& k : std::vector<Case>{{"", st::INVAL},
                                         {".", st::BADNAME},
                                         {"..", st::BADNAME},
                                         {"a/b", st::BADNAME},
                                         {std::string(256, 'z'), st::NAMETOOLONG}}) {
    Compound c(1);
    c.PutRootFh().CreateDir(k.name);
    EXPECT_EQ(Run(c).last_status(), k.want) << k.name.size();
  }
}

TEST_F(OpCreate, NeedsWriteAndSearchOnTheDirectory) {
  MakeDir("ro", 0555, 1000, 1000);
  MakeDir("rootdir", 0755, 0, 0);
  for (const char* dir : {"ro", "rootdir"}) {
    Compound c(1);
    PutPath(c, dir).CreateDir("d");
    EXPECT_EQ(Run(c, User()).last_status(), st::ACCESS) << dir;
  }
  EXPECT_FALSE(Resolve("ro/d").has_value());
}

TEST_F(OpCreate, UnsupportedOrReadOnlyCreateAttrs) {
  Compound c(1);
  c.PutRootFh().CreateDir("a", Fattr().U32(fa::ACL, 0));
  EXPECT_EQ(Run(c).last_status(), st::ATTRNOTSUPP);
  Compound c2(1);
  c2.PutRootFh().CreateDir("b", Fattr().U32(fa::TYPE, NF4DIR));
  EXPECT_EQ(Run(c2).last_status(), st::INVAL);
  EXPECT_FALSE(Resolve("a").has_value());
  EXPECT_FALSE(Resolve("b").has_value());
}

TEST_F(OpCreate, ChangeInfoOfTheParent) {
  uint64_t before = AttrOf("").change;
  Compound c(1);
  c.PutRootFh().CreateDir("d");
  Reply r = Run(c);
  ASSERT_EQ(r.status, st::OK);
  CreateRes cr = r.Create(2);
  EXPECT_EQ(cr.cinfo.before, before);
  EXPECT_EQ(cr.cinfo.after, AttrOf("").change);
}

// ---- REMOVE ----

TEST_F(OpRemove, RemovesAFile) {
  MakeFile("f");
  uint64_t before = AttrOf("").change;
  Reply r = Run(Compound(1).PutRootFh().Remove("f"));
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK);
  ChangeInfo4 ci = r.ChangeInfo(2);
  EXPECT_EQ(ci.before, before);
  EXPECT_NE(ci.after, ci.before);
  EXPECT_FALSE(Resolve("f").has_value());
}

TEST_F(OpRemove, RemovesAnEmptyDirectoryNotAFullOne) {
  MakeDir("empty");
  MakeDir("full");
  MakeFile("full/x");
  EXPECT_EQ(Run(Compound(1).PutRootFh().Remove("empty")).status, st::OK);
  EXPECT_EQ(Run(Compound(1).PutRootFh().Remove("full")).last_status(), st::NOTEMPTY);
  EXPECT_TRUE(Resolve("full/x").has_value());
}

TEST_F(OpRemove, MissingIsNoEnt) {
  EXPECT_STATUSES(Run(Compound(1).PutRootFh().Remove("nothing")), st::OK, st::OK, st::NOENT);
}

TEST_F(OpRemove, InAFileIsNotDir) {
  MakeFile("f");
  Compound c(1);
  PutPath(c, "f").Remove("x");
  EXPECT_EQ(Run(c).last_status(), st::NOTDIR);
}

TEST_F(OpRemove, BadNames) {
  EXPECT_EQ(Run(Compound(1).PutRootFh().Remove("")).last_status(), st::INVAL);
  EXPECT_EQ(Run(Compound(1).PutRootFh().Remove(".")).last_status(), st::BADNAME);
  EXPECT_EQ(Run(Compound(1).PutRootFh().Remove("..")).last_status(), st::BADNAME);
  EXPECT_EQ(Run(Compound(1).PutRootFh().Remove(std::string(256, 'r'))).last_status(),
            st::NAMETOOLONG);
}

TEST_F(OpRemove, Permissions) {
  MakeDir("rootdir", 0755);
  MakeFile("rootdir/f");
  Compound c(1);
  PutPath(c, "rootdir").Remove("f");
  EXPECT_EQ(Run(c, User()).last_status(), st::ACCESS);
  EXPECT_TRUE(Resolve("rootdir/f").has_value());
  // Sticky directory: only the owner of the file or of the directory.
  MakeDir("tmp", 01777);
  MakeFile("tmp/theirs", "", 0666, 2000, 2000);
  MakeFile("tmp/mine", "", 0666, 1000, 1000);
  Compound t(1);
  PutPath(t, "tmp").Remove("theirs");
  EXPECT_EQ(Run(t, User()).last_status(), st::PERM);
  Compound m(1);
  PutPath(m, "tmp").Remove("mine");
  EXPECT_EQ(Run(m, User()).last_status(), st::OK);
}

// ---- RENAME ----

TEST_F(OpRename, WithinADirectory) {
  MakeFile("a", "A");
  Reply r = Run(Compound(1).PutRootFh().SaveFh().Rename("a", "b"));
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK);
  auto [src, dst] = r.Rename(3);
  EXPECT_NE(src.before, src.after);
  EXPECT_NE(dst.before, dst.after);
  EXPECT_FALSE(Resolve("a").has_value());
  EXPECT_EQ(Content("b"), "A");
}

TEST_F(OpRename, AcrossDirectories) {
  MakeDir("from");
  MakeDir("to");
  MakeFile("from/x", "X");
  Compound c(1);
  PutPath(c, "from").SaveFh().PutRootFh().Lookup("to").Rename("x", "y");
  Reply r = Run(c);
  ASSERT_EQ(r.status, st::OK);
  EXPECT_FALSE(Resolve("from/x").has_value());
  EXPECT_EQ(Content("to/y"), "X");
}

TEST_F(OpRename, ReplacesAnExistingFile) {
  MakeFile("a", "new");
  MakeFile("b", "old");
  EXPECT_EQ(Run(Compound(1).PutRootFh().SaveFh().Rename("a", "b")).status, st::OK);
  EXPECT_EQ(Content("b"), "new");
}

TEST_F(OpRename, WithoutSavedFhIsNoFileHandle) {
  MakeFile("a");
  Reply r = Run(Compound(1).PutRootFh().Rename("a", "b"));
  EXPECT_STATUSES(r, st::OK, st::OK, st::NOFILEHANDLE);
}

TEST_F(OpRename, MissingSourceIsNoEnt) {
  Reply r = Run(Compound(1).PutRootFh().SaveFh().Rename("none", "b"));
  EXPECT_EQ(r.last_status(), st::NOENT);
}

TEST_F(OpRename, NonDirectoryHandlesAreNotDir) {
  MakeFile("f");
  MakeDir("d");
  Compound saved_file(1);
  PutPath(saved_file, "f").SaveFh().PutRootFh().Lookup("d").Rename("x", "y");
  EXPECT_EQ(Run(saved_file).last_status(), st::NOTDIR);
  Compound cur_file(1);
  PutPath(cur_file, "d").SaveFh().PutRootFh().Lookup("f").Rename("x", "y");
  EXPECT_EQ(Run(cur_file).last_status(), st::NOTDIR);
}

TEST_F(OpRename, BadNames) {
  MakeFile("a");
  EXPECT_EQ(Run(Compound(1).PutRootFh().SaveFh().Rename("", "b")).last_status(), st::INVAL);
  EXPECT_EQ(Run(Compound(1).PutRootFh().SaveFh().Rename("a", "")).last_status(), st::INVAL);
  EXPECT_EQ(Run(Compound(1).PutRootFh().SaveFh().Rename("a", ".")).last_status(), st::BADNAME);
  EXPECT_EQ(Run(Compound(1).PutRootFh().SaveFh().Rename("..", "b")).last_status(), st::BADNAME);
  EXPECT_EQ(Run(Compound(1).PutRootFh().SaveFh().Rename("a", std::string(300, 'q'))).last_status(),
            st::NAMETOOLONG);
  EXPECT_TRUE(Resolve("a").has_value());
}

TEST_F(OpRename, ToItselfChangesNothing) {
  // RFC 8881 section 18.26.3: renaming an object onto itself (same
  // directory and name, or two links to one file) succeeds and does
  // nothing.
  MakeFile("a");
  Reply r = Run(Compound(1).PutRootFh().SaveFh().Rename("a", "a"));
  ASSERT_EQ(r.status, st::OK);
  auto [src, dst] = r.Rename(3);
  EXPECT_EQ(src.before, src.after);
  EXPECT_EQ(dst.before, dst.after);
  EXPECT_TRUE(Resolve("a").has_value());
}

TEST_F(OpRename, HardLinksToTheSameFileDoNothing) {
  // RFC 8881 section 18.26.3: if oldname and newname are links to the same
  // file, RENAME succeeds and changes nothing (both names stay).
  MakeFile("a", "x");
  ASSERT_TRUE(mem_->Link(*Resolve("a"), *mem_->Root(), "b").ok());
  Reply r = Run(Compound(1).PutRootFh().SaveFh().Rename("a", "b"));
  ASSERT_EQ(r.status, st::OK);
  EXPECT_TRUE(Resolve("a").has_value());
  EXPECT_TRUE(Resolve("b").has_value());
  EXPECT_EQ(AttrOf("a").nlink, 2u);
}

TEST_F(OpRename, IncompatibleTargetIsExistNonEmptyIsNotEmpty) {
  // RFC 8881 section 18.26.3 (and RFC 7530 section 16.26.4): if the
  // existing target and the source are not compatible (file vs directory)
  // the server returns NFS4ERR_EXIST. A non-empty target directory is
  // NFS4ERR_NOTEMPTY, as Linux's server answers (docs/design.md): the
  // Linux client reports it as ENOTEMPTY.
  MakeFile("file");
  MakeDir("dir");
  MakeDir("full");
  MakeFile("full/x");
  MakeDir("dir2");
  struct Case {
    const char* from;
    const char* to;
  };
  for (const Case& k : std::vector<Case>{{"file", "dir"}, {"dir", "file"}}) {
    Reply r = Run(Compound(1).PutRootFh().SaveFh().Rename(k.from, k.to));
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.last_status(), st::EXIST) << k.from << " -> " << k.to;
  }
  Reply r = Run(Compound(1).PutRootFh().SaveFh().Rename("dir2", "full"));
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.last_status(), st::NOTEMPTY);
  EXPECT_TRUE(Resolve("full/x").has_value());
  EXPECT_TRUE(Resolve("file").has_value());
}

TEST_F(OpRename, DirectoryIntoItselfIsInval) {
  MakeDir("a");
  MakeDir("a/b");
  Compound c(1);
  c.PutRootFh().SaveFh().Lookup("a").Lookup("b").Rename("a", "inside");
  Reply r = Run(c);
  EXPECT_EQ(r.last_status(), st::INVAL);
  EXPECT_TRUE(Resolve("a/b").has_value());
}

TEST_F(OpRename, NeedsWritePermissionOnBothDirectories) {
  MakeDir("mine", 0755, 1000, 1000);
  MakeDir("theirs", 0755, 0, 0);
  MakeFile("theirs/f", "", 0666);
  MakeFile("mine/g", "", 0666, 1000, 1000);
  Compound out(1);
  PutPath(out, "theirs").SaveFh().PutRootFh().Lookup("mine").Rename("f", "f");
  EXPECT_EQ(Run(out, User()).last_status(), st::ACCESS);
  Compound in(1);
  PutPath(in, "mine").SaveFh().PutRootFh().Lookup("theirs").Rename("g", "g");
  EXPECT_EQ(Run(in, User()).last_status(), st::ACCESS);
  EXPECT_TRUE(Resolve("theirs/f").has_value());
  EXPECT_TRUE(Resolve("mine/g").has_value());
}

// ---- LINK ----

TEST_F(OpLink, MakesASecondName) {
  MakeFile("f", "data");
  MakeDir("d");
  Compound c(1);
  PutPath(c, "f").SaveFh().PutRootFh().Lookup("d").Link("g");
  Reply r = Run(c);
  ASSERT_EQ(r.status, st::OK);
  ChangeInfo4 ci = r.ChangeInfo(r.size() - 1);
  EXPECT_NE(ci.before, ci.after);
  EXPECT_EQ(Content("d/g"), "data");
  EXPECT_EQ(AttrOf("f").nlink, 2u);
  EXPECT_EQ(AttrOf("f").fileid, AttrOf("d/g").fileid);
}

TEST_F(OpLink, WithoutSavedFhIsNoFileHandle) {
  EXPECT_STATUSES(Run(Compound(1).PutRootFh().Link("x")), st::OK, st::OK, st::NOFILEHANDLE);
}

TEST_F(OpLink, ExistingNameIsExist) {
  MakeFile("f");
  MakeFile("g");
  Compound c(1);
  PutPath(c, "f").SaveFh().PutRootFh().Link("g");
  EXPECT_EQ(Run(c).last_status(), st::EXIST);
}

TEST_F(OpLink, OfADirectoryIsIsDir) {
  MakeDir("d");
  Compound c(1);
  PutPath(c, "d").SaveFh().PutRootFh().Link("d2");
  EXPECT_EQ(Run(c).last_status(), st::ISDIR);
}

TEST_F(OpLink, IntoAFileIsNotDir) {
  MakeFile("f");
  MakeFile("g");
  Compound c(1);
  PutPath(c, "f").SaveFh().PutRootFh().Lookup("g").Link("h");
  EXPECT_EQ(Run(c).last_status(), st::NOTDIR);
}

TEST_F(OpLink, BadNameAndPermission) {
  MakeFile("f");
  Compound bad(1);
  PutPath(bad, "f").SaveFh().PutRootFh().Link("..");
  EXPECT_EQ(Run(bad).last_status(), st::BADNAME);
  Compound perm(1);
  PutPath(perm, "f").SaveFh().PutRootFh().Link("g");
  EXPECT_EQ(Run(perm, User()).last_status(), st::ACCESS);
}

// ---- READDIR ----

Verifier8 kZeroVerf{};

TEST_F(OpReadDir, EmptyDirectory) {
  MakeDir("e");
  Compound c(1);
  PutPath(c, "e").ReadDir(0, kZeroVerf, 4096, 8192, {});
  Reply r = Run(c);
  ASSERT_EQ(r.status, st::OK);
  ReadDirRes d = r.ReadDir(3);
  EXPECT_TRUE(d.entries.empty());
  EXPECT_TRUE(d.eof);
}

TEST_F(OpReadDir, NeverReturnsDotOrDotDotAndGivesAttributes) {
  MakeDir("d");
  MakeFile("d/file", "1234");
  MakeDir("d/sub");
  Compound c(1);
  PutPath(c, "d").ReadDir(0, kZeroVerf, 4096, 8192, Bits({fa::TYPE, fa::SIZE, fa::FILEID}));
  Reply r = Run(c);
  ASSERT_EQ(r.status, st::OK);
  ReadDirRes d = r.ReadDir(3);
  EXPECT_TRUE(d.eof);
  ASSERT_EQ(d.entries.size(), 2u);
  std::map<std::string, Fattr4> byname;
  for (const auto& e : d.entries) {
    EXPECT_NE(e.name, ".");
    EXPECT_NE(e.name, "..");
    EXPECT_NE(e.cookie, 0u);
    EXPECT_GT(e.cookie, 2u);  // 0, 1, 2 are reserved (RFC 7530 section 16.24.4)
    byname[e.name] = e.attrs;
  }
  ASSERT_TRUE(byname.count("file") && byname.count("sub"));
  EXPECT_EQ(byname["file"].U32(fa::TYPE), NF4REG);
  EXPECT_EQ(byname["file"].U64(fa::SIZE), 4u);
  EXPECT_EQ(byname["file"].U64(fa::FILEID), AttrOf("d/file").fileid);
  EXPECT_EQ(byname["sub"].U32(fa::TYPE), NF4DIR);
}

// Reads a whole directory in pages of `maxcount`, returning names in order.
std::vector<std::string> ReadAll(Nfs4Test* t, const Bytes& dirfh, uint32_t maxcount,
                                 int* pages, const std::function<void(int)>& between = {}) {
  std::vector<std::string> names;
  uint64_t cookie = 0;
  Verifier8 verf{};
  *pages = 0;
  for (int guard = 0; guard < 100000; ++guard) {
    Reply r = t->Run(Compound(1).PutFh(dirfh).ReadDir(cookie, verf, maxcount, maxcount, {}));
    EXPECT_EQ(r.status, st::OK) << "page " << *pages;
    if (r.status != st::OK) break;
    // The reply must fit maxcount (RFC 8881 section 18.23.3).
    EXPECT_LE(r.BodyBytes(2).size(), maxcount);
    ReadDirRes d = r.ReadDir(2);
    ++*pages;
    for (const auto& e : d.entries) names.push_back(e.name);
    if (d.eof) break;
    EXPECT_FALSE(d.entries.empty()) << "no progress without eof";
    if (d.entries.empty()) break;
    cookie = d.entries.back().cookie;
    verf = d.cookieverf;
    if (between) between(*pages);
  }
  return names;
}

TEST_F(OpReadDir, PagesThroughAThousandEntriesEachExactlyOnce) {
  MakeDir("big");
  std::set<std::string> want;
  for (int i = 0; i < 1000; ++i) {
    std::string name = "entry-" + std::to_string(i);
    MakeFile("big/" + name);
    want.insert(name);
  }
  Bytes fh = Fh("big");
  int pages = 0;
  std::vector<std::string> got = ReadAll(this, fh, 1024, &pages);
  EXPECT_GT(pages, 10);
  EXPECT_EQ(got.size(), 1000u);
  std::set<std::string> seen(got.begin(), got.end());
  EXPECT_EQ(seen.size(), got.size()) << "a name came back twice";
  EXPECT_EQ(seen, want);
}

TEST_F(OpReadDir, RemovalsBetweenPagesNeverDuplicate) {
  MakeDir("d");
  for (int i = 0; i < 200; ++i) MakeFile("d/n" + std::to_string(i));
  Bytes fh = Fh("d");
  std::set<std::string> removed;
  int pages = 0;
  std::vector<std::string> got = ReadAll(this, fh, 512, &pages, [&](int page) {
    // Remove a few names, some already seen and some not.
    for (int k = 0; k < 3; ++k) {
      std::string name = "n" + std::to_string((page * 37 + k * 61) % 200);
      if (mem_->Remove(*Resolve("d"), name).ok()) removed.insert(name);
    }
  });
  std::set<std::string> seen(got.begin(), got.end());
  EXPECT_EQ(seen.size(), got.size()) << "a name came back twice";
  for (int i = 0; i < 200; ++i) {
    std::string name = "n" + std::to_string(i);
    if (!removed.count(name)) {
      EXPECT_TRUE(seen.count(name)) << name << " was never returned";
    }
  }
}

TEST_F(OpReadDir, ForeignCookieVerifierIsNotSame) {
  // RFC 8881 section 18.23.3: a cookieverf the server did not issue for
  // this directory gives NFS4ERR_NOT_SAME.
  MakeDir("d");
  for (int i = 0; i < 50; ++i) MakeFile("d/f" + std::to_string(i));
  Compound first(1);
  PutPath(first, "d").ReadDir(0, kZeroVerf, 256, 256, {});
  Reply r = Run(first);
  ASSERT_EQ(r.status, st::OK);
  ReadDirRes d = r.ReadDir(3);
  ASSERT_FALSE(d.entries.empty());
  ASSERT_FALSE(d.eof);
  Verifier8 bogus = d.cookieverf;
  bogus[0] ^= 0x5a;
  bogus[7] ^= 0xa5;
  Compound next(1);
  PutPath(next, "d").ReadDir(d.entries.back().cookie, bogus, 256, 256, {});
  EXPECT_EQ(Run(next).last_status(), st::NOT_SAME);
  // The verifier it issued works.
  Compound good(1);
  PutPath(good, "d").ReadDir(d.entries.back().cookie, d.cookieverf, 256, 256, {});
  EXPECT_EQ(Run(good).last_status(), st::OK);
}

TEST_F(OpReadDir, ReservedCookiesAreBadCookie) {
  MakeDir("d");
  MakeFile("d/f");
  for (uint64_t cookie : {1u, 2u}) {
    Compound c(1);
    PutPath(c, "d").ReadDir(cookie, kZeroVerf, 1024, 1024, {});
    EXPECT_EQ(Run(c).last_status(), st::BAD_COOKIE) << cookie;
  }
}

TEST_F(OpReadDir, TooSmallForOneEntryIsTooSmall) {
  // RFC 8881 section 18.23.3: NFS4ERR_TOOSMALL if not even one entry (with
  // the verifier and eof) fits maxcount.
  MakeDir("d");
  MakeFile("d/" + std::string(200, 'e'));
  for (uint32_t maxcount : {0u, 8u, 16u, 24u, 100u}) {
    Compound c(1);
    PutPath(c, "d").ReadDir(0, kZeroVerf, 0, maxcount, {});
    Reply r = Run(c);
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.last_status(), st::TOOSMALL) << maxcount;
  }
}

TEST_F(OpReadDir, OfAFileIsNotDir) {
  MakeFile("f");
  Compound c(1);
  PutPath(c, "f").ReadDir(0, kZeroVerf, 1024, 1024, {});
  EXPECT_EQ(Run(c).last_status(), st::NOTDIR);
}

TEST_F(OpReadDir, NeedsReadPermission) {
  MakeDir("d", 0711);
  MakeFile("d/f");
  Compound c(1);
  PutPath(c, "d").ReadDir(0, kZeroVerf, 1024, 1024, {});
  EXPECT_EQ(Run(c, User()).last_status(), st::ACCESS);
  EXPECT_EQ(Run(c, Root()).last_status(), st::OK);
}

// ---- READLINK ----

TEST_F(OpReadLink, ReturnsTheTarget) {
  MakeSymlink("l", "../a/b c");
  Compound c(1);
  PutPath(c, "l").ReadLink();
  Reply r = Run(c, User());
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK);
  EXPECT_EQ(r.ReadLink(3), "../a/b c");
}

TEST_F(OpReadLink, OfAFileIsInval40) {
  // RFC 7530 section 16.25.4: NFS4ERR_INVAL if the object is not a symlink.
  MakeFile("f");
  Compound c(0);
  PutPath(c, "f").ReadLink();
  EXPECT_EQ(RunRaw(c).last_status(), st::INVAL);
}

TEST_F(OpReadLink, OfANonSymlink41) {
  // RFC 8881 section 18.24.3: not a symlink -> an error (INVAL; ISDIR for a
  // directory is what knfsd answers).
  MakeFile("f");
  Compound c(1);
  PutPath(c, "f").ReadLink();
  uint32_t s = Run(c).last_status();
  EXPECT_TRUE(s == st::INVAL || s == st::WRONG_TYPE) << s;
  Compound d(1);
  d.PutRootFh().ReadLink();
  s = Run(d).last_status();
  EXPECT_TRUE(s == st::INVAL || s == st::ISDIR || s == st::WRONG_TYPE) << s;
}

}  // namespace
}  // namespace elfs::nfs4::test
