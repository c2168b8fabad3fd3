// What only the memory backend promises: exact times from its clock, inode
// number reuse with generations, its limits, and a sink that may call back.
#include <gtest/gtest.h>

#include <chrono>

#include "backend/memory/memory_file_system.h"
#include "common/clock.h"

namespace elfs::backend {
namespace {

using namespace std::chrono_literals;
using vfs::CreateRequest;
using vfs::FileType;

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

vfs::SetAttrs ModeOnly(uint32_t mode) {
  vfs::SetAttrs s;
  s.mode = mode;
  return s;
}
vfs::SetAttrs SizeOnly(uint64_t size) {
  vfs::SetAttrs s;
  s.size = size;
  return s;
}

class MemoryFs : public ::testing::Test {
 protected:
  FakeClock clock_;
  MemoryFileSystem fs_{clock_};
  vfs::Handle root_ = *fs_.Root();
};

TEST_F(MemoryFs, ReusedInodeNumberMakesOldHandlesStale) {
  auto a = fs_.Create(root_, "a", CreateRequest());
  ASSERT_TRUE(a);
  ASSERT_TRUE(fs_.Remove(root_, "a").ok());
  auto b = fs_.Create(root_, "b", CreateRequest());
  ASSERT_TRUE(b);
  EXPECT_EQ(b->attr.fileid, a->attr.fileid);  // the number came back ...
  EXPECT_NE(b->handle, a->handle);            // ... with a new generation
  EXPECT_EQ(fs_.GetAttr(a->handle).error().code(), Errc::kStale);
  EXPECT_TRUE(fs_.GetAttr(b->handle));
}

TEST_F(MemoryFs, HandlesOfAnotherInstanceAreStale) {
  MemoryFileSystem other(clock_);
  EXPECT_EQ(other.GetAttr(root_).error().code(), Errc::kStale);
  uint8_t junk[5] = {1, 2, 3, 4, 5};
  EXPECT_EQ(fs_.GetAttr(vfs::Handle(junk)).error().code(), Errc::kBadHandle);
}

TEST_F(MemoryFs, TimesComeFromTheClock) {
  Timespec t0 = clock_.Now();
  auto f = fs_.Create(root_, "f", CreateRequest());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->attr.atime, t0);
  EXPECT_EQ(f->attr.mtime, t0);
  EXPECT_EQ(f->attr.ctime, t0);
  clock_.Advance(5s);
  ASSERT_TRUE(fs_.Write(f->handle, 0, Bytes("x"), vfs::Stability::kUnstable));
  auto a = *fs_.GetAttr(f->handle);
  EXPECT_EQ(a.mtime, clock_.Now());
  EXPECT_EQ(a.ctime, clock_.Now());
  EXPECT_EQ(a.atime, t0);
}

TEST_F(MemoryFs, AtimeFollowsRelatime) {
  auto f = fs_.Create(root_, "f", CreateRequest());
  ASSERT_TRUE(f);
  uint8_t buf[4];
  clock_.Advance(1s);
  Timespec t1 = clock_.Now();
  ASSERT_TRUE(fs_.Read(f->handle, 0, buf));  // atime == mtime: updated
  EXPECT_EQ(fs_.GetAttr(f->handle)->atime, t1);
  clock_.Advance(1s);
  ASSERT_TRUE(fs_.Read(f->handle, 0, buf));  // atime newer than mtime: kept
  EXPECT_EQ(fs_.GetAttr(f->handle)->atime, t1);
  clock_.Advance(25h);
  ASSERT_TRUE(fs_.Read(f->handle, 0, buf));  // a day old: updated
  EXPECT_EQ(fs_.GetAttr(f->handle)->atime, clock_.Now());
  uint64_t change = fs_.GetAttr(f->handle)->change;
  EXPECT_EQ(change, f->attr.change);  // atime alone is no change
}

TEST_F(MemoryFs, CookiesAreSequenceNumbersFromThree) {
  for (const char* n : {"a", "b", "c"}) ASSERT_TRUE(fs_.Create(root_, n, CreateRequest()));
  std::vector<uint64_t> cookies;
  ASSERT_TRUE(fs_.ReadDir(root_, 0, false, [&](const vfs::DirEntry& de) {
    cookies.push_back(de.cookie);
    return true;
  }));
  EXPECT_EQ(cookies, (std::vector<uint64_t>{3, 4, 5}));
  // A cookie past the end: nothing more, at end.
  auto r = fs_.ReadDir(root_, 1000, false, [](auto&) { return true; });
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r);
}

TEST_F(MemoryFs, SinkMayCallBackIn) {
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(fs_.Create(root_, "f" + std::to_string(i), CreateRequest()));
  int seen = 0;
  auto r = fs_.ReadDir(root_, 0, true, [&](const vfs::DirEntry& de) {
    EXPECT_TRUE(fs_.GetAttr(de.entry->handle));
    ++seen;
    return true;
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(seen, 300);
}

TEST_F(MemoryFs, Limits) {
  MemoryFileSystem small(clock_, {.capacity_bytes = 8192, .max_inodes = 3, .max_file_size = 1 << 20});
  vfs::Handle root = *small.Root();
  auto f = small.Create(root, "f", CreateRequest());
  ASSERT_TRUE(f);
  EXPECT_TRUE(small.Write(f->handle, 0, Bytes("x"), vfs::Stability::kUnstable));
  EXPECT_TRUE(small.Write(f->handle, 4096, Bytes("y"), vfs::Stability::kUnstable));
  EXPECT_EQ(small.Write(f->handle, 8192, Bytes("z"), vfs::Stability::kUnstable).error().code(),
            Errc::kNoSpace);
  EXPECT_EQ(small.Write(f->handle, 1 << 20, Bytes("z"), vfs::Stability::kUnstable).error().code(),
            Errc::kFileTooBig);
  EXPECT_EQ(small.StatFs()->bytes_free, 0u);
  ASSERT_TRUE(small.Create(root, "g", CreateRequest()));
  EXPECT_EQ(small.Create(root, "h", CreateRequest()).error().code(), Errc::kNoSpace);
  // Truncation gives space back.
  ASSERT_TRUE(small.SetAttr(f->handle, SizeOnly(0)));
  EXPECT_EQ(small.StatFs()->bytes_free, 8192u);
}

TEST_F(MemoryFs, SymlinkModeCannotChange) {
  CreateRequest req;
  req.type = FileType::kSymlink;
  req.symlink_target = "t";
  auto s = fs_.Create(root_, "s", req);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->attr.mode, 0777u);
  auto a = fs_.SetAttr(s->handle, ModeOnly(0600));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mode, 0777u);
}

}  // namespace
}  // namespace elfs::backend
