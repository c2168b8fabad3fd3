// Randomness. Identifiers and verifiers come from a Random so tests can make
// them deterministic. Thread safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <span>

namespace elfs {

class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(std::span<uint8_t> out) = 0;
  uint64_t U64() {
    uint64_t v;
    Fill({reinterpret_cast<uint8_t*>(&v), sizeof v});
    return v;
  }
};

// Cryptographically strong bytes from the kernel (getrandom).
class SystemRandom final : public Random {
 public:
  void Fill(std::span<uint8_t> out) override;
  static SystemRandom& Instance();
};

// Reproducible bytes for tests.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : gen_(seed) {}
  void Fill(std::span<uint8_t> out) override {
    std::lock_guard lock(mu_);
    for (auto& b : out) b = static_cast<uint8_t>(gen_());
  }

 private:
  std::mutex mu_;
  std::mt19937_64 gen_;
};

}  // namespace elfs
