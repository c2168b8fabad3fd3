// Record marking for ONC RPC over a byte stream (RFC 5531 §11): each record
// is a sequence of fragments, each preceded by a 4-byte big-endian header
// whose high bit marks the last fragment and whose low 31 bits are the
// fragment's length.
//
// RecordParser is pure (bytes in, complete records out), so it can be unit
// tested and fuzzed without sockets. It reassembles fragments into one
// xdr::Buffer and enforces a limit on the whole record, checked as soon as a
// fragment header announces more than the limit allows (before its body is
// read). Records are handed out by swapping buffers, so buffer capacity
// circulates between the parser and its owner and the steady state
// allocates nothing.
//
// Thread safety: none; one parser per connection, used from one strand.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/status.h"
#include "xdr/xdr.h"

namespace elfs::rpc {

inline constexpr uint32_t kLastFragment = 0x80000000u;
inline constexpr uint32_t kMaxFragmentLength = 0x7fffffffu;

// The 4-byte header of a single-fragment record of `length` bytes.
// REQUIRES: length <= kMaxFragmentLength.
std::array<uint8_t, 4> RecordMark(uint32_t length, bool last = true);

class RecordParser {
 public:
  explicit RecordParser(size_t max_record_size) : max_record_size_(max_record_size) {}

  // Consumes bytes from `in` until a record completes or `in` runs out, and
  // returns how many were consumed; the rest belong to the next record. An
  // error (Errc::kTooBig) means the record exceeds the limit; the parser is
  // then unusable and the stream must be closed. Consumes nothing while
  // record_ready().
  Result<size_t> Consume(std::span<const uint8_t> in);

  // A complete record is waiting to be taken.
  bool record_ready() const { return ready_; }
  // Valid while record_ready().
  std::span<const uint8_t> record() const { return {record_.data(), record_.size()}; }
  // Swaps the complete record into `out` and starts the next record in the
  // buffer `out` held (cleared, capacity kept).
  // REQUIRES: record_ready().
  void TakeRecord(xdr::Buffer& out);

  // Zero-copy path for large fragment bodies (1 MiB WRITEs): while inside a
  // fragment body, returns room for up to min(max, body bytes left) bytes at
  // the end of the record, for the caller to read the socket into; then
  // CommitDirect(n) with the number actually written. Empty when not inside
  // a body. Only valid if no bytes are pending for Consume() (they would
  // come first). Nothing else may be called between the two.
  std::span<uint8_t> DirectWindow(size_t max);
  void CommitDirect(size_t n);

  // Bytes still expected in the current fragment's body (0 when between
  // fragments or reading a header).
  size_t body_remaining() const { return in_body() ? fragment_left_ : 0; }
  // Some bytes of an unfinished record have been consumed (a peer that
  // closes now truncated a record).
  bool mid_record() const { return !ready_ && (header_have_ > 0 || record_started_); }
  size_t max_record_size() const { return max_record_size_; }

 private:
  bool in_body() const { return header_have_ == 4 && fragment_left_ > 0; }
  // Called when the current fragment's body is complete.
  void EndFragment();

  size_t max_record_size_;
  xdr::Buffer record_;
  std::array<uint8_t, 4> header_{};
  size_t header_have_ = 0;   // bytes of the current fragment header seen
  size_t fragment_left_ = 0; // body bytes of the current fragment still due
  size_t announced_ = 0;     // sum of fragment lengths of this record so far
  size_t direct_at_ = 0;     // record_ size before the open DirectWindow
  bool direct_open_ = false; // a DirectWindow awaits its CommitDirect
  bool last_ = false;        // current fragment is the record's last
  bool record_started_ = false;
  bool ready_ = false;
  bool failed_ = false;
};

}  // namespace elfs::rpc
