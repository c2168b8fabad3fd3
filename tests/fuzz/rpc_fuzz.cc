// Fuzzes what a peer controls on an RPC connection, without sockets: the
// byte stream goes through RecordParser (RFC 5531 §11) in chunks, each record
// through ProcessRecord / RunCall (call header, credentials, dispatch) and
// DecodeAcceptedReply (the back channel's replies), with
// a program that decodes arguments the way a real one would.
//
// Input layout: byte 0 picks the record limit, byte 1 the chunk size and
// whether large bodies use the direct-read path; the rest is the stream.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <spdlog/spdlog.h>

#include "rpc/call.h"
#include "rpc/record.h"
#include "rpc/wire.h"

namespace {

using namespace elfs;
using namespace elfs::rpc;

#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond)) std::abort(); \
  } while (0)

// Decodes a COMPOUND-like argument: tag, minor version, ops with opaques.
class FuzzProgram final : public Program {
 public:
  explicit FuzzProgram(uint32_t number, uint32_t low, uint32_t high)
      : number_(number), low_(low), high_(high) {}
  uint32_t program() const override { return number_; }
  uint32_t min_version() const override { return low_; }
  uint32_t max_version() const override { return high_; }
  AcceptStat Call(CallContext& ctx, xdr::XdrDecoder& args, xdr::XdrEncoder& reply) override {
    FUZZ_CHECK(ctx.proc != 0);  // NULL is the server's
    FUZZ_CHECK(ctx.flavor == kAuthNone || ctx.flavor == kAuthSys);
    if (ctx.flavor == kAuthSys) {
      FUZZ_CHECK(ctx.sys.gids.size() <= kMaxAuthSysGids);
      FUZZ_CHECK(ctx.sys.machine_name.size() <= kMaxMachineNameBytes);
    }
    if (ctx.proc > 3) return AcceptStat::kProcUnavail;
    std::string_view tag = args.String(64);
    uint32_t minor = args.U32();
    uint32_t n = args.ArrayLength(16);
    reply.String(tag);
    reply.U32(minor);
    size_t count_at = reply.Reserve32();
    uint32_t done = 0;
    for (uint32_t i = 0; i < n && args.ok(); ++i) {
      uint32_t op = args.U32();
      auto body = args.Opaque(64);
      reply.U32(op);
      reply.Opaque(body);
      ++done;
    }
    if (!args.ok()) return AcceptStat::kGarbageArgs;
    reply.Patch32(count_at, done);
    if (ctx.proc == 2) return static_cast<AcceptStat>(minor % 8);  // incl. undefined values
    if (ctx.proc == 3) throw std::runtime_error("fuzz");
    return AcceptStat::kSuccess;
  }

 private:
  uint32_t number_, low_, high_;
};

uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void CheckReply(std::span<const uint8_t> record, const xdr::Buffer& reply) {
  // Every reply is whole XDR: xid, REPLY, and at least a reply_stat + 2 words.
  FUZZ_CHECK(reply.size() % 4 == 0);
  FUZZ_CHECK(reply.size() >= 20);
  FUZZ_CHECK(Be32(reply.data()) == Be32(record.data()));  // the call's xid
  FUZZ_CHECK(Be32(reply.data() + 4) == 1);                // REPLY
  uint32_t stat = Be32(reply.data() + 8);
  FUZZ_CHECK(stat == 0 || stat == 1);
}

struct Fixture {
  Fixture() {
    table.Add(std::make_shared<FuzzProgram>(100003, 4, 4));
    table.Add(std::make_shared<FuzzProgram>(0x40000000, 1, 3));
    ctx.connection = std::make_shared<Connection>(1, boost::asio::ip::tcp::endpoint{},
                                                  boost::asio::ip::tcp::endpoint{});
  }
  ProgramTable table;
  CallContext ctx;
  xdr::Buffer record, reply;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // RunCall logs every throw
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* f = new Fixture;  // reused like a connection's buffers
  if (size < 2) return 0;
  const size_t max_record = data[0] == 0xff ? (1u << 20) + 4096 : 8 + size_t{data[0]} * 4;
  const size_t chunk = 1 + (data[1] & 0x7f);
  const bool direct = (data[1] & 0x80) != 0;
  std::span<const uint8_t> in(data + 2, size - 2);

  RecordParser parser(max_record);
  size_t off = 0;
  while (off < in.size()) {
    size_t n = std::min(chunk, in.size() - off);
    if (direct && parser.body_remaining() > 0) {
      auto w = parser.DirectWindow(n);
      FUZZ_CHECK(!w.empty() && w.size() <= n);
      std::memcpy(w.data(), in.data() + off, w.size());
      parser.CommitDirect(w.size());
      off += w.size();
    } else {
      auto used = parser.Consume(in.subspan(off, n));
      if (!used) {
        FUZZ_CHECK(used.error().code() == Errc::kTooBig);
        return 0;  // the server closes the connection
      }
      FUZZ_CHECK(*used <= n);
      FUZZ_CHECK(*used > 0 || parser.record_ready());
      off += *used;
    }
    if (!parser.record_ready()) continue;
    FUZZ_CHECK(parser.record().size() <= max_record);
    parser.TakeRecord(f->record);
    std::span<const uint8_t> rec(f->record.data(), f->record.size());
    // The same bytes as a reply on the back channel (the client answers
    // CB_NULL / CB_SEQUENCE): a header that decodes names a body inside it.
    uint32_t reply_xid = 0;
    AcceptStat reply_stat{};
    size_t body_at = 0;
    if (DecodeAcceptedReply(rec, &reply_xid, &reply_stat, &body_at)) FUZZ_CHECK(body_at <= rec.size());
    Disposition d = ProcessRecord(rec, f->table, f->ctx, f->reply);
    switch (d.action) {
      case Action::kClose:
        FUZZ_CHECK(rec.size() < 4);
        return 0;
      case Action::kIgnore:
        break;
      case Action::kSend:
      case Action::kStartTls:  // the answer is an ordinary reply; TLS follows it
        CheckReply(rec, f->reply);
        break;
      case Action::kDispatch:
        FUZZ_CHECK(d.program != nullptr && d.args_offset <= rec.size());
        RunCall(*d.program, f->ctx, rec.subspan(d.args_offset), f->reply);
        CheckReply(rec, f->reply);
        break;
    }
  }
  return 0;
}
