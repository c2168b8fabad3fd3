// XDR (RFC 4506) encoding and decoding.
//
// XdrDecoder reads from a byte span it does not own; opaque data and strings
// are returned as views into that span (zero-copy: a WRITE's payload is never
// copied before it reaches the backend). Errors are sticky: after the first
// short read or over-limit length every getter returns a zero value and ok()
// is false, so a decoder for a whole structure checks ok() once at the end.
//
// XdrEncoder appends to a caller-owned Buffer; callers reuse
// the vector between requests so the steady state allocates nothing. Space
// can be reserved and filled later (Reserve/Patch) and written in place
// (AppendRaw: a READ preads straight into the reply).
//
// Thread safety: none; one encoder/decoder per thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace elfs::xdr {

inline constexpr size_t Pad4(size_t n) { return (n + 3) & ~size_t{3}; }

// An allocator whose resize() leaves new bytes uninitialised, so growing a
// reply buffer by 1 MiB for a READ costs no memset.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  using std::allocator<T>::allocator;
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// The byte buffer every encoder writes into; reused across requests.
using Buffer = std::vector<uint8_t, DefaultInitAllocator<uint8_t>>;

// Resizes `b` to n bytes, the new ones uninitialised. Use it, not
// b.resize(), to grow: std::vector moves the old bytes into a larger
// allocation one at a time through the allocator's construct() (a byte loop
// at -O2), where this moves them with one memcpy.
void Resize(Buffer& b, size_t n);

class XdrDecoder {
 public:
  XdrDecoder() = default;
  explicit XdrDecoder(std::span<const uint8_t> data) : data_(data) {}

  uint32_t U32();
  int32_t I32() { return static_cast<int32_t>(U32()); }
  uint64_t U64();
  int64_t I64() { return static_cast<int64_t>(U64()); }
  // XDR bool: exactly 0 or 1; anything else is malformed.
  bool Bool();
  // Fixed-length opaque of n bytes (plus padding to 4).
  std::span<const uint8_t> FixedOpaque(size_t n);
  // Variable-length opaque<max>; a longer length fails the decoder.
  std::span<const uint8_t> Opaque(size_t max);
  // string<max>, as a view (not NUL-terminated, may contain any bytes).
  std::string_view String(size_t max);
  // Array length prefix with an upper bound; fails if larger than max or
  // larger than the bytes left could hold (each element is >= min_elem_size).
  uint32_t ArrayLength(size_t max, size_t min_elem_size = 4);

  bool ok() const { return ok_; }
  void Fail() { ok_ = false; }
  size_t position() const { return pos_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  // The bytes not yet consumed.
  std::span<const uint8_t> rest() const { return data_.subspan(ok_ ? pos_ : data_.size()); }

 private:
  bool Need(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

class XdrEncoder {
 public:
  explicit XdrEncoder(Buffer& out) : out_(out) {}

  void U32(uint32_t v);
  void I32(int32_t v) { U32(static_cast<uint32_t>(v)); }
  void U64(uint64_t v);
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void Bool(bool v) { U32(v ? 1 : 0); }
  void FixedOpaque(std::span<const uint8_t> bytes);
  void Opaque(std::span<const uint8_t> bytes);
  void String(std::string_view s) {
    Opaque({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  }
  // Reserves 4 bytes and returns their offset, for a length or count that is
  // known only later.
  size_t Reserve32() {
    size_t at = out_.size();
    U32(0);
    return at;
  }
  void Patch32(size_t offset, uint32_t v);
  // Appends n bytes (zero padding to 4 included in the encoding but not in
  // the returned span) for the caller to fill in place, e.g. by pread.
  // Call ShrinkRaw() if fewer bytes were produced.
  std::span<uint8_t> AppendRaw(size_t n);
  // After AppendRaw(n) filled only `used` bytes: drops the rest, re-pads.
  void ShrinkRaw(std::span<uint8_t> raw, size_t used);

  size_t size() const { return out_.size(); }
  void Truncate(size_t n) { out_.resize(n); }
  Buffer& buffer() { return out_; }

 private:
  Buffer& out_;
};

}  // namespace elfs::xdr
