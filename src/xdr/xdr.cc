#include "xdr/xdr.h"

#include <algorithm>

namespace elfs::xdr {

namespace {
inline uint32_t LoadBE32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline void StoreBE32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
}  // namespace

uint32_t XdrDecoder::U32() {
  if (!Need(4)) return 0;
  uint32_t v = LoadBE32(data_.data() + pos_);
  pos_ += 4;
  return v;
}

uint64_t XdrDecoder::U64() {
  if (!Need(8)) return 0;
  uint64_t hi = LoadBE32(data_.data() + pos_);
  uint64_t lo = LoadBE32(data_.data() + pos_ + 4);
  pos_ += 8;
  return (hi << 32) | lo;
}

bool XdrDecoder::Bool() {
  uint32_t v = U32();
  if (v > 1) ok_ = false;
  return ok_ && v == 1;
}

std::span<const uint8_t> XdrDecoder::FixedOpaque(size_t n) {
  // Check n first: Pad4 of a huge n would wrap around.
  if (n > data_.size()) {
    ok_ = false;
    return {};
  }
  if (!Need(Pad4(n))) return {};
  auto out = data_.subspan(pos_, n);
  pos_ += Pad4(n);
  return out;
}

std::span<const uint8_t> XdrDecoder::Opaque(size_t max) {
  uint32_t len = U32();
  if (!ok_) return {};
  if (len > max) {
    ok_ = false;
    return {};
  }
  return FixedOpaque(len);
}

std::string_view XdrDecoder::String(size_t max) {
  auto bytes = Opaque(max);
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

uint32_t XdrDecoder::ArrayLength(size_t max, size_t min_elem_size) {
  uint32_t n = U32();
  if (!ok_) return 0;
  if (n > max || (min_elem_size > 0 && n > remaining() / min_elem_size)) {
    ok_ = false;
    return 0;
  }
  return n;
}

void Resize(Buffer& b, size_t n) {
  if (n <= b.capacity()) {
    b.resize(n);
    return;
  }
  Buffer bigger;
  bigger.reserve(std::max(n, 2 * b.capacity()));  // empty: nothing to move
  bigger.resize(n);
  if (!b.empty()) std::memcpy(bigger.data(), b.data(), b.size());
  b.swap(bigger);
}

void XdrEncoder::U32(uint32_t v) {
  size_t at = out_.size();
  Resize(out_, at + 4);
  StoreBE32(out_.data() + at, v);
}

void XdrEncoder::U64(uint64_t v) {
  size_t at = out_.size();
  Resize(out_, at + 8);
  StoreBE32(out_.data() + at, static_cast<uint32_t>(v >> 32));
  StoreBE32(out_.data() + at + 4, static_cast<uint32_t>(v));
}

void XdrEncoder::FixedOpaque(std::span<const uint8_t> bytes) {
  size_t at = out_.size();
  Resize(out_, at + Pad4(bytes.size()));
  if (!bytes.empty()) std::memcpy(out_.data() + at, bytes.data(), bytes.size());
  std::memset(out_.data() + at + bytes.size(), 0, Pad4(bytes.size()) - bytes.size());
}

void XdrEncoder::Opaque(std::span<const uint8_t> bytes) {
  U32(static_cast<uint32_t>(bytes.size()));
  FixedOpaque(bytes);
}

void XdrEncoder::Patch32(size_t offset, uint32_t v) { StoreBE32(out_.data() + offset, v); }

std::span<uint8_t> XdrEncoder::AppendRaw(size_t n) {
  size_t at = out_.size();
  // Buffer's allocator leaves the new bytes uninitialised: no memset of
  // the payload, only of the padding.
  Resize(out_, at + Pad4(n));
  std::memset(out_.data() + at + n, 0, Pad4(n) - n);
  return {out_.data() + at, n};
}

void XdrEncoder::ShrinkRaw(std::span<uint8_t> raw, size_t used) {
  size_t start = static_cast<size_t>(raw.data() - out_.data());
  out_.resize(start + Pad4(used));
  std::memset(out_.data() + start + used, 0, Pad4(used) - used);
}

}  // namespace elfs::xdr
