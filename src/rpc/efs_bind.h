// amazon-efs-utils' "bind client to partition" RPC (SPEC §1.2): efs-utils'
// proxy sends it on each new connection before NFS. Two programs, as the
// efs-utils XDR describes them:
//   400123 (AWSFILE_PROGRAM) v1, proc 2: bind_client_to_partition(
//     ProxyIdentifier) -> BindClientResponse whose ScaleUpConfig has four
//     ints (max connections, bytes/ms threshold, breach duration ms,
//     lookback window ms); procs 1 (COMPOUND) and 3 (channel init) are
//     PROC_UNAVAIL here;
//   100200 (the older EFS program) v1, proc 1: the same call, with a
//     three-int ScaleUpConfig (max connections, bytes/s, duration s).
// ProxyIdentifier = { opaque identifier<16>; opaque incarnation<8>; }.
// The answer is READY with a 64-byte partition id that is the same for
// every connection to one file system (the lower-case hex SHA-256 of the
// partition key), so a proxy sees all its connections on one partition.
//
// Thread safety: the programs are immutable; Call() is reentrant.
#pragma once

#include <climits>
#include <cstdint>
#include <memory>
#include <string>

#include "rpc/program.h"

namespace elfs::rpc {

inline constexpr uint32_t kAwsFileProgram = 400123;
inline constexpr uint32_t kEfsLegacyProgram = 100200;
inline constexpr uint32_t kAwsFileBindProc = 2;
inline constexpr uint32_t kEfsLegacyBindProc = 1;
inline constexpr size_t kEfsPartitionIdBytes = 64;

// BindResponseType of the efs-utils XDR.
enum class EfsBindResponse : uint32_t { kRetry = 0, kRetryLater = 1, kPreferred = 2, kReady = 3, kError = 4 };

struct EfsBindOptions {
  // Identifies the partition: the file system id of the mount target.
  std::string partition_key;
  // ScaleUpConfig. 1 = the proxy keeps one connection (elfs does not spread
  // a session over several connections the way EFS partitions do yet).
  int32_t max_multiplexed_connections = 1;
  int32_t scale_up_bytes_per_second_threshold = INT32_MAX;
  int32_t scale_up_threshold_breached_duration_seconds = INT32_MAX;
  int32_t scale_up_lookback_window_seconds = 60;
};

// The program for `program_number` (kAwsFileProgram or kEfsLegacyProgram);
// nullptr for any other number.
std::shared_ptr<Program> MakeEfsBindProgram(uint32_t program_number, const EfsBindOptions& options);
// Adds both to a mount target's table.
void AddEfsBindPrograms(ProgramTable& table, const EfsBindOptions& options);

}  // namespace elfs::rpc
