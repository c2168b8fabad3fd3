// Client authorization on the NFS operations (SPEC §1.3, §1.4): the mount
// refused without ClientMount, NFS4ERR_ROFS without ClientWrite, root squash
// without ClientRootAccess, access points (PosixUser, root directory created
// from CreationInfo, the jail), and a policy change reaching a live
// connection. Decisions come from a real ClientAuthorizer over an in-memory
// policy source.
#include <gtest/gtest.h>

#include "authz/client_authorizer.h"
#include "fake_policy_source.h"
#include "nfs4/file_handle.h"
#include "nfs4/program.h"
#include "rpc/connection.h"
#include "nfs4_fixture.h"

namespace elfs::nfs4::test {
namespace {

using authz::test::ResourcePolicy;

const std::string kMount =
    R"("Effect":"Allow","Principal":"*","Action":"elasticfilesystem:ClientMount","Resource":"*")";
const std::string kMountWrite =
    R"("Effect":"Allow","Principal":"*","Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"*")";

class ClientAuthzTest : public Nfs4Test {
 protected:
  // Every following COMPOUND runs on a connection with these facts.
  void Connect(authz::ConnectionFacts f = {}) {
    f.file_system_id = exp_->name;
    if (f.source_ip.empty()) f.source_ip = "10.0.0.5";
    client_ = [this, f] { return authorizer_.ForConnection(f); };
  }
  static authz::ConnectionFacts ViaAccessPoint(std::string ap, std::string akid = "") {
    authz::ConnectionFacts f;
    f.tls = true;
    f.access_point_id = std::move(ap);
    f.access_key_id = std::move(akid);
    return f;
  }
  void AddAccessPoint(std::string id, std::string path, std::optional<uint32_t> uid,
                      bool create = true, uint32_t mode = 0755) {
    authz::AccessPointConfig ap;
    ap.id = std::move(id);
    ap.file_system_id = exp_->name;
    ap.root_path = std::move(path);
    if (uid) ap.posix_user = authz::AccessPointConfig::PosixUser{*uid, *uid, {}};
    if (create)
      ap.creation_info = authz::AccessPointConfig::CreationInfo{uid.value_or(0), uid.value_or(0),
                                                                mode};
    source_.AddAccessPoint(std::move(ap));
  }
  uint32_t CreateFile(std::string_view dir, std::string_view name,
                      const authz::Identity& who = Root()) {
    return Open41(dir, name, SHARE_ACCESS_WRITE, SHARE_DENY_NONE, "o" + std::to_string(++n_),
                  true, who)
        .status;
  }
  uint32_t Mkdir(std::string_view dir, std::string_view name,
                 const authz::Identity& who = Root()) {
    Compound c(1);
    PutPath(c, dir).CreateDir(name, Fattr().Mode(0755));
    return Run(c, who).last_status();
  }

  authz::test::FakePolicySource source_;
  authz::ClientAuthorizer authorizer_{source_, clock_};
  int n_ = 0;
};

TEST_F(ClientAuthzTest, NoPolicyAnonymousHasFullAccessRootIncluded) {
  MakeDir("d", 0755, 1000, 1000);
  Connect();
  EXPECT_EQ(CreateFile("d", "f"), st::OK);
  EXPECT_EQ(AttrOf("d/f").uid, 0u);
  EXPECT_EQ(AttrOf("d/f").gid, 0u);
}

TEST_F(ClientAuthzTest, MountOnlyReadsWorkAndEveryWriteIsReadOnly) {
  MakeFile("r.txt", "hello", 0666);
  MakeDir("w", 0777);
  source_.SetPolicy(exp_->name, ResourcePolicy({kMount}));
  Connect();

  Opened r = Open41("", "r.txt", SHARE_ACCESS_READ);
  ASSERT_EQ(r.status, st::OK);
  Compound read(1);
  read.PutFh(r.fh).Read(r.stateid, 0, 5);
  EXPECT_STATUSES(Run(read), st::OK, st::OK, st::OK);

  EXPECT_EQ(Open41("", "r.txt", SHARE_ACCESS_WRITE).status, st::ROFS);
  EXPECT_EQ(Open41("", "r.txt", SHARE_ACCESS_BOTH).status, st::ROFS);
  EXPECT_EQ(CreateFile("w", "new"), st::ROFS);
  EXPECT_EQ(Mkdir("w", "sub"), st::ROFS);
  Compound c(1);
  PutPath(c, "").Remove("r.txt");
  EXPECT_EQ(Run(c).last_status(), st::ROFS);
  Compound mv(1);
  PutPath(mv, "").SaveFh().Rename("r.txt", "s.txt");
  EXPECT_EQ(Run(mv).last_status(), st::ROFS);
  Compound chmod(1);
  PutPath(chmod, "r.txt").SetAttr(Stateid4::Anonymous(), Fattr().Mode(0600));
  EXPECT_EQ(Run(chmod).last_status(), st::ROFS);
  Compound write(1);
  PutPath(write, "r.txt").Write(Stateid4::Anonymous(), 0, 2, Bytes{'x'});
  EXPECT_EQ(Run(write).last_status(), st::ROFS);
  EXPECT_EQ(Content("r.txt"), "hello");
  EXPECT_EQ(AttrOf("r.txt").mode, 0666u);

  // ACCESS never grants what the policy refuses, whatever the mode bits.
  Compound acc(1);
  PutPath(acc, "w").Access(0x1f);
  Reply a = Run(acc);
  ASSERT_EQ(a.status, st::OK);
  EXPECT_EQ(a.Access(3).supported & (0x04 | 0x08 | 0x10), 0x04u | 0x08u | 0x10u);
  EXPECT_EQ(a.Access(3).access & (0x04 | 0x08 | 0x10), 0u);
  EXPECT_NE(a.Access(3).access & 0x02, 0u);  // LOOKUP still
}

TEST_F(ClientAuthzTest, NoClientMountFailsTheMount) {
  Bytes root_fh = Fh("");
  MakeFile("f");
  Bytes file_fh = Fh("f");
  source_.SetPolicy(exp_->name, ResourcePolicy({R"("Effect":"Allow","Principal":"*","Action":["elasticfilesystem:ClientWrite","elasticfilesystem:ClientRootAccess"],"Resource":"*")"}));
  Connect();
  // The Linux client's first lookups: PUTROOTFH + GETFH + GETATTR, and 4.1's
  // PUTROOTFH + SECINFO_NO_NAME.
  Compound mount(1);
  mount.PutRootFh().GetFh();
  EXPECT_STATUSES(Run(mount), st::OK, st::ACCESS);
  Compound sec(1);
  sec.PutRootFh().SecInfoNoName(SECINFO_STYLE4_CURRENT_FH);
  EXPECT_STATUSES(Run(sec), st::OK, st::ACCESS);
  Compound pub(1);
  pub.PutPubFh();
  EXPECT_STATUSES(Run(pub), st::OK, st::ACCESS);
  // Handles obtained before are no way around it.
  for (const Bytes* fh : {&root_fh, &file_fh}) {
    Compound c(1);
    c.PutFh(*fh).GetAttr({FATTR4_TYPE});
    EXPECT_STATUSES(Run(c), st::OK, st::ACCESS);
  }
}

TEST_F(ClientAuthzTest, NoClientRootAccessSquashesRoot) {
  MakeDir("open", 0777, 1000, 1000);
  MakeDir("closed", 0755, 1000, 1000);
  source_.SetPolicy(exp_->name, ResourcePolicy({kMountWrite}));
  Connect();
  ASSERT_EQ(CreateFile("open", "f"), st::OK);
  EXPECT_EQ(AttrOf("open/f").uid, authz::kNobodyId);
  EXPECT_EQ(AttrOf("open/f").gid, authz::kNobodyId);
  EXPECT_EQ(CreateFile("closed", "f"), st::ACCESS);
  EXPECT_EQ(Mkdir("closed", "d"), st::ACCESS);
  // Other users are not squashed.
  EXPECT_EQ(CreateFile("closed", "g", User(1000, 1000)), st::OK);
  EXPECT_EQ(AttrOf("closed/g").uid, 1000u);
}

TEST_F(ClientAuthzTest, FileSystemPolicyDenyWinsOverIdentityAllow) {
  MakeDir("d", 0777);
  source_.AddUser("AKIAALICE", "alice",
                  {R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"*"}]})"});
  source_.SetPolicy(exp_->name,
                    ResourcePolicy({kMount, R"("Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"elasticfilesystem:ClientWrite","Resource":"*")"}));
  authz::ConnectionFacts f;
  f.tls = true;
  f.access_key_id = "AKIAALICE";
  Connect(f);
  EXPECT_EQ(CreateFile("d", "f", User()), st::ROFS);
  EXPECT_EQ(Open41("d", "", SHARE_ACCESS_READ).status, st::INVAL);  // still mounted
}

TEST_F(ClientAuthzTest, PolicyChangeReachesALiveConnection) {
  MakeDir("d", 0777);
  Connect();
  EXPECT_EQ(CreateFile("d", "a"), st::OK);
  source_.SetPolicy(exp_->name, ResourcePolicy({kMount}));
  authorizer_.Invalidate();  // what the daemon's store watcher does
  EXPECT_EQ(CreateFile("d", "b"), st::ROFS);
  source_.SetPolicy(exp_->name, ResourcePolicy({kMountWrite}));
  authorizer_.Invalidate();
  EXPECT_EQ(CreateFile("d", "c"), st::OK);
  EXPECT_EQ(AttrOf("d/c").uid, authz::kNobodyId);
}

TEST_F(ClientAuthzTest, AccessPointCreatesItsRootAndMapsEveryCaller) {
  AddAccessPoint("fsap-0000000000000000a", "/app", 1000);
  Connect(ViaAccessPoint("fsap-0000000000000000a"));
  EXPECT_EQ(CreateFile("", "by-root"), st::OK);
  EXPECT_EQ(CreateFile("", "by-42", User(42, 42)), st::OK);
  vfs::Attr app = AttrOf("app");
  EXPECT_EQ(app.type, vfs::FileType::kDirectory);
  EXPECT_EQ(app.uid, 1000u);
  EXPECT_EQ(app.gid, 1000u);
  EXPECT_EQ(app.mode, 0755u);
  for (const char* f : {"app/by-root", "app/by-42"}) {
    EXPECT_EQ(AttrOf(f).uid, 1000u) << f;
    EXPECT_EQ(AttrOf(f).gid, 1000u) << f;
  }
  EXPECT_FALSE(Resolve("by-root"));  // nothing landed at the file system's root
}

TEST_F(ClientAuthzTest, AccessPointWithoutCreationInfoNeedsItsDirectory) {
  AddAccessPoint("fsap-0000000000000000b", "/data", 1000, /*create=*/false);
  Connect(ViaAccessPoint("fsap-0000000000000000b"));
  Compound c(1);
  c.PutRootFh().GetFh();
  EXPECT_STATUSES(Run(c), st::OK, st::ACCESS);
  EXPECT_FALSE(Resolve("data"));

  MakeDir("data", 0700, 5, 6);
  EXPECT_STATUSES(Run(c), st::OK, st::OK, st::OK);
  vfs::Attr data = AttrOf("data");
  EXPECT_EQ(data.mode, 0700u);
  EXPECT_EQ(data.uid, 5u);
  // 1000 may not write into 5's 0700 directory.
  EXPECT_EQ(CreateFile("", "f"), st::ACCESS);
}

TEST_F(ClientAuthzTest, AccessPointJailHolds) {
  MakeDir("secret", 0777);
  MakeFile("secret/x", "private", 0666);
  Bytes outside_file = Fh("secret/x");
  Bytes fs_root = Fh("");
  AddAccessPoint("fsap-0000000000000000c", "/app", 1000);
  AddAccessPoint("fsap-0000000000000000d", "/other", 1000);
  Connect(ViaAccessPoint("fsap-0000000000000000d"));
  Compound g(1);
  g.PutRootFh().GetFh();
  Reply other = Run(g);
  ASSERT_EQ(other.status, st::OK);
  Bytes other_root = other.Fh(2);

  Connect(ViaAccessPoint("fsap-0000000000000000c"));
  // LOOKUPP at the root stays at the root; ".." is not a name.
  Compound up(1);
  up.PutRootFh().LookupP();
  EXPECT_STATUSES(Run(up), st::OK, st::OK, st::NOENT);
  Compound dots(1);
  dots.PutRootFh().Lookup("..");
  EXPECT_EQ(Run(dots).last_status(), st::BADNAME);
  Compound parent(1);
  parent.PutRootFh().SecInfoNoName(SECINFO_STYLE4_PARENT);
  EXPECT_EQ(Run(parent).last_status(), st::NOENT);
  // Handles from outside: the file system's, another access point's.
  for (const Bytes* fh : {&outside_file, &fs_root, &other_root}) {
    Compound c(1);
    c.PutFh(*fh).GetAttr({FATTR4_TYPE});
    EXPECT_STATUSES(Run(c), st::OK, st::STALE);
  }
  // Its own handles work.
  ASSERT_EQ(Mkdir("", "sub"), st::OK);
  Compound mine(1);
  mine.PutRootFh().Lookup("sub").GetFh();
  Reply m = Run(mine);
  ASSERT_EQ(m.status, st::OK);
  Compound back(1);
  back.PutFh(m.Fh(3)).LookupP().GetFh();
  Reply b = Run(back);
  ASSERT_EQ(b.status, st::OK);
  Compound root(1);
  root.PutRootFh().GetFh();
  EXPECT_EQ(b.Fh(3), Run(root).Fh(2));
}

TEST_F(ClientAuthzTest, AccessPointArnConditions) {
  AddAccessPoint("fsap-000000000000000aa", "/svc", 1000);
  AddAccessPoint("fsap-000000000000000bb", "/noPII", 1000);
  const std::string rw = authz::test::ApArn("fsap-000000000000000aa");
  const std::string ro = authz::test::ApArn("fsap-000000000000000bb");
  source_.SetPolicy(
      exp_->name,
      ResourcePolicy({R"("Effect":"Allow","Principal":"*","Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"*","Condition":{"StringEquals":{"elasticfilesystem:AccessPointArn":")" + rw + R"("}})",
                      R"("Effect":"Allow","Principal":"*","Action":"elasticfilesystem:ClientMount","Resource":"*","Condition":{"StringEquals":{"elasticfilesystem:AccessPointArn":")" + ro + R"("}})"}));
  MakeDir("noPII", 0755, 1000, 1000);
  MakeFile("noPII/data.csv", "a,b", 0644, 1000, 1000);
  Connect(ViaAccessPoint("fsap-000000000000000aa"));
  EXPECT_EQ(CreateFile("", "out"), st::OK);
  Connect(ViaAccessPoint("fsap-000000000000000bb"));
  EXPECT_EQ(Open41("", "data.csv", SHARE_ACCESS_READ).status, st::OK);
  EXPECT_EQ(CreateFile("", "leak"), st::ROFS);
  Connect(ViaAccessPoint(""));
  Compound c(1);
  c.PutRootFh();
  EXPECT_STATUSES(Run(c), st::OK, st::ACCESS);
}

TEST_F(ClientAuthzTest, AccessPointUidZeroWithoutClientRootAccessIsSquashed) {
  AddAccessPoint("fsap-0000000000000000e", "/shared", 0, true, 0777);
  source_.SetPolicy(exp_->name, ResourcePolicy({kMountWrite}));
  Connect(ViaAccessPoint("fsap-0000000000000000e"));
  ASSERT_EQ(CreateFile("", "f", User(1000, 1000)), st::OK);
  EXPECT_EQ(AttrOf("shared/f").uid, authz::kNobodyId);
  EXPECT_EQ(AttrOf("shared/f").gid, authz::kNobodyId);
}

TEST(JailedFileHandle, RoundTripsAndCannotBeForged) {
  std::array<uint8_t, 32> key{};
  key[0] = 7;
  FileHandleCodec codec{std::span<const uint8_t, 32>(key)};
  const uint8_t raw[] = {1, 2, 3, 4};
  FileHandle fh{9, vfs::Handle(raw), 0x0102030405060708ull};
  WireHandle w = codec.Encode(fh);
  auto back = codec.Decode(w.span());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, fh);
  // Unjailed handles keep the version 1 layout.
  FileHandle plain{9, vfs::Handle(raw), 0};
  EXPECT_EQ(codec.Encode(plain).bytes[0], 1);
  EXPECT_EQ(w.bytes[0], 2);
  // Moving a handle into another jail breaks the MAC.
  WireHandle forged = w;
  forged.bytes[12] ^= 1;
  EXPECT_FALSE(codec.Decode(forged.span()));
  // Dropping the jail (version 2 -> 1) does too.
  WireHandle stripped = w;
  stripped.bytes[0] = 1;
  EXPECT_FALSE(codec.Decode(stripped.span()));
}

}  // namespace
}  // namespace elfs::nfs4::test

namespace elfs::nfs4::test {
namespace {

// Nfs4Program builds the connection's facts from the rpc::Connection: the
// peer address (an IPv4-mapped IPv6 peer is named as IPv4) and what the
// transport established (TLS, the efs-utils access point).
class ProgramAuthzTest : public ClientAuthzTest {
 protected:
  Reply Call(const std::shared_ptr<rpc::Connection>& conn, const Compound& c) {
    Nfs4Program program(*server_, *exp_);
    rpc::CallContext ctx;
    ctx.proc = 1;
    ctx.flavor = rpc::kAuthSys;
    ctx.sys.uid = 0;
    ctx.sys.gid = 0;
    ctx.connection = conn;
    Bytes args = c.Encode();
    xdr::XdrDecoder dec(args);
    xdr::Buffer out;
    xdr::XdrEncoder enc(out);
    EXPECT_EQ(program.Call(ctx, dec, enc), rpc::AcceptStat::kSuccess);
    return Reply::Parse(Bytes(out.begin(), out.end()));
  }
  static std::shared_ptr<rpc::Connection> Conn(const char* ip, bool tls, std::string ap = "") {
    namespace asio_ip = boost::asio::ip;
    auto c = std::make_shared<rpc::Connection>(
        1, asio_ip::tcp::endpoint(asio_ip::make_address(ip), 700),
        asio_ip::tcp::endpoint(asio_ip::make_address("127.0.0.1"), 2049));
    rpc::TransportSecurity s;
    s.tls = tls;
    s.access_point_id = std::move(ap);
    c->SetSecurity(s);
    return c;
  }
};

TEST_F(ProgramAuthzTest, FactsComeFromTheConnection) {
  AddAccessPoint("fsap-0000000000000000f", "/app", 1000);
  source_.SetPolicy(
      exp_->name,
      ResourcePolicy({R"("Effect":"Allow","Principal":"*","Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.1.2.0/24"},"Bool":{"aws:SecureTransport":"true"}})"}));
  server_->SetClientAuthorizer(&authorizer_);
  Compound mkdir(0);
  mkdir.PutRootFh().CreateDir("x", Fattr().Mode(0755));
  EXPECT_STATUSES(Call(Conn("::ffff:10.1.2.3", true, "fsap-0000000000000000f"), mkdir), st::OK,
                  st::OK);
  EXPECT_EQ(AttrOf("app/x").uid, 1000u);  // the access point's user, root squashed or not
  Compound root(0);
  root.PutRootFh();
  EXPECT_STATUSES(Call(Conn("10.1.2.3", false), root), st::ACCESS);  // plain TCP
  EXPECT_STATUSES(Call(Conn("10.9.9.9", true), root), st::ACCESS);   // outside the range
  EXPECT_STATUSES(Call(nullptr, root), st::ACCESS);                  // no transport at all
  server_->SetClientAuthorizer(nullptr);
  EXPECT_STATUSES(Call(nullptr, root), st::OK);
}

}  // namespace
}  // namespace elfs::nfs4::test
