// Value types of NFSv4 protocol state: verifiers, stateids, session ids and
// channel attributes (RFC 8881 sections 2.10, 8.2, 18.36).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include <tl/expected.hpp>

#include "nfs4/nfs4_const.h"

namespace elfs::nfs4::state {

// A protocol-state operation fails with an nfsstat4: these errors (STALE_*,
// BAD_STATEID, BAD_SEQID, GRACE ...) are produced only by the state layer.
template <class T>
using NfsResult = tl::expected<T, nfsstat4>;
inline tl::unexpected<nfsstat4> NfsErr(nfsstat4 s) { return tl::unexpected<nfsstat4>(s); }

using Verifier = std::array<uint8_t, NFS4_VERIFIER_SIZE>;
using SessionId = std::array<uint8_t, NFS4_SESSIONID_SIZE>;
using StateOther = std::array<uint8_t, NFS4_OTHER_SIZE>;

struct Stateid {
  uint32_t seqid = 0;
  StateOther other{};
  friend bool operator==(const Stateid&, const Stateid&) = default;

  // RFC 8881 section 8.2.3: all-zero (anonymous) and all-ones (read bypass).
  bool IsAnonymous() const { return seqid == 0 && IsOther(0); }
  bool IsBypass() const { return seqid == 0xffffffff && IsOther(0xff); }
  bool IsSpecial() const { return IsAnonymous() || IsBypass(); }
  // The "current stateid" (seqid 1, other all zero) of NFSv4.1.
  bool IsCurrent() const { return seqid == 1 && IsOther(0); }
  // The invalid special stateid (seqid NFS4_UINT32_MAX, other zero).
  static Stateid Invalid() { return {0xffffffff, {}}; }

 private:
  bool IsOther(uint8_t b) const {
    for (uint8_t x : other)
      if (x != b) return false;
    return true;
  }
};

struct ChannelAttrs {
  uint32_t headerpadsize = 0;
  uint32_t maxrequestsize = 0;
  uint32_t maxresponsesize = 0;
  uint32_t maxresponsesize_cached = 0;
  uint32_t maxoperations = 0;
  uint32_t maxrequests = 0;
  bool has_rdma_ird = false;
  uint32_t rdma_ird = 0;
};

// Who set up a client record (for the principal checks of RFC 8881
// section 2.4 / RFC 7530 section 16.33.5).
struct ClientPrincipal {
  uint32_t flavor = 0;
  uint32_t uid = 0;
  std::string machine_name;
  friend bool operator==(const ClientPrincipal&, const ClientPrincipal&) = default;
};

}  // namespace elfs::nfs4::state
