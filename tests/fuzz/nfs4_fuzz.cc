// libFuzzer target: one COMPOUND4args per input through the whole NFSv4
// layer (dispatcher, every handler, attribute codecs, state) on a fresh
// in-memory file system. Checks that nothing crashes and that every reply
// starts with a status and the echoed tag.
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>

#include "backend/memory/memory_file_system.h"
#include "common/clock.h"
#include "common/random.h"
#include "nfs4/compound.h"
#include "nfs4/server.h"

namespace {

using namespace elfs;

struct World {
  FakeClock clock;
  SeededRandom random{1};
  std::array<uint8_t, 32> key{};
  std::unique_ptr<nfs4::Nfs4Server> server;
  const nfs4::Export* exp = nullptr;

  World() {
    server = std::make_unique<nfs4::Nfs4Server>(nfs4::Nfs4Options{}, clock, random, key);
    auto fs = std::make_shared<backend::MemoryFileSystem>(clock);
    // A small tree for LOOKUPs to find: /d (dir), /d/f (file), /l (symlink).
    auto root = *fs->Root();
    vfs::CreateRequest dir{.type = vfs::FileType::kDirectory, .mode = 0755};
    auto d = fs->Create(root, "d", dir);
    vfs::CreateRequest file{.type = vfs::FileType::kRegular, .mode = 0644};
    auto f = fs->Create(d->handle, "f", file);
    const uint8_t data[] = "hello";
    (void)fs->Write(f->handle, 0, data, vfs::Stability::kFileSync);
    vfs::CreateRequest link{.type = vfs::FileType::kSymlink, .mode = 0777, .symlink_target = "d/f"};
    (void)fs->Create(root, "l", link);
    exp = *server->AddExport(1, "fs-fuzz", fs);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World w;
  nfs4::CompoundState cs(*w.server, *w.exp);
  // The first byte picks the caller: root or an ordinary user.
  if (size > 0 && (data[0] & 1)) {
    cs.who.uid = 1000;
    cs.who.gid = 1000;
  }
  xdr::XdrDecoder args({data, size});
  xdr::Buffer out;
  xdr::XdrEncoder res(out);
  if (nfs4::ProcessCompound(cs, args, res)) {
    // COMPOUND4res: status, tag, count.
    if (out.size() < 12) __builtin_trap();
  }
  return 0;
}
