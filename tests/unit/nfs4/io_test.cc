// Data operations: READ, WRITE, COMMIT, and the stateid rules they apply
// (RFC 8881 sections 8.2, 16.2.3.1.2, 18.3, 18.22, 18.32; RFC 7530
// sections 9.1, 16.23, 16.36).
#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class OpRead : public Nfs4Test {};
class OpWrite : public Nfs4Test {};
class OpCommit : public Nfs4Test {};

TEST_F(OpRead, RoundTripWithOffsetsAndEof) {
  MakeFile("f", "", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_BOTH);
  ASSERT_EQ(o.status, st::OK);
  Reply w = Run(Compound(1).PutFh(o.fh).Write(o.stateid, 0, FILE_SYNC4, ToBytes("hello world")));
  ASSERT_EQ(w.status, st::OK);
  EXPECT_EQ(w.Write(2).count, 11u);

  struct Case {
    uint64_t offset;
    uint32_t count;
    std::string data;
    bool eof;
  };
  for (const Case& k : std::vector<Case>{{0, 5, "hello", false},
                                         {6, 100, "world", true},
                                         {0, 11, "hello world", true},
                                         {10, 1, "d", true},
                                         {11, 10, "", true},
                                         {1000, 10, "", true},
                                         {0, 0, "", false}}) {
    Reply r = Run(Compound(1).PutFh(o.fh).Read(o.stateid, k.offset, k.count));
    ASSERT_EQ(r.status, st::OK) << k.offset;
    ReadRes rr = r.Read(2);
    EXPECT_EQ(std::string(rr.data.begin(), rr.data.end()), k.data) << k.offset << "+" << k.count;
    EXPECT_EQ(rr.eof, k.eof) << k.offset << "+" << k.count;
  }
}

TEST_F(OpRead, OfADirectoryIsIsDir) {
  for (uint32_t minor : {0u, 1u}) {
    Compound c(minor);
    c.PutRootFh().Read(Stateid4::Anonymous(), 0, 10);
    EXPECT_EQ(Run(c).last_status(), st::ISDIR) << minor;
  }
}

TEST_F(OpRead, OfASymlinkIsInval40) {
  // RFC 7530 section 16.23.4: not a regular file and not a directory:
  // NFS4ERR_INVAL.
  MakeSymlink("l", "target");
  Compound c(0);
  PutPath(c, "l").Read(Stateid4::Anonymous(), 0, 10);
  EXPECT_EQ(RunRaw(c).last_status(), st::INVAL);
}

TEST_F(OpRead, OfASymlinkIsSymlink41) {
  // RFC 8881 section 18.22.3: "If the current filehandle designates a
  // symbolic link, NFS4ERR_SYMLINK is returned. In all other cases,
  // NFS4ERR_WRONG_TYPE is returned."
  MakeSymlink("l", "target");
  Compound c(1);
  PutPath(c, "l").Read(Stateid4::Anonymous(), 0, 10);
  EXPECT_EQ(Run(c).last_status(), st::SYMLINK);
}

TEST_F(OpRead, OfAFifoIsWrongType41) {
  ASSERT_EQ(Run(Compound(1).PutRootFh().CreateType(NF4FIFO, "p")).status, st::OK);
  Compound c(1);
  PutPath(c, "p").Read(Stateid4::Anonymous(), 0, 10);
  EXPECT_EQ(Run(c).last_status(), st::WRONG_TYPE);
  Compound c0(0);
  PutPath(c0, "p").Read(Stateid4::Anonymous(), 0, 10);
  EXPECT_EQ(RunRaw(c0).last_status(), st::INVAL);
}

TEST_F(OpRead, AnonymousStateidChecksModeBits) {
  MakeFile("pub", "public", 0644);
  MakeFile("priv", "secret", 0600);
  Compound a(1);
  PutPath(a, "pub").Read(Stateid4::Anonymous(), 0, 100);
  Reply ra = Run(a, User());
  ASSERT_EQ(ra.status, st::OK);
  EXPECT_EQ(ra.Read(3).data, ToBytes("public"));
  Compound b(1);
  PutPath(b, "priv").Read(Stateid4::Anonymous(), 0, 100);
  EXPECT_EQ(Run(b, User()).last_status(), st::ACCESS);
  Compound c(1);
  PutPath(c, "priv").Read(Stateid4::Bypass(), 0, 100);
  EXPECT_EQ(Run(c, User()).last_status(), st::ACCESS);
  EXPECT_EQ(Run(c, Root()).last_status(), st::OK);
}

TEST_F(OpRead, ClampsToMaxRead) {
  // maxread is 1 MiB (SPEC section 2); a larger count returns at most that.
  MakeFile("big", "", 0644);
  std::string data(3u << 20, 'b');
  ASSERT_TRUE(mem_->Write(*Resolve("big"), 0,
                          {reinterpret_cast<const uint8_t*>(data.data()), data.size()},
                          vfs::Stability::kFileSync)
                  .has_value());
  Compound c(1);
  PutPath(c, "big").Read(Stateid4::Anonymous(), 0, 4u << 20);
  Reply r = Run(c);
  ASSERT_EQ(r.status, st::OK);
  ReadRes rr = r.Read(3);
  EXPECT_GT(rr.data.size(), 0u);
  EXPECT_LE(rr.data.size(), 1u << 20);
  EXPECT_FALSE(rr.eof);
}

TEST_F(OpRead, ThroughWriteOnlyOpenIsAllowed) {
  // state_manager.cc: reads through a write-only open are allowed, as Linux
  // servers do (RFC 8881 section 18.22.3 permits it).
  MakeFile("f", "abc", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_WRITE);
  ASSERT_EQ(o.status, st::OK);
  Reply r = Run(Compound(1).PutFh(o.fh).Read(o.stateid, 0, 3));
  EXPECT_EQ(r.status, st::OK);
}

TEST_F(OpRead, ClosedStateidIsBadStateid) {
  MakeFile("f", "abc", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_READ);
  ASSERT_EQ(o.status, st::OK);
  ASSERT_EQ(Run(Compound(1).PutFh(o.fh).Close(0, o.stateid)).status, st::OK);
  Reply r = Run(Compound(1).PutFh(o.fh).Read(o.stateid, 0, 3));
  EXPECT_STATUSES(r, st::OK, st::OK, st::BAD_STATEID);
}

TEST_F(OpRead, ForgedStateidIsBadStateid41) {
  // RFC 8881 section 8.2.2 and 15.1.16.5: NFS4ERR_STALE_STATEID is moot in
  // NFSv4.1 (a restarted server is detected by SEQUENCE); a stateid the
  // server does not know is NFS4ERR_BAD_STATEID, whichever byte is wrong.
  MakeFile("f", "abc", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_READ);
  ASSERT_EQ(o.status, st::OK);
  for (size_t byte : {0u, 3u, 4u, 11u}) {
    Stateid4 forged = o.stateid;
    forged.other[byte] ^= 0x40;
    Reply r = Run(Compound(1).PutFh(o.fh).Read(forged, 0, 3));
    ASSERT_TRUE(r.parsed);
    EXPECT_EQ(r.last_status(), st::BAD_STATEID) << "other[" << byte << "] changed";
  }
}

TEST_F(OpRead, ForgedStateidIsRejected40) {
  MakeFile("f", "abc", 0666);
  Stateid4 forged;
  forged.seqid = 1;
  forged.other.fill(0x5a);
  Compound c(0);
  PutPath(c, "f").Read(forged, 0, 3);
  uint32_t s = RunRaw(c).last_status();
  EXPECT_TRUE(s == st::BAD_STATEID || s == st::STALE_STATEID) << s;
}

TEST_F(OpRead, StateidFromBeforeARestartIsBadStateid41) {
  MakeFile("f", "abc", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_READ);
  ASSERT_EQ(o.status, st::OK);
  Restart();
  Reply r = Run(Compound(1).PutFh(o.fh).Read(o.stateid, 0, 3));
  ASSERT_TRUE(r.parsed);
  EXPECT_EQ(r.last_status(), st::BAD_STATEID);
}

TEST_F(OpRead, StateidOfAnotherClientIsBadStateid41) {
  // A 4.1 stateid belongs to the client of the session that obtained it;
  // another client presenting it gets NFS4ERR_BAD_STATEID (as TEST_STATEID
  // and FREE_STATEID already decide, RFC 8881 sections 18.48.3 and
  // 18.38.3). Otherwise a client could write through, or close, another
  // client's open and defeat its share reservation.
  MakeFile("f", "abc", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_BOTH, SHARE_DENY_WRITE, "owner-a");
  ASSERT_EQ(o.status, st::OK);
  Session41 other = NewSession("intruder");
  EXPECT_EQ(Run41(other, Compound(1).PutFh(o.fh).Write(o.stateid, 0, FILE_SYNC4, ToBytes("X")))
                .last_status(),
            st::BAD_STATEID);
  EXPECT_EQ(Content("f"), "abc");
  EXPECT_EQ(Run41(other, Compound(1).PutFh(o.fh).Read(o.stateid, 0, 3)).last_status(),
            st::BAD_STATEID);
  EXPECT_EQ(Run41(other, Compound(1).PutFh(o.fh).Close(0, o.stateid)).last_status(),
            st::BAD_STATEID);
  // The owner's open is intact.
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).Read(o.stateid, 0, 3)).status, st::OK);
}

TEST_F(OpRead, StateidOfAnotherFileIsBadStateid) {
  MakeFile("f", "abc", 0666);
  MakeFile("g", "def", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_READ);
  ASSERT_EQ(o.status, st::OK);
  Compound c(1);
  PutPath(c, "g").Read(o.stateid, 0, 3);
  EXPECT_EQ(Run(c).last_status(), st::BAD_STATEID);
}

TEST_F(OpRead, OldAndFutureSeqids) {
  // RFC 8881 section 8.2.2: a seqid below the current one is
  // NFS4ERR_OLD_STATEID, above it NFS4ERR_BAD_STATEID; 0 means "current".
  MakeFile("f", "abc", 0666);
  Opened first = Open41("", "f", SHARE_ACCESS_READ, SHARE_DENY_NONE, "same-owner");
  ASSERT_EQ(first.status, st::OK);
  EXPECT_EQ(first.stateid.seqid, 1u);
  Opened second = Open41("", "f", SHARE_ACCESS_WRITE, SHARE_DENY_NONE, "same-owner");
  ASSERT_EQ(second.status, st::OK);
  EXPECT_EQ(second.stateid.other, first.stateid.other);
  EXPECT_EQ(second.stateid.seqid, 2u);

  Reply old = Run(Compound(1).PutFh(first.fh).Read(first.stateid, 0, 3));
  EXPECT_EQ(old.last_status(), st::OLD_STATEID);
  Stateid4 future = second.stateid;
  future.seqid = 9;
  EXPECT_EQ(Run(Compound(1).PutFh(first.fh).Read(future, 0, 3)).last_status(), st::BAD_STATEID);
  Stateid4 zero = second.stateid;
  zero.seqid = 0;
  EXPECT_EQ(Run(Compound(1).PutFh(first.fh).Read(zero, 0, 3)).last_status(), st::OK);
}

TEST_F(OpRead, CurrentStateidAfterOpenInTheSameCompound) {
  // RFC 8881 section 16.2.3.1.2: stateid {seqid 1, other 0} names the
  // current stateid, which OPEN sets.
  MakeFile("f", "", 0666);
  Compound c(1);
  c.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "cur", .name = "f"});
  c.Write(Stateid4::Current(), 0, FILE_SYNC4, ToBytes("via current"));
  c.Read(Stateid4::Current(), 0, 100);
  c.Close(0, Stateid4::Current());
  Reply r = Run(c);
  ASSERT_STATUSES(r, st::OK, st::OK, st::OK, st::OK, st::OK, st::OK);
  EXPECT_EQ(r.Read(4).data, ToBytes("via current"));
  // CLOSE returned the invalid special stateid (RFC 8881 section 18.2.4).
  EXPECT_EQ(r.StateidRes(5), Stateid4::Invalid());
}

TEST_F(OpRead, CurrentStateidWithoutOneIsBadStateid) {
  MakeFile("f", "abc", 0666);
  Compound c(1);
  PutPath(c, "f").Read(Stateid4::Current(), 0, 3);
  EXPECT_EQ(Run(c).last_status(), st::BAD_STATEID);
}

TEST_F(OpRead, SavedAndRestoredCurrentStateid) {
  // SAVEFH/RESTOREFH save and restore the current stateid with the handle
  // (RFC 8881 section 16.2.3.1.2).
  MakeFile("f", "abc", 0666);
  Compound c(1);
  c.PutRootFh().Open(OpenArgs{.access = SHARE_ACCESS_READ, .owner = "sv", .name = "f"});
  c.SaveFh().PutRootFh().RestoreFh().Read(Stateid4::Current(), 0, 3);
  Reply r = Run(c);
  EXPECT_STATUSES(r, st::OK, st::OK, st::OK, st::OK, st::OK, st::OK, st::OK);
}

TEST_F(OpRead, AnonymousReadConflictingWithDenyReadIsLocked) {
  // A share reservation denying reads stops anonymous-stateid READs
  // (NFS4ERR_LOCKED); the READ bypass stateid is not stopped.
  MakeFile("f", "abc", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_BOTH, SHARE_DENY_BOTH, "denier");
  ASSERT_EQ(o.status, st::OK);
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).Read(Stateid4::Anonymous(), 0, 3)).last_status(),
            st::LOCKED);
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).Read(Stateid4::Bypass(), 0, 3)).last_status(), st::OK);
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).Write(Stateid4::Anonymous(), 0, FILE_SYNC4,
                                             ToBytes("x")))
                .last_status(),
            st::LOCKED);
}

TEST_F(OpWrite, ExtendsWithZerosAndReportsStability) {
  MakeFile("f", "", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_WRITE);
  ASSERT_EQ(o.status, st::OK);
  for (uint32_t stable : {UNSTABLE4, DATA_SYNC4, FILE_SYNC4}) {
    Reply w = Run(Compound(1).PutFh(o.fh).Write(o.stateid, 4, stable, ToBytes("xy")));
    ASSERT_EQ(w.status, st::OK);
    WriteRes wr = w.Write(2);
    EXPECT_EQ(wr.count, 2u);
    // RFC 8881 section 18.32.3: committed is at least as stable as asked.
    EXPECT_GE(wr.committed, stable);
    EXPECT_LE(wr.committed, FILE_SYNC4);
  }
  EXPECT_EQ(Content("f"), std::string("\0\0\0\0xy", 6));
}

TEST_F(OpWrite, VerifierIsStableAndMatchesCommitUntilRestart) {
  MakeFile("f", "", 0666);
  Bytes fh = Fh("f");
  auto write = [&] {
    Reply w = Run(Compound(1).PutFh(fh).Write(Stateid4::Anonymous(), 0, UNSTABLE4, ToBytes("a")));
    EXPECT_EQ(w.status, st::OK);
    return w.Write(2).verifier;
  };
  Verifier8 v1 = write();
  Verifier8 v2 = write();
  EXPECT_EQ(v1, v2);
  Reply c = Run(Compound(1).PutFh(fh).Commit(0, 0));
  ASSERT_EQ(c.status, st::OK);
  EXPECT_EQ(c.Commit(2), v1);
  Restart();
  Verifier8 v3 = write();
  EXPECT_NE(v3, v1) << "the write verifier must change on restart (RFC 8881 section 18.32.3)";
}

TEST_F(OpWrite, ThroughReadOnlyOpenIsOpenMode) {
  MakeFile("f", "abc", 0666);
  Opened o = Open41("", "f", SHARE_ACCESS_READ);
  ASSERT_EQ(o.status, st::OK);
  Reply r = Run(Compound(1).PutFh(o.fh).Write(o.stateid, 0, FILE_SYNC4, ToBytes("zzz")));
  EXPECT_STATUSES(r, st::OK, st::OK, st::OPENMODE);
  EXPECT_EQ(Content("f"), "abc");
}

TEST_F(OpWrite, OpenStateidKeepsAccessAfterChmod) {
  // op_io.cc: an open stateid was checked by OPEN and keeps its access,
  // like an open file descriptor.
  MakeFile("f", "abc", 0666, 1000, 1000);
  Opened o = Open41("", "f", SHARE_ACCESS_BOTH, SHARE_DENY_NONE, "u", false, User());
  ASSERT_EQ(o.status, st::OK);
  ASSERT_TRUE(mem_->SetAttr(*Resolve("f"), vfs::SetAttrs{.mode = 0400}).has_value());
  Reply w = Run(Compound(1).PutFh(o.fh).Write(o.stateid, 0, FILE_SYNC4, ToBytes("X")), User());
  EXPECT_EQ(w.last_status(), st::OK);
}

TEST_F(OpWrite, AnonymousStateidChecksModeBits) {
  MakeFile("ro", "abc", 0644, 0, 0);
  Compound c(1);
  PutPath(c, "ro").Write(Stateid4::Anonymous(), 0, FILE_SYNC4, ToBytes("x"));
  EXPECT_EQ(Run(c, User()).last_status(), st::ACCESS);
  EXPECT_EQ(Content("ro"), "abc");
  MakeFile("rw", "abc", 0666, 0, 0);
  Compound d(1);
  PutPath(d, "rw").Write(Stateid4::Anonymous(), 1, FILE_SYNC4, ToBytes("X"));
  EXPECT_EQ(Run(d, User()).last_status(), st::OK);
  EXPECT_EQ(Content("rw"), "aXc");
}

TEST_F(OpWrite, OfADirectoryIsIsDir) {
  Compound c(1);
  c.PutRootFh().Write(Stateid4::Anonymous(), 0, FILE_SYNC4, ToBytes("x"));
  EXPECT_EQ(Run(c).last_status(), st::ISDIR);
}

TEST_F(OpWrite, OfASymlink) {
  // RFC 7530 section 16.36.4: INVAL in 4.0; RFC 8881 section 18.32.3:
  // NFS4ERR_SYMLINK in 4.1.
  MakeSymlink("l", "t");
  Compound c0(0);
  PutPath(c0, "l").Write(Stateid4::Anonymous(), 0, FILE_SYNC4, ToBytes("x"));
  EXPECT_EQ(RunRaw(c0).last_status(), st::INVAL);
  Compound c1(1);
  PutPath(c1, "l").Write(Stateid4::Anonymous(), 0, FILE_SYNC4, ToBytes("x"));
  EXPECT_EQ(Run(c1).last_status(), st::SYMLINK);
}

TEST_F(OpWrite, BeyondMaxFileSizeIsFBig) {
  MakeFile("f", "", 0666);
  Compound c(1);
  PutPath(c, "f").Write(Stateid4::Anonymous(), 0x7ffffffffffffffeull, FILE_SYNC4,
                        ToBytes("abcdef"));
  EXPECT_EQ(Run(c).last_status(), st::FBIG);
  Compound d(1);
  PutPath(d, "f").Write(Stateid4::Anonymous(), ~uint64_t{0}, FILE_SYNC4, ToBytes("a"));
  EXPECT_EQ(Run(d).last_status(), st::FBIG);
}

TEST_F(OpWrite, ZeroBytes) {
  MakeFile("f", "abc", 0666);
  Compound c(1);
  PutPath(c, "f").Write(Stateid4::Anonymous(), 10, FILE_SYNC4, {});
  Reply r = Run(c);
  ASSERT_EQ(r.status, st::OK);
  EXPECT_EQ(r.Write(3).count, 0u);
  EXPECT_EQ(AttrOf("f").size, 3u);
}

TEST_F(OpWrite, BadStableHowIsBadXdr) {
  MakeFile("f", "", 0666);
  Compound c(1);
  PutPath(c, "f").Write(Stateid4::Anonymous(), 0, 3, ToBytes("x"));
  EXPECT_EQ(Run(c).last_status(), st::BADXDR);
}

TEST_F(OpWrite, ClearsSetuidWhenWrittenByNonRoot) {
  MakeFile("f", "", 04777, 0, 0);
  Compound c(1);
  PutPath(c, "f").Write(Stateid4::Anonymous(), 0, FILE_SYNC4, ToBytes("x"));
  ASSERT_EQ(Run(c, User()).status, st::OK);
  EXPECT_EQ(AttrOf("f").mode & 04000, 0u);
}

TEST_F(OpCommit, ReturnsTheWriteVerifier) {
  MakeFile("f", "abc", 0666);
  Compound c(1);
  PutPath(c, "f").Write(Stateid4::Anonymous(), 0, UNSTABLE4, ToBytes("x")).Commit(0, 0);
  Reply r = Run(c);
  ASSERT_EQ(r.status, st::OK);
  EXPECT_EQ(r.Commit(4), r.Write(3).verifier);
}

TEST_F(OpCommit, OfADirectoryIsIsDir) {
  EXPECT_EQ(Run(Compound(1).PutRootFh().Commit(0, 0)).last_status(), st::ISDIR);
}

TEST_F(OpCommit, OfASymlink41IsSymlink) {
  // RFC 8881 section 18.3.3: COMMIT of a symlink is NFS4ERR_SYMLINK, of
  // other non-regular objects NFS4ERR_WRONG_TYPE.
  MakeSymlink("l", "t");
  Compound c(1);
  PutPath(c, "l").Commit(0, 0);
  EXPECT_EQ(Run(c).last_status(), st::SYMLINK);
}

TEST_F(OpCommit, OverflowingRangeIsInval) {
  // RFC 8881 section 18.3.3: offset + count beyond 2^64 is NFS4ERR_INVAL.
  MakeFile("f", "abc", 0666);
  Compound c(1);
  PutPath(c, "f").Commit(~uint64_t{0} - 10, 100);
  EXPECT_EQ(Run(c).last_status(), st::INVAL);
}

}  // namespace
}  // namespace elfs::nfs4::test

namespace elfs::nfs4::test {
namespace {

class IoPrincipal : public Nfs4Test {};

// pynfs WRT19: a stateid is no capability; the caller's permission counts.
TEST_F(IoPrincipal, StateidUsedByAnotherUserIsAccess) {
  MakeFile("mine", "abc", 0600, 1000, 1000);
  Opened o = Open41("", "mine", SHARE_ACCESS_BOTH, SHARE_DENY_NONE, "oo", false, User(1000));
  ASSERT_EQ(o.status, st::OK);
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).Write(o.stateid, 0, FILE_SYNC4, ToBytes("X")), User(2000))
                .last_status(),
            st::ACCESS);
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).Read(o.stateid, 0, 3), User(2000)).last_status(),
            st::ACCESS);
  EXPECT_EQ(Content("mine"), "abc");
  EXPECT_EQ(Run(Compound(1).PutFh(o.fh).Write(o.stateid, 0, FILE_SYNC4, ToBytes("X")), User(1000))
                .last_status(),
            st::OK);
}

TEST_F(IoPrincipal, OwnerWritesAReadOnlyFileThroughItsOpen) {
  MakeDir("home", 0755, 1000, 1000);
  Compound c(1);
  c.PutRootFh()
      .Lookup("home")
      .Open(OpenArgs{.access = SHARE_ACCESS_BOTH, .owner = "oo", .create = true,
                     .attrs = Fattr().Mode(0400), .name = "ro"})
      .GetFh();
  Opened created = OpenedFrom(Run(c, User(1000)), 3);
  ASSERT_EQ(created.status, st::OK);
  EXPECT_EQ(Run(Compound(1).PutFh(created.fh).Write(created.stateid, 0, FILE_SYNC4,
                                                    ToBytes("data")),
                User(1000))
                .last_status(),
            st::OK);
  EXPECT_EQ(Content("home/ro"), "data");
}

}  // namespace
}  // namespace elfs::nfs4::test
