#include "common/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

namespace elfs {

void SystemRandom::Fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::abort();  // no entropy source: nothing safe to fall back to
    }
    done += static_cast<size_t>(n);
  }
}

SystemRandom& SystemRandom::Instance() {
  static SystemRandom r;
  return r;
}

}  // namespace elfs
