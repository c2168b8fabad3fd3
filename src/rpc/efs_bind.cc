#include "rpc/efs_bind.h"

#include <array>

#include <openssl/sha.h>
#include <spdlog/spdlog.h>

namespace elfs::rpc {

namespace {

constexpr size_t kProxyIdBytes = 16, kProxyIncarnationBytes = 8;

class EfsBindProgram final : public Program {
 public:
  EfsBindProgram(uint32_t number, const EfsBindOptions& o) : number_(number), options_(o) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(o.partition_key.data()), o.partition_key.size(),
           md);
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
      partition_id_[2 * i] = static_cast<uint8_t>(kHex[md[i] >> 4]);
      partition_id_[2 * i + 1] = static_cast<uint8_t>(kHex[md[i] & 15]);
    }
  }

  uint32_t program() const override { return number_; }
  uint32_t min_version() const override { return 1; }
  uint32_t max_version() const override { return 1; }

  AcceptStat Call(CallContext& ctx, xdr::XdrDecoder& args, xdr::XdrEncoder& reply) override {
    const uint32_t bind_proc = number_ == kAwsFileProgram ? kAwsFileBindProc : kEfsLegacyBindProc;
    if (ctx.proc != bind_proc) return AcceptStat::kProcUnavail;
    std::span<const uint8_t> id = args.Opaque(kProxyIdBytes);
    std::span<const uint8_t> incarnation = args.Opaque(kProxyIncarnationBytes);
    if (!args.ok()) return AcceptStat::kGarbageArgs;
    spdlog::debug("efs bind: conn {} prog {}: proxy id of {} bytes, incarnation of {} bytes: READY",
                  ctx.connection ? ctx.connection->id() : 0, number_, id.size(),
                  incarnation.size());
    reply.U32(static_cast<uint32_t>(EfsBindResponse::kReady));
    reply.FixedOpaque(partition_id_);
    reply.I32(options_.max_multiplexed_connections);
    reply.I32(options_.scale_up_bytes_per_second_threshold);
    reply.I32(options_.scale_up_threshold_breached_duration_seconds);
    // efs-utils releases disagree on this version's units (seconds or
    // milliseconds); with one connection the thresholds are never reached.
    if (number_ == kAwsFileProgram) reply.I32(options_.scale_up_lookback_window_seconds);
    return AcceptStat::kSuccess;
  }

 private:
  const uint32_t number_;
  const EfsBindOptions options_;
  std::array<uint8_t, kEfsPartitionIdBytes> partition_id_{};
};

}  // namespace

std::shared_ptr<Program> MakeEfsBindProgram(uint32_t program_number, const EfsBindOptions& options) {
  if (program_number != kAwsFileProgram && program_number != kEfsLegacyProgram) return nullptr;
  return std::make_shared<EfsBindProgram>(program_number, options);
}

void AddEfsBindPrograms(ProgramTable& table, const EfsBindOptions& options) {
  table.Add(MakeEfsBindProgram(kAwsFileProgram, options));
  table.Add(MakeEfsBindProgram(kEfsLegacyProgram, options));
}

}  // namespace elfs::rpc
