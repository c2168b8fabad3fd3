#include "rpc/program.h"

namespace elfs::rpc {

void ProgramTable::Add(std::shared_ptr<Program> p) {
  if (p == nullptr) return;
  uint32_t number = p->program();
  for (auto& e : programs_) {
    if (e.number == number) {
      e.program = std::move(p);
      return;
    }
  }
  programs_.push_back({number, std::move(p)});
}

Program* ProgramTable::Find(uint32_t prog) const {
  for (const auto& e : programs_) {
    if (e.number == prog) return e.program.get();
  }
  return nullptr;
}

}  // namespace elfs::rpc
