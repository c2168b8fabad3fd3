#include "nfs4_fixture.h"

#include <sstream>

namespace elfs::nfs4::test {

// ---- GatedFileSystem ----

void GatedFileSystem::HoldWrites() {
  std::lock_guard lock(mu_);
  hold_ = true;
}

bool GatedFileSystem::WaitForHeldWrite(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return waiting_ > 0; });
}

void GatedFileSystem::Release() {
  std::lock_guard lock(mu_);
  hold_ = false;
  cv_.notify_all();
}

int GatedFileSystem::writes() const {
  std::lock_guard lock(mu_);
  return writes_;
}

Result<vfs::WriteResult> GatedFileSystem::Write(const vfs::Handle& h, uint64_t off,
                                                std::span<const uint8_t> data,
                                                vfs::Stability how) {
  {
    std::unique_lock lock(mu_);
    ++writes_;
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !hold_; });
    --waiting_;
  }
  return inner_->Write(h, off, data, how);
}

// ---- Nfs4Test ----

namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

state::ClientPrincipal PrincipalOf(const authz::Identity& who) {
  return {kAuthSys, who.uid, "client.example"};
}

}  // namespace

Nfs4Test::Nfs4Test() {
  for (size_t i = 0; i < key_.size(); ++i) key_[i] = static_cast<uint8_t>(0xA0 + i);
  mem_ = std::make_shared<backend::MemoryFileSystem>(clock_);
  mem2_ = std::make_shared<backend::MemoryFileSystem>(clock_);
  fs_ = std::make_shared<GatedFileSystem>(mem_);
  options_.store = store_.get();
  server_ = std::make_unique<Nfs4Server>(options_, clock_, random_,
                                         std::span<const uint8_t, 32>(key_));
  exp_ = *server_->AddExport(1, "fs-1", fs_);
  exp2_ = *server_->AddExport(2, "fs-2", mem2_);
}

void Nfs4Test::Restart(std::chrono::seconds later) {
  clock_.Advance(later);
  default_session_.reset();
  server_.reset();  // one instance at a time, as with the daemon
  server_ = std::make_unique<Nfs4Server>(options_, clock_, random_,
                                         std::span<const uint8_t, 32>(key_));
  exp_ = *server_->AddExport(1, "fs-1", fs_);
  exp2_ = *server_->AddExport(2, "fs-2", mem2_);
}

Bytes Nfs4Test::RunBytes(std::span<const uint8_t> args, const authz::Identity& who,
                         bool* header_ok, const Export* exp) {
  CompoundState cs(*server_, exp ? *exp : *exp_);
  cs.who = who;
  cs.principal = PrincipalOf(who);
  cs.connection = connection_;
  if (client_) ApplyClientDecision(cs, *client_(), who);
  xdr::Buffer out;
  xdr::XdrEncoder enc(out);
  xdr::XdrDecoder dec(args);
  bool ok = ProcessCompound(cs, dec, enc);
  if (header_ok) *header_ok = ok;
  return Bytes(out.begin(), out.end());
}

Reply Nfs4Test::RunRaw(const Compound& c, const authz::Identity& who, const Export* exp) {
  Bytes args = c.Encode();
  bool ok = false;
  Bytes out = RunBytes(args, who, &ok, exp);
  Reply r = Reply::Parse(std::move(out));
  if (!ok) {
    r.parsed = false;
    r.error = "ProcessCompound could not decode the COMPOUND4args header";
  }
  return r;
}

Compound Nfs4Test::SequenceFor(Session41& s, uint32_t slot, bool cachethis) {
  Compound c(1);
  uint32_t seq = ++s.slot_seq.at(slot);
  c.Sequence(s.id, seq, slot, static_cast<uint32_t>(s.slot_seq.size() - 1), cachethis);
  return c;
}

Reply Nfs4Test::Run41(Session41& s, const Compound& body, const authz::Identity& who,
                      uint32_t slot, bool cachethis) {
  Compound c = SequenceFor(s, slot, cachethis);
  c.Append(body);
  return RunRaw(c, who);
}

Reply Nfs4Test::Run(const Compound& c, const authz::Identity& who) {
  if (c.minorversion() != 1) return RunRaw(c, who);
  return Run41(session(), c, who);
}

Session41 Nfs4Test::NewSession(std::string_view owner, const authz::Identity& who,
                               bool reclaim_complete, const ChannelAttrs4& fore) {
  Session41 s;
  Verifier8 verf{1, 2, 3, 4, 5, 6, 7, 8};
  Reply x = RunRaw(Compound(1).ExchangeId(verf, owner, 0), who);
  EXPECT_STATUSES(x, st::OK);
  ExchangeIdRes xr = x.ExchangeId(0);
  s.clientid = xr.clientid;
  Reply c = RunRaw(Compound(1).CreateSession(xr.clientid, xr.sequenceid, 0, fore), who);
  EXPECT_STATUSES(c, st::OK);
  CreateSessionRes cr = c.CreateSession(0);
  s.id = cr.sessionid;
  s.slot_seq.assign(std::max<uint32_t>(cr.fore.maxrequests, 1), 0);
  if (reclaim_complete) {
    Reply rc = Run41(s, Compound(1).ReclaimComplete(false), who);
    EXPECT_STATUSES(rc, st::OK, st::OK);
  }
  return s;
}

Session41& Nfs4Test::session() {
  if (!default_session_) default_session_ = NewSession("default-client");
  return *default_session_;
}

Client40 Nfs4Test::NewClient40(std::string_view owner, const authz::Identity& who) {
  Client40 c;
  Verifier8 verf{9, 9, 9, 9, 1, 2, 3, 4};
  Reply s = RunRaw(Compound(0).SetClientId(verf, owner), who);
  EXPECT_STATUSES(s, st::OK);
  SetClientIdRes r = s.SetClientId(0);
  Reply k = RunRaw(Compound(0).SetClientIdConfirm(r.clientid, r.confirm), who);
  EXPECT_STATUSES(k, st::OK);
  c.clientid = r.clientid;
  return c;
}

std::optional<vfs::Handle> Nfs4Test::Resolve(std::string_view path) {
  auto h = mem_->Root();
  if (!h) return std::nullopt;
  vfs::Handle cur = *h;
  for (const std::string& part : Split(path)) {
    auto e = mem_->Lookup(cur, part);
    if (!e) return std::nullopt;
    cur = e->handle;
  }
  return cur;
}

namespace {
std::pair<std::string, std::string> ParentAndName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {"", std::string(path)};
  return {std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))};
}
}  // namespace

vfs::Handle Nfs4Test::MakeDir(std::string_view path, uint32_t mode, uint32_t uid, uint32_t gid) {
  auto [parent, name] = ParentAndName(path);
  auto dir = Resolve(parent);
  EXPECT_TRUE(dir.has_value()) << parent;
  vfs::CreateRequest req;
  req.type = vfs::FileType::kDirectory;
  req.mode = mode;
  req.uid = uid;
  req.gid = gid;
  auto e = mem_->Create(*dir, name, req);
  EXPECT_TRUE(e.has_value()) << path;
  return e ? e->handle : vfs::Handle();
}

vfs::Handle Nfs4Test::MakeFile(std::string_view path, std::string_view content, uint32_t mode,
                               uint32_t uid, uint32_t gid) {
  auto [parent, name] = ParentAndName(path);
  auto dir = Resolve(parent);
  EXPECT_TRUE(dir.has_value()) << parent;
  vfs::CreateRequest req;
  req.type = vfs::FileType::kRegular;
  req.mode = mode;
  req.uid = uid;
  req.gid = gid;
  auto e = mem_->Create(*dir, name, req);
  EXPECT_TRUE(e.has_value()) << path;
  if (!e) return {};
  if (!content.empty()) {
    auto w = mem_->Write(e->handle, 0,
                         {reinterpret_cast<const uint8_t*>(content.data()), content.size()},
                         vfs::Stability::kFileSync);
    EXPECT_TRUE(w.has_value());
  }
  return e->handle;
}

vfs::Handle Nfs4Test::MakeSymlink(std::string_view path, std::string_view target) {
  auto [parent, name] = ParentAndName(path);
  auto dir = Resolve(parent);
  EXPECT_TRUE(dir.has_value()) << parent;
  vfs::CreateRequest req;
  req.type = vfs::FileType::kSymlink;
  req.mode = 0777;
  req.symlink_target = target;
  auto e = mem_->Create(*dir, name, req);
  EXPECT_TRUE(e.has_value()) << path;
  return e ? e->handle : vfs::Handle();
}

vfs::Attr Nfs4Test::AttrOf(std::string_view path) {
  auto h = Resolve(path);
  EXPECT_TRUE(h.has_value()) << path;
  if (!h) return {};
  auto a = mem_->GetAttr(*h);
  EXPECT_TRUE(a.has_value());
  return a ? *a : vfs::Attr();
}

std::string Nfs4Test::Content(std::string_view path) {
  auto h = Resolve(path);
  if (!h) return "<missing>";
  std::string out(1 << 16, '\0');
  auto r = mem_->Read(*h, 0, {reinterpret_cast<uint8_t*>(out.data()), out.size()});
  if (!r) return "<error>";
  out.resize(r->count);
  return out;
}

Opened Nfs4Test::Open41(std::string_view dir, std::string_view name, uint32_t access,
                        uint32_t deny, std::string owner, bool create,
                        const authz::Identity& who) {
  Compound c(1);
  PutPath(c, dir);
  OpenArgs a;
  a.access = access;
  a.deny = deny;
  a.owner = std::move(owner);
  a.create = create;
  a.name = std::string(name);
  size_t open_at = c.size() + 1;  // after SEQUENCE
  c.Open(a).GetFh();
  Reply r = Run(c, who);
  EXPECT_TRUE(r.parsed) << r.error;
  return OpenedFrom(r, open_at);
}

Opened OpenedFrom(const Reply& r, size_t open_at) {
  Opened o;
  o.status = r.op_status(open_at);
  if (r.status == st::OK) {
    o.res = r.Open(open_at);
    o.stateid = o.res.stateid;
    o.fh = r.Fh(open_at + 1);
  }
  return o;
}

Compound& Nfs4Test::PutPath(Compound& c, std::string_view path) {
  c.PutRootFh();
  for (const std::string& part : Split(path)) c.Lookup(part);
  return c;
}

Bytes Nfs4Test::Fh(std::string_view path, const Export* exp) {
  Compound c(0);
  PutPath(c, path).GetFh();
  Reply r = RunRaw(c, Root(), exp);
  EXPECT_TRUE(r.parsed) << r.error;
  EXPECT_EQ(r.status, st::OK) << "GETFH of " << path;
  return r.Fh(r.size() - 1);
}

::testing::AssertionResult Statuses(const Reply& r, std::vector<uint32_t> want) {
  if (!r.parsed) return ::testing::AssertionFailure() << "reply did not parse: " << r.error;
  std::vector<uint32_t> got;
  for (const auto& o : r.ops) got.push_back(o.status);
  auto show = [](const std::vector<uint32_t>& v) {
    std::ostringstream s;
    s << "[";
    for (size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
    s << "]";
    return s.str();
  };
  if (got != want)
    return ::testing::AssertionFailure() << "op statuses " << show(got) << ", want " << show(want);
  uint32_t overall = want.empty() ? 0 : want.back();
  if (r.status != overall)
    return ::testing::AssertionFailure()
           << "COMPOUND status " << r.status << ", want " << overall << " (last op's)";
  return ::testing::AssertionSuccess();
}

}  // namespace elfs::nfs4::test
