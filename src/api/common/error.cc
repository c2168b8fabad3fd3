#include "api/common/error.h"

namespace elfs::api {

ApiError FromStatus(const Status& s) {
  switch (s.code()) {
    case Errc::kConflict:
    case Errc::kUnavailable:
    case Errc::kBusy:
      return {503, "ServiceUnavailable", "the request conflicted with a concurrent change; retry"};
    default:
      // Internal details stay in the server's log, not in the reply.
      return {500, "InternalFailure", "internal error"};
  }
}

}  // namespace elfs::api
