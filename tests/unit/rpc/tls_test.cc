// TLS on the RPC port, with real sockets: plain RPC and TLS from the first
// byte on one listener, RFC 9289 STARTTLS (exact reply bytes), the bounded
// handshake, garbage after 0x16, protocol and cipher limits, the client
// certificate requested but not required, refusal by the authenticate step,
// large records through TLS, the efs-utils bind program, and the efs-utils
// identity end to end through net::MakeEfsTlsOptions.
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net/certificate_authority.h"
#include "net/efs_identity.h"
#include "net/tls_listener.h"
#include "rpc/efs_bind.h"
#include "rpc/rpc.h"
#include "rpc/server.h"
#include "test_client.h"

namespace elfs::rpc {
namespace {

using testing::Bytes;
using testing::MakeCall;
using testing::TestClient;
using testing::Words;
using namespace std::chrono_literals;
namespace asio = boost::asio;

constexpr uint32_t kSecProg = 0x40000777;
constexpr uint32_t kProcWho = 1;   // replies tls, akid, token, access point, fs id
constexpr uint32_t kProcEcho = 2;  // replies its argument bytes as opaque<>

class SecurityProgram final : public Program {
 public:
  uint32_t program() const override { return kSecProg; }
  uint32_t min_version() const override { return 1; }
  uint32_t max_version() const override { return 1; }
  AcceptStat Call(CallContext& ctx, xdr::XdrDecoder& args, xdr::XdrEncoder& reply) override {
    if (ctx.proc == kProcWho) {
      TransportSecurity s = ctx.connection->security();
      reply.Bool(s.tls);
      reply.String(s.access_key_id);
      reply.String(s.session_token);
      reply.String(s.access_point_id);
      reply.String(s.file_system_id);
      return AcceptStat::kSuccess;
    }
    if (ctx.proc == kProcEcho) {
      auto data = args.Opaque(4u << 20);
      if (!args.ok()) return AcceptStat::kGarbageArgs;
      reply.Opaque(data);
      return AcceptStat::kSuccess;
    }
    return AcceptStat::kProcUnavail;
  }
};

template <class Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout = 3s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A test server certificate (self-signed; the clients here do not verify
// the server, the e2e suite does with elfs's CA).
const net::CertificateAndKey& ServerCert() {
  static const net::CertificateAndKey cert = [] {
    auto c = net::MakeSelfSignedCertificate(net::KeyType::kEcP256, Now() - 3600, Now() + 86400, {});
    EXPECT_TRUE(c.has_value());
    return *c;
  }();
  return cert;
}

// Blocking OpenSSL client over a TestClient's socket; every read and write
// bounded by socket timeouts.
class TlsClient {
 public:
  struct Setup {
    int max_version = TLS1_3_VERSION;
    int min_version = TLS1_2_VERSION;
    std::string tls12_ciphers;  // empty: OpenSSL's default
    std::string tls13_suites;
    const net::CertificateAndKey* client_cert = nullptr;
  };

  // Handshakes on fd (owned by the caller's TestClient). nullptr on failure.
  static std::unique_ptr<TlsClient> Handshake(int fd, const Setup& setup) {
    // OpenSSL writes with write(2): a server that closed must not kill the
    // test with SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    auto c = std::unique_ptr<TlsClient>(new TlsClient());
    c->ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(c->ctx_, setup.min_version);
    SSL_CTX_set_max_proto_version(c->ctx_, setup.max_version);
    SSL_CTX_set_security_level(c->ctx_, 0);  // let old protocols be offered
    if (!setup.tls12_ciphers.empty()) {
      EXPECT_EQ(SSL_CTX_set_cipher_list(c->ctx_, setup.tls12_ciphers.c_str()), 1);
    }
    if (!setup.tls13_suites.empty()) {
      EXPECT_EQ(SSL_CTX_set_ciphersuites(c->ctx_, setup.tls13_suites.c_str()), 1);
    }
    if (setup.client_cert != nullptr) {
      BIO* cb = BIO_new_mem_buf(setup.client_cert->certificate_pem.data(), -1);
      BIO* kb = BIO_new_mem_buf(setup.client_cert->private_key_pem.data(), -1);
      X509* x = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
      EVP_PKEY* k = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
      EXPECT_EQ(SSL_CTX_use_certificate(c->ctx_, x), 1);
      EXPECT_EQ(SSL_CTX_use_PrivateKey(c->ctx_, k), 1);
      X509_free(x);
      EVP_PKEY_free(k);
      BIO_free(cb);
      BIO_free(kb);
    }
    c->ssl_ = SSL_new(c->ctx_);
    SSL_set_fd(c->ssl_, fd);
    if (SSL_connect(c->ssl_) != 1) {
      ERR_clear_error();
      return nullptr;
    }
    // TLS 1.3: the server's verdict on our certificate (and the server
    // closing on refusal) shows only on the first read; the callers read.
    return c;
  }
  ~TlsClient() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
  }

  std::string version() const { return SSL_get_version(ssl_); }
  std::string cipher() const { return SSL_get_cipher_name(ssl_); }

  bool SendRecord(std::span<const uint8_t> payload) {
    Bytes rec = Words({0x80000000u | static_cast<uint32_t>(payload.size())});
    testing::Append(rec, payload);
    size_t off = 0;
    while (off < rec.size()) {
      int n = SSL_write(ssl_, rec.data() + off, static_cast<int>(rec.size() - off));
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  std::optional<Bytes> ReadRecord() {
    Bytes out;
    for (;;) {
      uint8_t mark[4];
      if (!ReadExact(mark, 4)) return std::nullopt;
      uint32_t m = (uint32_t{mark[0]} << 24) | (mark[1] << 16) | (mark[2] << 8) | mark[3];
      size_t len = m & 0x7fffffffu;
      size_t at = out.size();
      out.resize(at + len);
      if (len > 0 && !ReadExact(out.data() + at, len)) return std::nullopt;
      if (m & 0x80000000u) return out;
    }
  }
  // True when the server ends the connection (EOF or error) before sending
  // any application data.
  bool ClosedByServer() {
    uint8_t b;
    return SSL_read(ssl_, &b, 1) <= 0;
  }

 private:
  TlsClient() = default;
  bool ReadExact(uint8_t* p, size_t n) {
    while (n > 0) {
      int r = SSL_read(ssl_, p, static_cast<int>(n));
      if (r <= 0) return false;
      p += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  }
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

struct Who {
  bool tls = false;
  std::string akid, token, ap, fs;
};

// Decodes an accepted SUCCESS reply to kProcWho.
std::optional<Who> ParseWho(const Bytes& rec, uint32_t xid) {
  xdr::XdrDecoder d(rec);
  if (d.U32() != xid || d.U32() != 1 || d.U32() != 0) return std::nullopt;
  d.U32();                      // verifier flavor
  d.Opaque(400);                // verifier body
  if (d.U32() != 0) return std::nullopt;  // accept_stat
  Who w;
  w.tls = d.Bool();
  w.akid = std::string(d.String(1000));
  w.token = std::string(d.String(10000));
  w.ap = std::string(d.String(1000));
  w.fs = std::string(d.String(1000));
  if (!d.ok()) return std::nullopt;
  return w;
}

class TlsTest : public ::testing::Test {
 protected:
  void StartServer(std::shared_ptr<const TlsOptions> tls) {
    ServerOptions o;
    o.worker_threads = 2;
    server_ = std::make_unique<RpcServer>(o);
    auto table = std::make_shared<ProgramTable>();
    table->Add(std::make_shared<SecurityProgram>());
    AddEfsBindPrograms(*table, EfsBindOptions{"fs-0123abcd"});
    auto ep = server_->Listen({asio::ip::make_address("127.0.0.1"), 0}, table, {}, std::move(tls));
    ASSERT_TRUE(ep.has_value()) << ep.error().message();
    ep_ = *ep;
    server_->Start();
  }

  // Options with a recording authenticate step.
  std::shared_ptr<TlsOptions> Options() {
    auto ctx = net::MakeTlsServerContext(ServerCert().certificate_pem, ServerCert().private_key_pem);
    EXPECT_TRUE(ctx.has_value());
    auto o = std::make_shared<TlsOptions>();
    o->context = *ctx;
    o->handshake_timeout = 300ms;
    o->authenticate = [this](const Connection&, const TlsPeer& peer) -> Result<TransportSecurity> {
      std::lock_guard lock(mu_);
      peers_.push_back({!peer.certificate_der.empty(), peer.starttls, std::string(peer.protocol)});
      if (refuse_) return Err(Errc::kAccess, "refused by the test");
      TransportSecurity s;
      s.access_key_id = peer.certificate_der.empty() ? "" : "CERT";
      return s;
    };
    return o;
  }

  std::optional<Who> AskWho(TlsClient& c, uint32_t xid) {
    Bytes call = MakeCall(xid, kSecProg, 1, kProcWho);
    if (!c.SendRecord(call)) return std::nullopt;
    auto rec = c.ReadRecord();
    if (!rec) return std::nullopt;
    return ParseWho(*rec, xid);
  }
  std::optional<Who> AskWho(TestClient& c, uint32_t xid) {
    if (!c.SendRecord(MakeCall(xid, kSecProg, 1, kProcWho))) return std::nullopt;
    auto rec = c.ReadRecord();
    if (!rec) return std::nullopt;
    return ParseWho(*rec, xid);
  }

  struct PeerSeen {
    bool cert;
    bool starttls;
    std::string protocol;
  };
  std::mutex mu_;
  std::vector<PeerSeen> peers_;
  bool refuse_ = false;
  std::unique_ptr<RpcServer> server_;
  asio::ip::tcp::endpoint ep_;
};

TEST_F(TlsTest, PlainAndTlsFromTheFirstByteOnOnePort) {
  StartServer(Options());
  auto plain = TestClient::Connect(ep_);
  ASSERT_TRUE(plain);
  auto who = AskWho(*plain, 1);
  ASSERT_TRUE(who);
  EXPECT_FALSE(who->tls);

  auto raw = TestClient::Connect(ep_);
  ASSERT_TRUE(raw);
  auto tls = TlsClient::Handshake(raw->fd(), {});
  ASSERT_TRUE(tls);
  EXPECT_EQ(tls->version(), "TLSv1.3");
  who = AskWho(*tls, 2);
  ASSERT_TRUE(who);
  EXPECT_TRUE(who->tls);
  EXPECT_EQ(who->akid, "");  // no client certificate: anonymous
  // The plain connection still works alongside.
  who = AskWho(*plain, 3);
  ASSERT_TRUE(who);
  EXPECT_FALSE(who->tls);
  std::lock_guard lock(mu_);
  ASSERT_EQ(peers_.size(), 1u);
  EXPECT_FALSE(peers_[0].cert);
  EXPECT_FALSE(peers_[0].starttls);
}

TEST_F(TlsTest, StartTlsProbeIsAnsweredThenHandshakeOnTheSameConnection) {
  StartServer(Options());
  auto c = TestClient::Connect(ep_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendRecord(MakeCall(0x1234, kSecProg, 1, 0, kAuthTls)));
  auto rec = c->ReadRecord();
  ASSERT_TRUE(rec);
  // RFC 9289 §4.1: xid, REPLY, MSG_ACCEPTED, verifier AUTH_NONE with the 8
  // bytes "STARTTLS", SUCCESS.
  Bytes want = Words({0x1234, 1, 0, 0, 8});
  for (char ch : std::string("STARTTLS")) want.push_back(static_cast<uint8_t>(ch));
  testing::Append(want, Words({0}));
  EXPECT_EQ(*rec, want);
  auto tls = TlsClient::Handshake(c->fd(), {});
  ASSERT_TRUE(tls);
  auto who = AskWho(*tls, 2);
  ASSERT_TRUE(who);
  EXPECT_TRUE(who->tls);
  // A second probe inside TLS is refused like any other flavor.
  ASSERT_TRUE(tls->SendRecord(MakeCall(3, kSecProg, 1, 0, kAuthTls)));
  rec = tls->ReadRecord();
  ASSERT_TRUE(rec);
  EXPECT_EQ(*rec, Words({3, 1, 1, 1, 5}));  // MSG_DENIED AUTH_ERROR AUTH_TOOWEAK
  std::lock_guard lock(mu_);
  ASSERT_EQ(peers_.size(), 1u);
  EXPECT_TRUE(peers_[0].starttls);
}

TEST_F(TlsTest, StartTlsProbeOnAPlainOnlyListenerIsTooWeak) {
  StartServer(nullptr);
  auto c = TestClient::Connect(ep_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendRecord(MakeCall(9, kSecProg, 1, 0, kAuthTls)));
  auto rec = c->ReadRecord();
  ASSERT_TRUE(rec);
  EXPECT_EQ(*rec, Words({9, 1, 1, 1, 5}));
  // The connection goes on in plain RPC.
  auto who = AskWho(*c, 10);
  ASSERT_TRUE(who);
  EXPECT_FALSE(who->tls);
}

TEST_F(TlsTest, StartTlsProbeForAnUnknownProgramOrNonNullProcIsTooWeak) {
  StartServer(Options());
  auto c = TestClient::Connect(ep_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendRecord(MakeCall(1, 0x7777, 1, 0, kAuthTls)));
  auto rec = c->ReadRecord();
  ASSERT_TRUE(rec);
  EXPECT_EQ(*rec, Words({1, 1, 1, 1, 5}));
  ASSERT_TRUE(c->SendRecord(MakeCall(2, kSecProg, 1, kProcWho, kAuthTls)));
  rec = c->ReadRecord();
  ASSERT_TRUE(rec);
  EXPECT_EQ(*rec, Words({2, 1, 1, 1, 5}));
}

TEST_F(TlsTest, PlainBytesAfterStartTlsCloseTheConnection) {
  StartServer(Options());
  auto c = TestClient::Connect(ep_);
  ASSERT_TRUE(c);
  // The probe and a plain call in one write: the client did not wait.
  Bytes both = Words({0x80000000u | 40});
  testing::Append(both, MakeCall(1, kSecProg, 1, 0, kAuthTls));
  Bytes call = MakeCall(2, kSecProg, 1, kProcWho);
  testing::Append(both, Words({0x80000000u | static_cast<uint32_t>(call.size())}));
  testing::Append(both, call);
  ASSERT_EQ(MakeCall(1, kSecProg, 1, 0, kAuthTls).size(), 40u);
  ASSERT_TRUE(c->Send(both));
  auto rec = c->ReadRecord();  // the STARTTLS answer still goes out
  ASSERT_TRUE(rec);
  EXPECT_TRUE(c->WaitForClose(2s));
}

TEST_F(TlsTest, HandshakeThatNeverFinishesIsCutOff) {
  StartServer(Options());
  auto c = TestClient::Connect(ep_);
  ASSERT_TRUE(c);
  auto t0 = std::chrono::steady_clock::now();
  const uint8_t partial[] = {0x16, 0x03, 0x01};  // a ClientHello that never comes
  ASSERT_TRUE(c->Send(partial));
  EXPECT_TRUE(c->WaitForClose(3s));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2500ms);
  // An idle TLS-capable connection that sent nothing is not a handshake:
  // it is left alone like any idle plain connection.
  auto idle = TestClient::Connect(ep_);
  ASSERT_TRUE(idle);
  EXPECT_FALSE(idle->Readable(600ms));
  auto who = AskWho(*idle, 5);
  ASSERT_TRUE(who);
  EXPECT_FALSE(who->tls);
}

TEST_F(TlsTest, GarbageAfter0x16ClosesAndOthersAreServed) {
  StartServer(Options());
  auto c = TestClient::Connect(ep_);
  ASSERT_TRUE(c);
  Bytes garbage(200, 0x5a);
  garbage[0] = 0x16;
  ASSERT_TRUE(c->Send(garbage));
  EXPECT_TRUE(c->WaitForClose(2s));
  auto raw = TestClient::Connect(ep_);
  ASSERT_TRUE(raw);
  auto tls = TlsClient::Handshake(raw->fd(), {});
  ASSERT_TRUE(tls);
  EXPECT_TRUE(AskWho(*tls, 1));
}

TEST_F(TlsTest, OnlyTls12And13WithForwardSecrecyAndAead) {
  StartServer(Options());
  auto try_setup = [&](TlsClient::Setup s) -> std::optional<std::string> {
    auto raw = TestClient::Connect(ep_);
    if (!raw) return std::nullopt;
    auto tls = TlsClient::Handshake(raw->fd(), s);
    if (!tls || !AskWho(*tls, 1)) return std::nullopt;
    return tls->version() + " " + tls->cipher();
  };
  TlsClient::Setup old;
  old.min_version = TLS1_VERSION;
  old.max_version = TLS1_1_VERSION;
  old.tls12_ciphers = "DEFAULT:@SECLEVEL=0";
  EXPECT_FALSE(try_setup(old));
  TlsClient::Setup rsa_kx;  // static RSA key exchange: no forward secrecy
  rsa_kx.max_version = TLS1_2_VERSION;
  rsa_kx.tls12_ciphers = "AES128-GCM-SHA256:AES256-GCM-SHA384";
  EXPECT_FALSE(try_setup(rsa_kx));
  TlsClient::Setup cbc;  // ECDHE but CBC
  cbc.max_version = TLS1_2_VERSION;
  cbc.tls12_ciphers = "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA";
  EXPECT_FALSE(try_setup(cbc));
  TlsClient::Setup gcm12;
  gcm12.max_version = TLS1_2_VERSION;
  gcm12.tls12_ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384";
  EXPECT_EQ(try_setup(gcm12), std::optional<std::string>("TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384"));
  TlsClient::Setup chacha13;
  chacha13.tls13_suites = "TLS_CHACHA20_POLY1305_SHA256";
  EXPECT_EQ(try_setup(chacha13), std::optional<std::string>("TLSv1.3 TLS_CHACHA20_POLY1305_SHA256"));
}

TEST_F(TlsTest, ClientCertificateRequestedNotRequiredSelfSignedAccepted) {
  StartServer(Options());
  auto self_signed =
      net::MakeSelfSignedCertificate(net::KeyType::kEcP256, Now() - 60, Now() + 3600, {});
  ASSERT_TRUE(self_signed);
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    auto raw = TestClient::Connect(ep_);
    ASSERT_TRUE(raw);
    TlsClient::Setup s;
    s.max_version = version;
    s.client_cert = &*self_signed;
    auto tls = TlsClient::Handshake(raw->fd(), s);
    ASSERT_TRUE(tls);
    auto who = AskWho(*tls, 1);
    ASSERT_TRUE(who);
    EXPECT_EQ(who->akid, "CERT");  // the authenticate step saw the certificate
  }
  std::lock_guard lock(mu_);
  ASSERT_EQ(peers_.size(), 2u);
  EXPECT_TRUE(peers_[0].cert);
  EXPECT_EQ(peers_[0].protocol, "TLSv1.2");
  EXPECT_TRUE(peers_[1].cert);
}

TEST_F(TlsTest, RefusalByAuthenticateClosesBeforeAnyRpc) {
  refuse_ = true;
  StartServer(Options());
  auto raw = TestClient::Connect(ep_);
  ASSERT_TRUE(raw);
  auto tls = TlsClient::Handshake(raw->fd(), {});
  if (tls) {
    // TLS 1.3 finishes the client side first; the server then closes
    // without answering.
    tls->SendRecord(MakeCall(1, kSecProg, 1, kProcWho));
    EXPECT_FALSE(tls->ReadRecord());
  }
  EXPECT_TRUE(WaitFor([&] { return server_->connection_count() == 0; }));
}

TEST_F(TlsTest, LargeRecordsBothWaysThroughTls) {
  StartServer(Options());
  auto raw = TestClient::Connect(ep_);
  ASSERT_TRUE(raw);
  auto tls = TlsClient::Handshake(raw->fd(), {});
  ASSERT_TRUE(tls);
  for (size_t n : {0u, 1u, 5000u, 300000u, 1000000u}) {
    Bytes data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 7 + n);
    xdr::Buffer args;
    xdr::XdrEncoder e(args);
    e.Opaque(data);
    Bytes call = MakeCall(static_cast<uint32_t>(n + 1), kSecProg, 1, kProcEcho, kAuthNone, {},
                          std::span<const uint8_t>(args.data(), args.size()));
    ASSERT_TRUE(tls->SendRecord(call));
    auto rec = tls->ReadRecord();
    ASSERT_TRUE(rec) << n;
    xdr::XdrDecoder d(*rec);
    for (int i = 0; i < 3; ++i) d.U32();
    d.U32();
    d.Opaque(400);
    ASSERT_EQ(d.U32(), 0u);
    auto back = d.Opaque(4u << 20);
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(std::equal(back.begin(), back.end(), data.begin(), data.end())) << n;
  }
}

TEST_F(TlsTest, EfsBindAnswersReadyWithOnePartitionPerFileSystem) {
  StartServer(Options());
  auto c = TestClient::Connect(ep_);
  ASSERT_TRUE(c);
  xdr::Buffer args;
  xdr::XdrEncoder e(args);
  const uint8_t id[16] = {1, 2, 3}, inc[8] = {9};
  e.Opaque(id);
  e.Opaque(inc);
  std::span<const uint8_t> a(args.data(), args.size());
  auto bind = [&](uint32_t xid, uint32_t prog, uint32_t proc) {
    EXPECT_TRUE(c->SendRecord(MakeCall(xid, prog, 1, proc, kAuthNone, {}, a)));
    return c->ReadRecord();
  };
  auto r1 = bind(1, kAwsFileProgram, kAwsFileBindProc);
  auto r2 = bind(2, kEfsLegacyProgram, kEfsLegacyBindProc);
  ASSERT_TRUE(r1 && r2);
  // Header (6 words) + READY + 64-byte id + 4 (new) or 3 (old) ints.
  ASSERT_EQ(r1->size(), 24u + 4 + 64 + 16);
  ASSERT_EQ(r2->size(), 24u + 4 + 64 + 12);
  EXPECT_EQ(Bytes(r1->begin() + 20, r1->begin() + 28), Words({0, 3}));  // SUCCESS, READY
  EXPECT_EQ(Bytes(r1->begin() + 28, r1->begin() + 92), Bytes(r2->begin() + 28, r2->begin() + 92));
  EXPECT_EQ(Bytes(r1->begin() + 92, r1->begin() + 96), Words({1}));  // max connections
  // Anything else on these programs: PROC_UNAVAIL; malformed: GARBAGE_ARGS.
  auto r3 = bind(3, kAwsFileProgram, 1);
  ASSERT_TRUE(r3);
  EXPECT_EQ(*r3, Words({3, 1, 0, 0, 0, 3}));
  ASSERT_TRUE(c->SendRecord(MakeCall(4, kAwsFileProgram, 1, kAwsFileBindProc, kAuthNone, {},
                                     Words({17}))));  // identifier longer than 16
  auto r4 = c->ReadRecord();
  ASSERT_TRUE(r4);
  EXPECT_EQ(*r4, Words({4, 1, 0, 0, 0, 4}));
}

TEST_F(TlsTest, ManyConnectsMixedPlainAndTlsBoundedInTime) {
  // Connection setup cost: 300 connections, one in three TLS 1.3 (with a
  // client certificate), each doing one call; all must succeed in bounded
  // time. The rates are printed for docs/design.md.
  StartServer(Options());
  auto self_signed =
      net::MakeSelfSignedCertificate(net::KeyType::kEcP256, Now() - 60, Now() + 3600, {});
  ASSERT_TRUE(self_signed);
  TlsClient::Setup s;
  s.client_cert = &*self_signed;
  int ok_plain = 0, ok_tls = 0;
  std::chrono::nanoseconds plain_time{0}, tls_time{0};
  for (int i = 0; i < 300; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto raw = TestClient::Connect(ep_);
    ASSERT_TRUE(raw);
    if (i % 3 == 0) {
      auto tls = TlsClient::Handshake(raw->fd(), s);
      ASSERT_TRUE(tls);
      if (AskWho(*tls, 1)) ++ok_tls;
      tls_time += std::chrono::steady_clock::now() - t0;
    } else {
      if (AskWho(*raw, 1)) ++ok_plain;
      plain_time += std::chrono::steady_clock::now() - t0;
    }
  }
  EXPECT_EQ(ok_plain, 200);
  EXPECT_EQ(ok_tls, 100);
  auto us = [](std::chrono::nanoseconds t, int n) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t).count() / n;
  };
  std::printf("connect+call: plain %ld us, TLS 1.3 with client certificate %ld us (mean)\n",
              static_cast<long>(us(plain_time, 200)), static_cast<long>(us(tls_time, 100)));
  EXPECT_LT(tls_time + plain_time, 60s);
}

// ---------------------------------------------------------------------------
// The efs-utils identity through net::MakeEfsTlsOptions.

class EfsTlsTest : public TlsTest {
 protected:
  void SetUp() override {
    net::EfsTlsListenerConfig cfg;
    cfg.certificate_chain_pem = ServerCert().certificate_pem;
    cfg.private_key_pem = ServerCert().private_key_pem;
    cfg.region = "eu-west-3";
    cfg.file_system_id = "fs-0123abcd";
    cfg.secrets = [](std::string_view akid) -> std::optional<sigv4::Secret> {
      if (akid == "AKIAGOODKEY000000001") return sigv4::Secret{"good-secret", "", 0};
      return std::nullopt;
    };
    cfg.audit = [this](const Connection&, const net::TlsAuditEvent& ev) {
      std::lock_guard lock(mu_);
      audit_.push_back(ev);
    };
    cfg.handshake_timeout = 2s;
    auto o = net::MakeEfsTlsOptions(std::move(cfg));
    ASSERT_TRUE(o.has_value()) << o.error().message();
    StartServer(*o);
  }
  net::CertificateAndKey Cert(std::string secret, std::string fs = "fs-0123abcd") {
    net::EfsClientCertificateRequest rq;
    rq.credentials = {"AKIAGOODKEY000000001", std::move(secret), ""};
    rq.region = "eu-west-3";
    rq.file_system_id = std::move(fs);
    rq.access_point_id = "fsap-0123456789abcdef0";
    rq.now = Now();
    rq.key_type = net::KeyType::kEcP256;
    auto c = net::MakeEfsClientCertificate(rq);
    EXPECT_TRUE(c.has_value());
    return *c;
  }
  std::optional<Who> MountWith(const net::CertificateAndKey& cert) {
    auto raw = TestClient::Connect(ep_);
    if (!raw) return std::nullopt;
    TlsClient::Setup s;
    s.client_cert = &cert;
    auto tls = TlsClient::Handshake(raw->fd(), s);
    if (!tls) return std::nullopt;
    return AskWho(*tls, 1);
  }
  std::vector<net::TlsAuditEvent> audit_;
};

// Plain RPC on a listener that also serves TLS runs the same code after one
// peek per connection: 4,000 NULL calls on one connection are all answered,
// on a plain-only and on a TLS-capable listener. The per-call cost is
// printed for docs/design.md, not asserted: speed is a measurement, and a
// bound on it failed on a loaded CI machine (75 us against 7 us).
TEST(TlsPlainPathTest, PlainCallsOnATlsListenerAreAnswered) {
  auto measure = [](std::shared_ptr<const TlsOptions> tls) {
    ServerOptions o;
    o.worker_threads = 2;
    RpcServer server(o);
    auto table = std::make_shared<ProgramTable>();
    table->Add(std::make_shared<SecurityProgram>());
    auto ep = server.Listen({asio::ip::make_address("127.0.0.1"), 0}, table, {}, std::move(tls));
    EXPECT_TRUE(ep.has_value());
    server.Start();
    auto c = TestClient::Connect(*ep);
    EXPECT_TRUE(c);
    constexpr int kCalls = 4000;
    Bytes call = MakeCall(1, kSecProg, 1, 0);  // NULL, answered on the I/O strand
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) {
      if (!c->SendRecord(call) || !c->ReadRecord()) return std::chrono::nanoseconds::max();
    }
    return (std::chrono::steady_clock::now() - t0) / kCalls;
  };
  auto ctx = net::MakeTlsServerContext(ServerCert().certificate_pem, ServerCert().private_key_pem);
  ASSERT_TRUE(ctx);
  auto tls = std::make_shared<TlsOptions>();
  tls->context = *ctx;
  // Interleaved runs, best of three each, to damp the machine's noise.
  std::chrono::nanoseconds plain = std::chrono::nanoseconds::max(), on_tls = plain;
  for (int i = 0; i < 3; ++i) {
    plain = std::min(plain, measure(nullptr));
    on_tls = std::min(on_tls, measure(tls));
  }
  std::printf("plain NULL round trip: plain-only listener %ld ns, TLS-capable listener %ld ns\n",
              static_cast<long>(plain.count()), static_cast<long>(on_tls.count()));
  EXPECT_NE(plain, std::chrono::nanoseconds::max()) << "a call on the plain-only listener failed";
  EXPECT_NE(on_tls, std::chrono::nanoseconds::max()) << "a plain call on the TLS listener failed";
}

TEST_F(TlsTest, MountTargetCertificateFromElfsCaVerifiesByNameAndAddress) {
  char tmpl[] = "/tmp/elfs-tls-ca-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::filesystem::create_directory(dir + "/secrets");
  std::filesystem::permissions(dir + "/secrets", std::filesystem::perms::owner_all);
  auto ca = net::CertificateAuthority::LoadOrCreate(dir + "/secrets", dir);
  ASSERT_TRUE(ca.has_value()) << ca.error().message();
  net::EfsTlsListenerConfig cfg;
  cfg.region = "eu-west-3";
  cfg.file_system_id = "fs-0123abcd";
  auto opts = net::MakeMountTargetTlsOptions(**ca, "127.0.0.1", std::move(cfg));
  ASSERT_TRUE(opts.has_value()) << opts.error().message();
  StartServer(*opts);
  EXPECT_EQ(net::MountTargetDnsNames("fs-0123abcd", "eu-west-3"),
            (std::vector<std::string>{"fs-0123abcd.efs.eu-west-3.amazonaws.com",
                                      "*.efs.eu-west-3.amazonaws.com"}));
  // A client that trusts only elfs's CA and checks the name (as stunnel's
  // verifyChain + checkHost) or the address.
  auto handshake = [&](const char* host, const char* ip) {
    auto raw = TestClient::Connect(ep_);
    EXPECT_TRUE(raw);
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx, (*ca)->ca_certificate_file().c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL* ssl = SSL_new(ctx);
    if (host) SSL_set1_host(ssl, host);
    if (ip) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip);
    SSL_set_fd(ssl, raw->fd());
    timeval tv{5, 0};
    setsockopt(raw->fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    bool ok = SSL_connect(ssl) == 1;
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return ok;
  };
  EXPECT_TRUE(handshake("fs-0123abcd.efs.eu-west-3.amazonaws.com", nullptr));
  EXPECT_TRUE(handshake("fsmt-anything.efs.eu-west-3.amazonaws.com", nullptr));  // wildcard
  EXPECT_TRUE(handshake(nullptr, "127.0.0.1"));
  EXPECT_FALSE(handshake("fs-0123abcd.efs.us-east-1.amazonaws.com", nullptr));
  EXPECT_FALSE(handshake(nullptr, "127.0.0.2"));
  std::filesystem::remove_all(dir);
}

TEST_F(EfsTlsTest, ValidSignatureSetsTheIdentity) {
  auto who = MountWith(Cert("good-secret"));
  ASSERT_TRUE(who);
  EXPECT_TRUE(who->tls);
  EXPECT_EQ(who->akid, "AKIAGOODKEY000000001");
  EXPECT_EQ(who->ap, "fsap-0123456789abcdef0");
  EXPECT_EQ(who->fs, "fs-0123abcd");
  std::lock_guard lock(mu_);
  ASSERT_EQ(audit_.size(), 1u);
  EXPECT_TRUE(audit_[0].accepted);
  EXPECT_TRUE(audit_[0].client_certificate);
}

TEST_F(EfsTlsTest, BadSignatureAndOtherFileSystemAreRefusedAndAudited) {
  EXPECT_FALSE(MountWith(Cert("wrong-secret")));
  EXPECT_FALSE(MountWith(Cert("good-secret", "fs-99999999")));
  // And the listener goes on serving valid clients.
  EXPECT_TRUE(MountWith(Cert("good-secret")));
  std::lock_guard lock(mu_);
  ASSERT_EQ(audit_.size(), 3u);
  EXPECT_FALSE(audit_[0].accepted);
  EXPECT_EQ(audit_[0].reason.rfind("SignatureDoesNotMatch", 0), 0u) << audit_[0].reason;
  EXPECT_EQ(audit_[0].access_key_id, "AKIAGOODKEY000000001");
  EXPECT_FALSE(audit_[1].accepted);
  EXPECT_EQ(audit_[1].reason.rfind("WrongFileSystem", 0), 0u) << audit_[1].reason;
  EXPECT_TRUE(audit_[2].accepted);
}

}  // namespace
}  // namespace elfs::rpc
