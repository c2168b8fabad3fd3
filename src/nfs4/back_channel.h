// The connections of one NFSv4.1 session and its back channel (RFC 8881
// sections 2.10.3.1 and 2.10.5): which connections are bound to the session
// for the fore and the back channel, and whether the client answers a
// CB_NULL on a back-channel connection.
//
// elfs grants no delegations and no layouts, so nothing is ever recalled;
// the back channel only has to be truthfully reported in SEQUENCE's
// sr_status_flags (SEQ4_STATUS_CB_PATH_DOWN_SESSION, and
// SEQ4_STATUS_CB_PATH_DOWN from all of a client's sessions).
//
// States of the path (advanced by StatusFlags(), which SEQUENCE calls, and
// by the replies of the probes):
//   no back connection  -> down (flag set)
//   a back connection, never probed or the probed one closed -> a CB_NULL is
//     sent on it: probing (no flag: a probe in flight is not a failure)
//   probing, accepted SUCCESS reply -> up
//   probing, other reply, connection closed, or no reply within
//     probe_timeout -> down; the next StatusFlags() probes the next live
//     back connection, or the same one again after retry_interval.
//
// Memory: at most kMaxConnections bindings per session; closed connections
// are dropped first, then the oldest fore-only one.
//
// Thread safety: all methods are thread-safe; probe replies arrive on the
// connection's I/O strand.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "common/clock.h"
#include "rpc/connection.h"

namespace elfs::nfs4 {

class BackChannel : public std::enable_shared_from_this<BackChannel> {
 public:
  static constexpr size_t kMaxConnections = 16;
  static constexpr uint32_t kCallbackVersion = 1;  // RFC 8881 section 20 (CB program)

  enum class Path { kDown, kProbing, kUp };

  BackChannel(const Clock& clock, uint32_t cb_program,
              std::chrono::nanoseconds probe_timeout = std::chrono::seconds(10),
              std::chrono::nanoseconds retry_interval = std::chrono::seconds(5));

  // Binds a connection to the session (CREATE_SESSION: the connection it
  // came on, back too if CREATE_SESSION4_FLAG_CONN_BACK_CHAN;
  // BIND_CONN_TO_SESSION; SEQUENCE on an unbound connection binds it for the
  // fore channel). Directions accumulate. A null connection is ignored.
  void Bind(const std::shared_ptr<rpc::Connection>& conn, bool fore, bool back);

  // Whether this session's back channel is usable, probing first if needed;
  // returns SEQ4_STATUS_CB_PATH_DOWN_SESSION or 0.
  uint32_t StatusFlags();
  Path path();

  // Connections bound now (closed ones are not counted).
  size_t bound_connections(bool back_only = false);
  // Probes sent so far (for tests).
  uint64_t probes_sent();

  // The CB_NULL call message for `xid`.
  std::vector<uint8_t> CbNullCall(uint32_t xid) const;

  // The session the back channel belongs to and the credential the client
  // asked callbacks to carry (CREATE_SESSION's csa_sec_parms: AUTH_NONE, or
  // AUTH_SYS with this body). With it, a CB_NULL that was answered is
  // followed by a CB_COMPOUND with one CB_SEQUENCE (slot 0), and the path
  // is up only once that succeeds (or answers NFS4ERR_DELAY: the client
  // knows the session but is busy): the client knows the session, not just
  // the connection. Without it (no usable flavor), CB_NULL alone decides.
  void SetSession(const std::array<uint8_t, 16>& id, uint32_t cred_flavor,
                  std::vector<uint8_t> cred_body);
  // BACKCHANNEL_CTL: callbacks use this program and credential from now
  // on; the path is probed again at the next StatusFlags().
  void Reconfigure(uint32_t cb_program, uint32_t cred_flavor, std::vector<uint8_t> cred_body);
  // The CB_COMPOUND { CB_SEQUENCE } call message for `xid` and `seqid`.
  std::vector<uint8_t> CbSequenceCall(uint32_t xid, uint32_t seqid) const;
  // Back-channel slot 0's last sequence id (for tests).
  uint32_t cb_sequenceid();

 private:
  struct Binding {
    std::weak_ptr<rpc::Connection> conn;
    uint64_t id = 0;
    bool fore = false, back = false;
  };
  // mu_ held.
  void Prune();
  std::shared_ptr<rpc::Connection> PickBackConnection();
  void Probe(const std::shared_ptr<rpc::Connection>& conn);
  void OnReply(uint64_t generation, std::span<const uint8_t> reply);
  // mu_ held: sends `message` on the probed connection as the current probe.
  bool SendProbe(const std::shared_ptr<rpc::Connection>& conn, uint32_t xid,
                 std::vector<uint8_t> message);

  const Clock& clock_;
  uint32_t cb_program_;  // guarded by mu_
  const std::chrono::nanoseconds probe_timeout_, retry_interval_;

  std::mutex mu_;
  std::vector<Binding> bindings_;  // guarded by mu_
  Path path_ = Path::kDown;       // guarded by mu_
  std::weak_ptr<rpc::Connection> probed_;                   // guarded by mu_
  uint64_t probed_id_ = 0;                                 // guarded by mu_
  uint32_t probe_xid_ = 0;                                 // guarded by mu_
  uint64_t generation_ = 0;                                // guarded by mu_
  uint64_t probes_ = 0;                                    // guarded by mu_
  std::chrono::steady_clock::time_point probe_sent_{};     // guarded by mu_
  std::chrono::steady_clock::time_point down_since_{};     // guarded by mu_
  bool ever_probed_ = false;                               // guarded by mu_
  bool has_session_ = false;                               // guarded by mu_
  std::array<uint8_t, 16> session_id_{};                   // guarded by mu_
  uint32_t cred_flavor_ = 0;                               // guarded by mu_
  std::vector<uint8_t> cred_body_;                         // guarded by mu_
  uint32_t cb_seqid_ = 0;        // slot 0's last sequence id, guarded by mu_
  bool sequence_sent_ = false;   // the probe in flight is the CB_SEQUENCE
};

}  // namespace elfs::nfs4
