#include "rpc/record.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace elfs::rpc {

std::array<uint8_t, 4> RecordMark(uint32_t length, bool last) {
  uint32_t v = (length & kMaxFragmentLength) | (last ? kLastFragment : 0);
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

Result<size_t> RecordParser::Consume(std::span<const uint8_t> in) {
  if (failed_) return Err(Errc::kInternal, "record parser used after an error");
  size_t used = 0;
  while (used < in.size() && !ready_) {
    if (header_have_ < 4) {
      size_t n = std::min(4 - header_have_, in.size() - used);
      std::copy_n(in.data() + used, n, header_.data() + header_have_);
      header_have_ += n;
      used += n;
      if (header_have_ < 4) break;
      uint32_t h = (uint32_t{header_[0]} << 24) | (uint32_t{header_[1]} << 16) |
                   (uint32_t{header_[2]} << 8) | uint32_t{header_[3]};
      last_ = (h & kLastFragment) != 0;
      fragment_left_ = h & kMaxFragmentLength;
      record_started_ = true;
      // RFC 5531 §11 bounds a fragment at 2^31-1 bytes but not a record; the
      // limit is ours (SPEC §2: 1 MiB + 4 KiB). Checking the announced
      // length means a hostile header costs us no memory.
      announced_ += fragment_left_;
      if (announced_ > max_record_size_) {
        failed_ = true;
        return Err(Errc::kTooBig, "record of at least " + std::to_string(announced_) +
                                      " bytes exceeds the limit of " +
                                      std::to_string(max_record_size_));
      }
      if (fragment_left_ == 0) EndFragment();
      continue;
    }
    // Inside a fragment body. Grow as bytes arrive, never by the announced
    // length up front.
    size_t n = std::min(fragment_left_, in.size() - used);
    const size_t at = record_.size();
    xdr::Resize(record_, at + n);
    std::memcpy(record_.data() + at, in.data() + used, n);
    used += n;
    fragment_left_ -= n;
    if (fragment_left_ == 0) EndFragment();
  }
  return used;
}

void RecordParser::EndFragment() {
  header_have_ = 0;
  if (last_) ready_ = true;
}

void RecordParser::TakeRecord(xdr::Buffer& out) {
  std::swap(record_, out);
  record_.clear();
  announced_ = 0;
  record_started_ = false;
  ready_ = false;
}

std::span<uint8_t> RecordParser::DirectWindow(size_t max) {
  if (failed_ || ready_ || !in_body()) return {};
  size_t n = std::min(max, fragment_left_);
  direct_at_ = record_.size();
  direct_open_ = true;
  xdr::Resize(record_, direct_at_ + n);
  return {record_.data() + direct_at_, n};
}

void RecordParser::CommitDirect(size_t n) {
  if (!direct_open_) return;
  direct_open_ = false;
  n = std::min({n, record_.size() - direct_at_, fragment_left_});
  record_.resize(direct_at_ + n);
  fragment_left_ -= n;
  if (fragment_left_ == 0) EndFragment();
}

}  // namespace elfs::rpc
