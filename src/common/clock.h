// Time sources. Everything that reads the time takes a Clock so tests can use
// FakeClock. Thread safety: SystemClock is stateless; FakeClock is atomic.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace elfs {

struct Timespec {
  int64_t sec = 0;
  uint32_t nsec = 0;
  friend bool operator==(const Timespec&, const Timespec&) = default;
  friend auto operator<=>(const Timespec&, const Timespec&) = default;
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (CLOCK_REALTIME), for timestamps sent to clients.
  virtual Timespec Now() const = 0;
  // Monotonic time, for leases and timeouts.
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timespec Now() const override;
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
  // A process-wide instance.
  static const SystemClock& Instance();
};

// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_sec = 1'700'000'000) : ns_(start_sec * 1'000'000'000) {}
  Timespec Now() const override {
    int64_t ns = ns_.load();
    return {ns / 1'000'000'000, static_cast<uint32_t>(ns % 1'000'000'000)};
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns_.load()));
  }
  void Advance(std::chrono::nanoseconds d) { ns_ += d.count(); }

 private:
  std::atomic<int64_t> ns_;
};

}  // namespace elfs
