// What only the local backend promises: handles that outlive the process,
// containment in the export, ownership on disk, and a bounded fd cache.
// These tests run as root (elfsd does).
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "backend/local/local_file_system.h"
#include "backend_env.h"

namespace elfs::backend::testing {
namespace {

using vfs::CreateRequest;
using vfs::FileType;
using vfs::Handle;

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

size_t OpenFds() {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

class LocalFs : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "the local backend tests run as root";
    export_ = tmp_.path() + "/export";
    ASSERT_EQ(mkdir(export_.c_str(), 0755), 0);
    Reopen();
  }
  void Reopen(LocalFileSystem::Options options = {}) {
    fs_.reset();
    auto fs = LocalFileSystem::Open(export_, options);
    ASSERT_TRUE(fs) << fs.error().ToString();
    fs_ = std::move(*fs);
    root_ = *fs_->Root();
  }
  CreateRequest Req(FileType type, uint32_t mode) {
    CreateRequest req;
    req.type = type;
    req.mode = mode;
    req.uid = 1000;
    req.gid = 1000;
    req.symlink_target = "t";
    return req;
  }
  // A handle made the way the backend makes them, for any path on the host.
  Handle ForeignHandle(const std::string& path) {
    struct {
      file_handle fh;
      unsigned char bytes[MAX_HANDLE_SZ];
    } kh;
    kh.fh.handle_bytes = MAX_HANDLE_SZ;
    int mount_id;
    EXPECT_EQ(name_to_handle_at(AT_FDCWD, path.c_str(), &kh.fh, &mount_id, AT_SYMLINK_FOLLOW), 0);
    std::vector<uint8_t> b(root_.bytes().begin(), root_.bytes().begin() + 6);  // our header
    b[5] = static_cast<uint8_t>(kh.fh.handle_type);
    b.insert(b.end(), kh.fh.f_handle, kh.fh.f_handle + kh.fh.handle_bytes);
    return Handle(b);
  }

  TempDir tmp_;
  std::string export_;
  std::unique_ptr<LocalFileSystem> fs_;
  Handle root_;
};

TEST_F(LocalFs, HandlesSurviveARestart) {
  auto d = fs_->Create(root_, "dir", Req(FileType::kDirectory, 0755));
  ASSERT_TRUE(d);
  auto sub = fs_->Create(d->handle, "sub", Req(FileType::kDirectory, 0755));
  ASSERT_TRUE(sub);
  auto f = fs_->Create(sub->handle, "file", Req(FileType::kRegular, 0644));
  ASSERT_TRUE(f);
  ASSERT_TRUE(fs_->Write(f->handle, 0, Bytes("persistent"), vfs::Stability::kFileSync));
  auto s = fs_->Create(d->handle, "link", Req(FileType::kSymlink, 0777));
  ASSERT_TRUE(s);
  Handle old_root = root_;

  Reopen();  // as if elfsd restarted: nothing cached
  EXPECT_EQ(root_, old_root);
  EXPECT_EQ(fs_->CachedHandles(), 0u);
  uint8_t buf[32];
  auto r = fs_->Read(f->handle, 0, buf);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(std::string_view(reinterpret_cast<char*>(buf), r->count), "persistent");
  EXPECT_EQ(*fs_->ReadLink(s->handle), "t");
  auto parent = fs_->LookupParent(sub->handle);
  ASSERT_TRUE(parent);
  EXPECT_EQ(parent->handle, d->handle);
  EXPECT_EQ(fs_->LookupParent(d->handle)->handle, root_);
  EXPECT_EQ(fs_->Lookup(sub->handle, "file")->handle, f->handle);
}

TEST_F(LocalFs, ForgedHandlesAreRefusedNotFatal) {
  auto f = fs_->Create(root_, "f", Req(FileType::kRegular, 0644));
  ASSERT_TRUE(f);
  std::vector<uint8_t> real(f->handle.bytes().begin(), f->handle.bytes().end());
  std::vector<Handle> forged;
  // Our header with every kernel handle type and garbage bytes of many sizes.
  for (int type : {0, 1, 2, 0x81, 0xff}) {
    for (size_t len : {1, 4, 8, 12, 20, 58}) {
      std::vector<uint8_t> b(real.begin(), real.begin() + 6);
      b[5] = static_cast<uint8_t>(type);
      for (size_t i = 0; i < len; ++i) b.push_back(static_cast<uint8_t>(i * 37 + type));
      forged.push_back(Handle(b));
    }
  }
  // The real one with the generation (or inode) bytes changed.
  for (size_t i = 6; i < real.size(); ++i) {
    auto b = real;
    b[i] ^= 0xff;
    forged.push_back(Handle(b));
  }
  // Another header.
  auto b = real;
  b[0] = 'M';
  forged.push_back(Handle(b));
  b = real;
  b[2] ^= 1;
  forged.push_back(Handle(b));
  for (const Handle& h : forged) {
    auto a = fs_->GetAttr(h);
    ASSERT_FALSE(a);
    EXPECT_TRUE(a.error().code() == Errc::kStale || a.error().code() == Errc::kBadHandle)
        << a.error().ToString();
    uint8_t buf[4];
    EXPECT_FALSE(fs_->Read(h, 0, buf));
    EXPECT_FALSE(fs_->Lookup(h, "x"));
  }
}

TEST_F(LocalFs, OwnerAndExactModeOnDiskDespiteUmask) {
  mode_t old = umask(077);
  struct Case {
    const char* name;
    FileType type;
    uint32_t mode;
  };
  const Case cases[] = {{"file", FileType::kRegular, 06777}, {"dir", FileType::kDirectory, 03777},
                        {"fifo", FileType::kFifo, 0666},     {"sym", FileType::kSymlink, 0777},
                        {"sock", FileType::kSocket, 0755},   {"chr", FileType::kCharDevice, 0620}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto e = fs_->Create(root_, c.name, Req(c.type, c.mode));
    ASSERT_TRUE(e) << e.error().ToString();
    struct stat st;
    ASSERT_EQ(lstat((export_ + "/" + c.name).c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_EQ(st.st_gid, 1000u);
    EXPECT_EQ(st.st_mode & 07777, c.mode);
    EXPECT_EQ(st.st_ino, e->attr.fileid);
  }
  umask(old);
}

TEST_F(LocalFs, FdCacheIsBounded) {
  Reopen({.max_cached_handles = 8});
  size_t base = OpenFds();
  std::vector<Handle> files;
  for (int i = 0; i < 100; ++i) {
    auto e = fs_->Create(root_, "f" + std::to_string(i), Req(FileType::kRegular, 0644));
    ASSERT_TRUE(e);
    files.push_back(e->handle);
  }
  Reopen({.max_cached_handles = 8});  // so that every file is reopened by handle
  for (const Handle& h : files) {
    ASSERT_TRUE(fs_->Write(h, 0, Bytes("x"), vfs::Stability::kUnstable));
    uint8_t buf[1];
    ASSERT_TRUE(fs_->Read(h, 0, buf));
    EXPECT_LE(fs_->CachedHandles(), 8u);
    EXPECT_LE(OpenFds(), base + 2 * 8);
  }
  // Reading the same file again uses the cached fds.
  size_t before = OpenFds();
  for (int i = 0; i < 10; ++i) {
    uint8_t buf[1];
    ASSERT_TRUE(fs_->Read(files.back(), 0, buf));
  }
  EXPECT_EQ(OpenFds(), before);
  // Closing the file system closes everything.
  fs_.reset();
  EXPECT_LE(OpenFds(), base - 1);
}

TEST_F(LocalFs, ConcurrentUseWithEvictions) {
  // A cache far smaller than the working set: entries are evicted while
  // other threads still read and write through them.
  Reopen({.max_cached_handles = 3});
  std::vector<Handle> files;
  for (int i = 0; i < 16; ++i) {
    auto e = fs_->Create(root_, "f" + std::to_string(i), Req(FileType::kRegular, 0644));
    ASSERT_TRUE(e);
    std::string content = "file-" + std::to_string(i);
    ASSERT_TRUE(fs_->Write(e->handle, 0, Bytes(content), vfs::Stability::kUnstable));
    files.push_back(e->handle);
  }
  size_t base = OpenFds();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 400; ++i) {
        size_t k = (i * 7 + t * 3) % files.size();
        std::string want = "file-" + std::to_string(k);
        uint8_t buf[16];
        auto r = fs_->Read(files[k], 0, std::span(buf, want.size()));
        if (!r || std::string_view(reinterpret_cast<char*>(buf), r->count) != want) ++failures;
        if (!fs_->GetAttr(files[(k + 1) % files.size()])) ++failures;
        if (!fs_->Write(files[k], 64, Bytes("x"), vfs::Stability::kUnstable)) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(fs_->CachedHandles(), 3u);
  EXPECT_LE(OpenFds(), base + 2 * 3);
}

TEST_F(LocalFs, RemovedFileIsStaleAndItsFdReleased) {
  auto f = fs_->Create(root_, "f", Req(FileType::kRegular, 0644));
  ASSERT_TRUE(f);
  ASSERT_TRUE(fs_->Write(f->handle, 0, Bytes("x"), vfs::Stability::kUnstable));
  size_t cached = fs_->CachedHandles();
  ASSERT_TRUE(fs_->Remove(root_, "f").ok());
  EXPECT_EQ(fs_->CachedHandles(), cached - 1);
  EXPECT_EQ(fs_->GetAttr(f->handle).error().code(), Errc::kStale);
  // Removed on the host, behind our back, while cached.
  auto g = fs_->Create(root_, "g", Req(FileType::kRegular, 0644));
  ASSERT_TRUE(g);
  ASSERT_EQ(unlink((export_ + "/g").c_str()), 0);
  EXPECT_EQ(fs_->GetAttr(g->handle).error().code(), Errc::kStale);
  // And after a restart, when the kernel itself refuses the handle.
  Reopen();
  EXPECT_EQ(fs_->GetAttr(f->handle).error().code(), Errc::kStale);
  EXPECT_EQ(fs_->GetAttr(g->handle).error().code(), Errc::kStale);
}

TEST_F(LocalFs, DirectoriesOutsideTheExportAreNotServed) {
  std::string outside = tmp_.path() + "/outside";
  ASSERT_EQ(mkdir(outside.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((outside + "/deeper").c_str(), 0755), 0);
  for (const std::string& path : {outside, outside + "/deeper", tmp_.path(), std::string("/")}) {
    SCOPED_TRACE(path);
    Handle h = ForeignHandle(path);
    auto a = fs_->GetAttr(h);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code(), Errc::kStale);
    EXPECT_FALSE(fs_->Lookup(h, "deeper"));
    EXPECT_FALSE(fs_->ReadDir(h, 0, false, [](auto&) { return true; }));
  }
  // A directory the host moves out of the export is no longer served once
  // it has to be resolved afresh.
  auto d = fs_->Create(root_, "d", Req(FileType::kDirectory, 0755));
  ASSERT_TRUE(d);
  ASSERT_EQ(rename((export_ + "/d").c_str(), (outside + "/d").c_str()), 0);
  Reopen();
  EXPECT_EQ(fs_->GetAttr(d->handle).error().code(), Errc::kStale);
  // Inside, at any depth, is fine.
  std::string deep = export_;
  for (int i = 0; i < 20; ++i) {
    deep += "/n" + std::to_string(i);
    ASSERT_EQ(mkdir(deep.c_str(), 0755), 0);
  }
  EXPECT_TRUE(fs_->GetAttr(ForeignHandle(deep)));
}

TEST_F(LocalFs, HandlesOfAnotherExportAreStale) {
  std::string other = tmp_.path() + "/other";
  ASSERT_EQ(mkdir(other.c_str(), 0755), 0);
  auto fs2 = LocalFileSystem::Open(other, {});
  ASSERT_TRUE(fs2);
  Handle root2 = *(*fs2)->Root();
  auto f = (*fs2)->Create(root2, "f", Req(FileType::kRegular, 0644));
  ASSERT_TRUE(f);
  EXPECT_EQ(fs_->GetAttr(f->handle).error().code(), Errc::kStale);
  EXPECT_EQ(fs_->GetAttr(root2).error().code(), Errc::kStale);
}

TEST_F(LocalFs, LookupParentStopsAtTheExportRoot) {
  auto a = fs_->Create(root_, "a", Req(FileType::kDirectory, 0755));
  ASSERT_TRUE(a);
  Handle h = a->handle;
  for (int i = 0; i < 3; ++i) {
    auto p = fs_->LookupParent(h);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->handle, root_);
    h = p->handle;
  }
}

TEST_F(LocalFs, OpenFailsCleanly) {
  EXPECT_EQ(LocalFileSystem::Open(tmp_.path() + "/missing", {}).error().code(), Errc::kNotFound);
  std::ofstream(tmp_.path() + "/plain") << "x";
  EXPECT_EQ(LocalFileSystem::Open(tmp_.path() + "/plain", {}).error().code(), Errc::kNotDir);
}

TEST_F(LocalFs, WritesOnDiskAreWhatWasWritten) {
  auto f = fs_->Create(root_, "f", Req(FileType::kRegular, 0644));
  ASSERT_TRUE(f);
  ASSERT_TRUE(fs_->Write(f->handle, 3, Bytes("abc"), vfs::Stability::kDataSync));
  std::ifstream in(export_ + "/f", std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, std::string("\0\0\0abc", 6));
}

// Lists `dir` from `cookie` taking at most `n` entries (the sink refuses the
// next one, as a full READDIR reply does); appends names, returns the cookie
// to resume at, or 0 at the end of the directory.
uint64_t ListSome(vfs::FileSystem& fs, const Handle& dir, uint64_t cookie, size_t n,
                  std::vector<std::string>& names) {
  size_t taken = 0;
  auto r = fs.ReadDir(dir, cookie, true, [&](const vfs::DirEntry& de) {
    if (taken == n) return false;
    EXPECT_NE(de.entry, nullptr);
    names.emplace_back(de.name);
    cookie = de.cookie;
    ++taken;
    return true;
  });
  EXPECT_TRUE(r) << r.error().ToString();
  return !r || *r ? 0 : cookie;
}

TEST_F(LocalFs, InterleavedListingsOfOneDirectoryEachSeeEveryEntryOnce) {
  // Unfinished listings keep their directory fd for the call that resumes
  // them; two listings at the same cookie must not share one.
  auto d = fs_->Create(root_, "d", Req(FileType::kDirectory, 0755));
  ASSERT_TRUE(d);
  std::vector<std::string> want;
  for (int i = 0; i < 300; ++i) {
    want.push_back("f" + std::to_string(i));
    ASSERT_TRUE(fs_->Create(d->handle, want.back(), Req(FileType::kRegular, 0644)));
  }
  std::sort(want.begin(), want.end());
  std::vector<std::string> a, b, c;
  uint64_t ca = 0, cb = 0, cc = 0;
  bool a_done = false, b_done = false, c_done = false;
  for (int round = 0; round < 1000 && !(a_done && b_done && c_done); ++round) {
    if (!a_done) a_done = (ca = ListSome(*fs_, d->handle, ca, 7, a)) == 0;
    if (!b_done) b_done = (cb = ListSome(*fs_, d->handle, cb, 7, b)) == 0;  // same cookies as a
    if (!c_done) c_done = (cc = ListSome(*fs_, d->handle, cc, 11, c)) == 0;
  }
  for (auto* got : {&a, &b, &c}) {
    std::sort(got->begin(), got->end());
    EXPECT_EQ(*got, want);
  }
}

TEST_F(LocalFs, EntriesRemovedOrAddedBetweenCallsOfAListing) {
  auto d = fs_->Create(root_, "d", Req(FileType::kDirectory, 0755));
  ASSERT_TRUE(d);
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(fs_->Create(d->handle, "f" + std::to_string(i), Req(FileType::kRegular, 0644)));
  std::vector<std::string> first;
  uint64_t cookie = ListSome(*fs_, d->handle, 0, 20, first);
  ASSERT_NE(cookie, 0u);
  // Remove every entry not listed yet (some were read from the kernel
  // already and wait in the kept stream), and add new ones.
  std::set<std::string> listed(first.begin(), first.end());
  for (int i = 0; i < 200; ++i) {
    std::string name = "f" + std::to_string(i);
    if (!listed.count(name)) {
      ASSERT_TRUE(fs_->Remove(d->handle, name).ok());
    }
  }
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(fs_->Create(d->handle, "new" + std::to_string(i), Req(FileType::kRegular, 0644)));
  std::vector<std::string> rest;
  while (cookie != 0) cookie = ListSome(*fs_, d->handle, cookie, 20, rest);
  // Removed entries never appear; new ones may or may not (POSIX readdir).
  for (const std::string& name : rest) {
    EXPECT_EQ(name.rfind("new", 0), 0u) << name << " was removed or listed before";
  }
}

TEST_F(LocalFs, UnfinishedListingsKeepABoundedNumberOfFds) {
  std::vector<Handle> dirs;
  for (int i = 0; i < 40; ++i) {
    auto d = fs_->Create(root_, "d" + std::to_string(i), Req(FileType::kDirectory, 0755));
    ASSERT_TRUE(d);
    for (int j = 0; j < 3; ++j)
      ASSERT_TRUE(fs_->Create(d->handle, "f" + std::to_string(j), Req(FileType::kRegular, 0644)));
    dirs.push_back(d->handle);
  }
  size_t base = OpenFds();
  for (const Handle& d : dirs) {
    std::vector<std::string> names;
    EXPECT_NE(ListSome(*fs_, d, 0, 1, names), 0u);  // stops after one entry
  }
  EXPECT_LE(OpenFds(), base + LocalFileSystem::kMaxDirStreams);
  // A listing that reaches the end keeps nothing.
  for (const Handle& d : dirs) {
    std::vector<std::string> names;
    uint64_t cookie = 0;
    do cookie = ListSome(*fs_, d, cookie, 1, names);
    while (cookie != 0);
    EXPECT_EQ(names.size(), 3u);
  }
  EXPECT_LE(OpenFds(), base + LocalFileSystem::kMaxDirStreams);
}

// name -> (handle, size) of a whole listing with attributes.
std::map<std::string, std::pair<Handle, uint64_t>> ListWithAttrs(vfs::FileSystem& fs,
                                                                 const Handle& dir) {
  std::map<std::string, std::pair<Handle, uint64_t>> out;
  auto r = fs.ReadDir(dir, 0, true, [&](const vfs::DirEntry& de) {
    EXPECT_NE(de.entry, nullptr);
    if (de.entry) out[std::string(de.name)] = {de.entry->handle, de.entry->attr.size};
    return true;
  });
  EXPECT_TRUE(r && *r);
  return out;
}

TEST_F(LocalFs, ListingAgainGivesTheSameHandlesAndFreshAttributes) {
  // The second listing takes the handles from the listed-handle cache; the
  // attributes are read again.
  std::map<std::string, Handle> want;
  for (int i = 0; i < 50; ++i) {
    auto e = fs_->Create(root_, "f" + std::to_string(i), Req(FileType::kRegular, 0644));
    ASSERT_TRUE(e);
    want["f" + std::to_string(i)] = e->handle;
  }
  auto first = ListWithAttrs(*fs_, root_);
  ASSERT_TRUE(fs_->Write(want["f7"], 0, Bytes("abcd"), vfs::Stability::kUnstable));
  Reopen();  // a new process: nothing cached but what the listing caches
  first = ListWithAttrs(*fs_, root_);
  auto second = ListWithAttrs(*fs_, root_);
  ASSERT_EQ(second.size(), want.size());
  for (auto& [name, h] : want) {
    EXPECT_EQ(first[name].first, h) << name;
    EXPECT_EQ(second[name].first, h) << name;
  }
  EXPECT_EQ(second["f7"].second, 4u);
  ASSERT_TRUE(fs_->Write(want["f8"], 0, Bytes("abcdef"), vfs::Stability::kUnstable));
  EXPECT_EQ(ListWithAttrs(*fs_, root_)["f8"].second, 6u);
}

TEST_F(LocalFs, AnInodeNumberReusedByANewFileGetsTheNewHandle) {
  // Remove and create in turn, so that the file system hands the freed inode
  // number to the next file: each listing must give the handle that Lookup
  // gives, never one cached for an earlier file of that number.
  for (int i = 0; i < 30; ++i) {
    std::string name = "g" + std::to_string(i);
    auto e = fs_->Create(root_, name, Req(FileType::kRegular, 0644));
    ASSERT_TRUE(e);
    auto listed = ListWithAttrs(*fs_, root_);
    EXPECT_EQ(listed[name].first, e->handle) << name;
    auto looked = fs_->Lookup(root_, name);
    ASSERT_TRUE(looked);
    EXPECT_EQ(looked->handle, e->handle);
    ASSERT_TRUE(fs_->Remove(root_, name).ok());
  }
}

}  // namespace
}  // namespace elfs::backend::testing
