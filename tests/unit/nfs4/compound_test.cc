// COMPOUND-level rules: minor versions, illegal and version-specific
// operations, the 4.1 session rules of RFC 8881 section 2.10.6 / 18.46.3,
// NOFILEHANDLE, BADXDR and stop-at-first-error (RFC 8881 section 16.2.3,
// RFC 7530 section 15.2).
#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

class CompoundRules : public Nfs4Test {};

TEST_F(CompoundRules, EmptyCompoundSucceedsAndEchoesTag) {
  for (uint32_t minor : {0u, 1u}) {
    Reply r = RunRaw(Compound(minor, "my-tag"));
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.status, st::OK);
    EXPECT_EQ(r.tag, "my-tag");
    EXPECT_EQ(r.size(), 0u);
  }
}

TEST_F(CompoundRules, TagIsEchoedOnError) {
  Reply r = RunRaw(Compound(0, "tag-on-error").GetFh());
  EXPECT_STATUSES(r, st::NOFILEHANDLE);
  EXPECT_EQ(r.tag, "tag-on-error");
}

TEST_F(CompoundRules, MinorVersion2IsMismatchWithEmptyResults) {
  // RFC 8881 section 16.2.3: NFS4ERR_MINOR_VERS_MISMATCH and a zero-length
  // result array; the tag is still echoed.
  for (uint32_t minor : {2u, 3u, 0xffffffffu}) {
    Compound c(minor, "mv");
    c.PutRootFh().GetFh();
    Reply r = RunRaw(c);
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.status, st::MINOR_VERS_MISMATCH) << minor;
    EXPECT_EQ(r.size(), 0u);
    EXPECT_EQ(r.tag, "mv");
  }
}

TEST_F(CompoundRules, IllegalOpnumGivesOpIllegalWithIllegalResop) {
  // RFC 8881 section 18.51 / RFC 7530 section 16.37 (ILLEGAL): the result
  // carries resop OP_ILLEGAL (10044) and NFS4ERR_OP_ILLEGAL.
  for (uint32_t bad : {0u, 1u, 2u, 59u, 77u, 10043u, 10044u, 0xffffffffu}) {
    for (uint32_t minor : {0u, 1u}) {
      Compound c(minor);
      c.Op(bad);
      Reply r = minor == 0 ? RunRaw(c) : Run(c);
      ASSERT_TRUE(r.parsed) << r.error;
      size_t i = r.size() - 1;
      EXPECT_EQ(r.ops[i].opnum, op::ILLEGAL) << "opnum " << bad << " minor " << minor;
      EXPECT_EQ(r.ops[i].status, st::OP_ILLEGAL) << "opnum " << bad << " minor " << minor;
      EXPECT_EQ(r.status, st::OP_ILLEGAL);
    }
  }
}

TEST_F(CompoundRules, ProcessingStopsAtFirstError) {
  Compound c(0);
  c.PutRootFh().Lookup("missing").GetFh().GetAttr(Bits({fa::TYPE}));
  Reply r = RunRaw(c);
  EXPECT_STATUSES(r, st::OK, st::NOENT);
}

TEST_F(CompoundRules, IllegalOpStopsProcessing) {
  Compound c(0);
  c.PutRootFh().Op(4242).GetFh();
  Reply r = RunRaw(c);
  EXPECT_STATUSES(r, st::OK, st::OP_ILLEGAL);
}

TEST_F(CompoundRules, Minor0RejectsV41OpsAsIllegal) {
  // NFSv4.0 knows only operations 3-39 (RFC 7530 section 16.2): every 4.1
  // opnum is outside its nfs_opnum4 and must come back as OP_ILLEGAL, with
  // the resop set to OP_ILLEGAL (a 4.0 client cannot even decode resop 53).
  SessionId16 sid{};
  Verifier8 v{};
  std::vector<Compound> cases;
  cases.push_back(Compound(0).Sequence(sid, 1, 0, 0, false));
  cases.push_back(Compound(0).ExchangeId(v, "x", 0));
  cases.push_back(Compound(0).CreateSession(1, 1));
  cases.push_back(Compound(0).DestroySession(sid));
  cases.push_back(Compound(0).DestroyClientId(1));
  cases.push_back(Compound(0).ReclaimComplete(false));
  cases.push_back(Compound(0).TestStateid({}));
  cases.push_back(Compound(0).FreeStateid(Stateid4()));
  cases.push_back(Compound(0).PutRootFh().SecInfoNoName(0));
  for (const Compound& c : cases) {
    Reply r = RunRaw(c);
    ASSERT_TRUE(r.parsed) << r.error;
    size_t i = r.size() - 1;
    uint32_t sent = c.opnum(c.size() - 1);
    EXPECT_EQ(r.ops[i].status, st::OP_ILLEGAL) << "opnum " << sent;
    EXPECT_EQ(r.ops[i].opnum, op::ILLEGAL) << "resop for 4.1-only opnum " << sent << " in 4.0";
  }
}

TEST_F(CompoundRules, Minor1RejectsV40OnlyOpsWithNotSupp) {
  // RFC 8881 sections 18.35 ff. and the operation table of section 18: the
  // 4.0 client-id and open-confirm operations "MUST NOT" be used in 4.1
  // and get NFS4ERR_NOTSUPP.
  Verifier8 v{};
  std::vector<Compound> cases;
  cases.push_back(Compound(1).SetClientId(v, "x"));
  cases.push_back(Compound(1).SetClientIdConfirm(1, v));
  cases.push_back(Compound(1).Renew(1));
  cases.push_back(Compound(1).PutRootFh().OpenConfirm(Stateid4(), 1));
  cases.push_back(Compound(1).ReleaseLockOwner(1, "o"));
  for (const Compound& c : cases) {
    Reply r = Run(c);
    ASSERT_TRUE(r.parsed) << r.error;
    EXPECT_EQ(r.last_status(), st::NOTSUPP) << "opnum " << c.opnum(c.size() - 1);
    EXPECT_EQ(r.ops.back().opnum, c.opnum(c.size() - 1));
  }
}

TEST_F(CompoundRules, Minor1FirstOpMustBeSequence) {
  // RFC 8881 section 18.46.3: NFS4ERR_OP_NOT_IN_SESSION.
  Reply r = RunRaw(Compound(1).PutRootFh().GetFh());
  EXPECT_STATUSES(r, st::OP_NOT_IN_SESSION);
}

TEST_F(CompoundRules, Minor1SequenceNotFirstIsSequencePos) {
  Session41& s = session();
  Compound c = SequenceFor(s);
  c.PutRootFh().Sequence(s.id, 99, 1, 0, false);
  Reply r = RunRaw(c);
  EXPECT_STATUSES(r, st::OK, st::OK, st::SEQUENCE_POS);
}

TEST_F(CompoundRules, Minor1SessionlessOpsMustBeOnlyOp) {
  // RFC 8881 sections 18.35.3, 18.36.3, 18.37.3, 18.50.3: EXCHANGE_ID,
  // CREATE_SESSION, DESTROY_SESSION and DESTROY_CLIENTID outside a
  // SEQUENCE compound must be alone: NFS4ERR_NOT_ONLY_OP.
  Verifier8 v{};
  SessionId16 sid{};
  std::vector<Compound> cases;
  cases.push_back(Compound(1).ExchangeId(v, "owner-x", 0).PutRootFh());
  cases.push_back(Compound(1).CreateSession(1, 1).PutRootFh());
  cases.push_back(Compound(1).DestroySession(sid).PutRootFh());
  cases.push_back(Compound(1).DestroyClientId(1).PutRootFh());
  for (const Compound& c : cases) {
    Reply r = RunRaw(c);
    EXPECT_STATUSES(r, st::NOT_ONLY_OP);
  }
}

TEST_F(CompoundRules, Minor1ExchangeIdMayFollowSequence) {
  // RFC 8881 section 18.35.3: EXCHANGE_ID may be sent in a SEQUENCE
  // compound (for example to learn the server owner over a session).
  Verifier8 v{1};
  Reply r = Run(Compound(1).ExchangeId(v, "default-client-2", 0));
  EXPECT_STATUSES(r, st::OK, st::OK);
}

struct NoFhCase {
  const char* name;
  Compound c;
};

TEST_F(CompoundRules, OpsNeedingAFileHandleGiveNoFileHandle) {
  // RFC 8881 section 15.2 / RFC 7530 section 13.2: NFS4ERR_NOFILEHANDLE
  // when there is no current filehandle.
  Verifier8 zero{};
  std::vector<NoFhCase> cases = {
      {"ACCESS", Compound(0).Access(ACCESS4_READ)},
      {"CLOSE", Compound(0).Close(1, Stateid4())},
      {"COMMIT", Compound(0).Commit(0, 0)},
      {"CREATE", Compound(0).CreateDir("d")},
      {"GETATTR", Compound(0).GetAttr(Bits({fa::TYPE}))},
      {"GETFH", Compound(0).GetFh()},
      {"LINK", Compound(0).Link("l")},
      {"LOOKUP", Compound(0).Lookup("x")},
      {"LOOKUPP", Compound(0).LookupP()},
      {"NVERIFY", Compound(0).NVerify(Fattr().Mode(0))},
      {"OPEN", Compound(0).Open(OpenArgs{.name = "f"})},
      {"OPEN_DOWNGRADE", Compound(0).OpenDowngrade(Stateid4(), 1, 1, 0)},
      {"READ", Compound(0).Read(Stateid4(), 0, 1)},
      {"READDIR", Compound(0).ReadDir(0, zero, 0, 4096, {})},
      {"READLINK", Compound(0).ReadLink()},
      {"REMOVE", Compound(0).Remove("x")},
      {"RENAME", Compound(0).Rename("a", "b")},
      {"SAVEFH", Compound(0).SaveFh()},
      {"SECINFO", Compound(0).SecInfo("x")},
      // SETATTR: see OpSetAttr.AttrssetPresentWhenRejectedBeforeTheHandler.
      {"VERIFY", Compound(0).Verify(Fattr().Mode(0))},
      {"WRITE", Compound(0).Write(Stateid4(), 0, FILE_SYNC4, ToBytes("x"))},
  };
  for (const auto& k : cases) {
    Reply r = RunRaw(k.c);
    EXPECT_TRUE(Statuses(r, {st::NOFILEHANDLE})) << k.name << " (4.0)";
    Reply r1 = Run(Compound(1).Append(k.c));
    EXPECT_TRUE(Statuses(r1, {st::OK, st::NOFILEHANDLE})) << k.name << " (4.1)";
  }
  Reply r = Run(Compound(1).SecInfoNoName(SECINFO_STYLE4_CURRENT_FH));
  EXPECT_STATUSES(r, st::OK, st::NOFILEHANDLE);
}

TEST_F(CompoundRules, HeaderGarbageIsNotDecoded) {
  // A COMPOUND4args whose header does not decode: the RPC layer answers
  // GARBAGE_ARGS (ProcessCompound returns false); it must not crash.
  std::vector<Bytes> garbage = {
      {}, {0, 0, 0}, {0, 0, 0, 4, 'a'}, {0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4},
      {0, 0, 0, 0, 0, 0, 0, 1},  // tag, minor, no count
  };
  for (const Bytes& g : garbage) {
    bool ok = true;
    RunBytes(g, Root(), &ok);
    EXPECT_FALSE(ok) << g.size();
  }
}

TEST_F(CompoundRules, OpArrayShorterThanCountIsBadXdr) {
  Compound c(0);
  c.PutRootFh().GetFh().OverrideCount(3);
  Reply r = RunRaw(c);
  ASSERT_TRUE(r.parsed) << r.error;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.op_status(0), st::OK);
  EXPECT_EQ(r.op_status(1), st::OK);
  EXPECT_EQ(r.op_status(2), st::BADXDR);
  EXPECT_EQ(r.status, st::BADXDR);
}

struct TruncCase {
  const char* name;
  Compound c;  // the last op is truncated
  size_t cut;  // bytes removed from the end
};

TEST_F(CompoundRules, TruncatedArgumentsGiveBadXdrOnThatOp) {
  Verifier8 v{};
  SessionId16 sid{};
  Bytes fh = Fh("");
  auto fh0 = [&] { return Compound(0).PutRootFh(); };
  std::vector<TruncCase> cases = {
      {"PUTFH", Compound(0).PutFh(fh), 4},
      {"PUTFH-len-only", Compound(0).PutFh(fh), fh.size() + 3},
      {"LOOKUP", fh0().Lookup("abcdefgh"), 4},
      {"ACCESS", fh0().Access(1), 2},
      {"GETATTR", fh0().GetAttr(Bits({fa::TYPE, fa::MODE, fa::SIZE})), 4},
      {"CREATE", fh0().CreateDir("dir", Fattr().Mode(0700)), 4},
      {"CREATE-symlink", fh0().CreateSymlink("l", "target"), 12},
      {"OPEN", fh0().Open(OpenArgs{.owner = "o", .name = "file"}), 4},
      {"READ", fh0().Read(Stateid4(), 0, 10), 2},
      {"WRITE", fh0().Write(Stateid4(), 0, FILE_SYNC4, ToBytes("12345678")), 4},
      {"COMMIT", fh0().Commit(0, 0), 4},
      {"REMOVE", fh0().Remove("name"), 4},
      {"RENAME", fh0().SaveFh().Rename("a", "b"), 4},
      {"LINK", fh0().SaveFh().Link("b"), 4},
      {"READDIR", fh0().ReadDir(0, v, 100, 4096, Bits({fa::TYPE})), 4},
      {"SETATTR", fh0().SetAttr(Stateid4(), Fattr().Mode(0700)), 4},
      {"VERIFY", fh0().Verify(Fattr().Mode(0755)), 4},
      {"NVERIFY", fh0().NVerify(Fattr().Mode(0755)), 4},
      {"SECINFO", fh0().SecInfo("x"), 4},
      {"CLOSE", fh0().Close(1, Stateid4()), 8},
      {"OPEN_DOWNGRADE", fh0().OpenDowngrade(Stateid4(), 1, 1, 0), 4},
      {"OPEN_CONFIRM", fh0().OpenConfirm(Stateid4(), 1), 4},
      {"SETCLIENTID", Compound(0).SetClientId(v, "id"), 4},
      {"SETCLIENTID_CONFIRM", Compound(0).SetClientIdConfirm(1, v), 4},
      {"RENEW", Compound(0).Renew(1), 4},
  };
  for (const auto& k : cases) {
    Bytes args = k.c.Encode();
    args.resize(args.size() - k.cut);
    bool ok = false;
    Reply r = Reply::Parse(RunBytes(args, Root(), &ok));
    ASSERT_TRUE(ok) << k.name;
    ASSERT_TRUE(r.parsed) << k.name << ": " << r.error;
    ASSERT_EQ(r.size(), k.c.size()) << k.name;
    EXPECT_EQ(r.last_status(), st::BADXDR) << k.name;
    EXPECT_EQ(r.status, st::BADXDR) << k.name;
  }
  // 4.1 operations, alone or after SEQUENCE.
  std::vector<TruncCase> cases41 = {
      {"EXCHANGE_ID", Compound(1).ExchangeId(v, "owner", 0), 4},
      {"CREATE_SESSION", Compound(1).CreateSession(1, 1), 4},
      {"DESTROY_SESSION", Compound(1).DestroySession(sid), 4},
      {"DESTROY_CLIENTID", Compound(1).DestroyClientId(1), 4},
      {"SEQUENCE", Compound(1).Sequence(sid, 1, 0, 0, false), 4},
  };
  for (const auto& k : cases41) {
    Bytes args = k.c.Encode();
    args.resize(args.size() - k.cut);
    bool ok = false;
    Reply r = Reply::Parse(RunBytes(args, Root(), &ok));
    ASSERT_TRUE(ok) << k.name;
    EXPECT_TRUE(Statuses(r, {st::BADXDR})) << k.name;
  }
  std::vector<TruncCase> in_session = {
      {"TEST_STATEID", Compound(1).TestStateid({Stateid4()}), 4},
      {"FREE_STATEID", Compound(1).FreeStateid(Stateid4()), 4},
      {"RECLAIM_COMPLETE", Compound(1).ReclaimComplete(false), 4},
      {"SECINFO_NO_NAME", Compound(1).PutRootFh().SecInfoNoName(0), 4},
  };
  for (const auto& k : in_session) {
    Compound c = SequenceFor(session());
    c.Append(k.c);
    Bytes args = c.Encode();
    args.resize(args.size() - k.cut);
    bool ok = false;
    Reply r = Reply::Parse(RunBytes(args, Root(), &ok));
    ASSERT_TRUE(ok) << k.name;
    ASSERT_TRUE(r.parsed) << k.name << ": " << r.error;
    EXPECT_EQ(r.last_status(), st::BADXDR) << k.name;
  }
}

TEST_F(CompoundRules, InvalidXdrBoolIsBadXdr) {
  // An XDR bool is 0 or 1 (RFC 4506 section 4.4); RECLAIM_COMPLETE's
  // rca_one_fs = 7 does not decode.
  Compound c = SequenceFor(session());
  c.Op(op::RECLAIM_COMPLETE, WireOut().U32(7).bytes());
  Reply r = RunRaw(c);
  EXPECT_STATUSES(r, st::OK, st::BADXDR);
}

TEST_F(CompoundRules, Minor0TooManyOperationsIsRefused) {
  // Without a session there is no ca_maxoperations; a very long COMPOUND is
  // refused (NFS4ERR_RESOURCE in 4.0) rather than run.
  Compound c(0);
  for (int i = 0; i < 2000; ++i) c.PutRootFh();
  Reply r = RunRaw(c);
  ASSERT_TRUE(r.parsed) << r.error;
  EXPECT_NE(r.status, st::OK);
}

}  // namespace
}  // namespace elfs::nfs4::test
