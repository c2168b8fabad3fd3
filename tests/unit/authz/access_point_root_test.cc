// ResolveAccessPointRoot: finding, creating (with parents, owner and mode
// from CreationInfo) and refusing access point root directories.
#include "authz/access_point_root.h"

#include <gtest/gtest.h>

#include "backend/memory/memory_file_system.h"

namespace elfs::authz {
namespace {

class AccessPointRootTest : public ::testing::Test {
 protected:
  AccessPointRootTest() : fs_(clock_), root_(*fs_.Root()) {}

  vfs::Entry Mkdir(const vfs::Handle& dir, std::string_view name, uint32_t mode, uint32_t uid,
                   uint32_t gid) {
    vfs::CreateRequest r;
    r.type = vfs::FileType::kDirectory;
    r.mode = mode;
    r.uid = uid;
    r.gid = gid;
    return *fs_.Create(dir, name, r);
  }
  AccessPointConfig Ap(std::string path, bool create) {
    AccessPointConfig ap;
    ap.id = "fsap-0123456789abcdef0";
    ap.root_path = std::move(path);
    if (create) ap.creation_info = AccessPointConfig::CreationInfo{1000, 1000, 0755};
    return ap;
  }

  FakeClock clock_;
  backend::MemoryFileSystem fs_;
  vfs::Handle root_;
};

TEST_F(AccessPointRootTest, CreatesTheDirectoryAndItsParentsWithCreationInfo) {
  auto e = ResolveAccessPointRoot(fs_, root_, Ap("/srv/app", true));
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->attr.type, vfs::FileType::kDirectory);
  EXPECT_EQ(e->attr.uid, 1000u);
  EXPECT_EQ(e->attr.gid, 1000u);
  EXPECT_EQ(e->attr.mode, 0755u);
  auto srv = fs_.Lookup(root_, "srv");
  ASSERT_TRUE(srv);
  EXPECT_EQ(srv->attr.uid, 1000u);
  EXPECT_EQ(srv->attr.mode, 0755u);
  // The second mount finds the same directory.
  auto again = ResolveAccessPointRoot(fs_, root_, Ap("/srv/app/", true));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attr.fileid, e->attr.fileid);
}

TEST_F(AccessPointRootTest, ExistingDirectoryKeepsItsOwnerAndMode) {
  vfs::Entry data = Mkdir(root_, "data", 0700, 5, 6);
  auto e = ResolveAccessPointRoot(fs_, root_, Ap("/data", true));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->attr.fileid, data.attr.fileid);
  EXPECT_EQ(e->attr.uid, 5u);
  EXPECT_EQ(e->attr.mode, 0700u);
}

TEST_F(AccessPointRootTest, MissingWithoutCreationInfoIsNotFound) {
  auto e = ResolveAccessPointRoot(fs_, root_, Ap("/missing", false));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), Errc::kNotFound);
  EXPECT_FALSE(fs_.Lookup(root_, "missing"));
  Mkdir(root_, "missing", 0755, 0, 0);
  EXPECT_TRUE(ResolveAccessPointRoot(fs_, root_, Ap("/missing", false)));
}

TEST_F(AccessPointRootTest, SlashIsTheFileSystemRoot) {
  auto e = ResolveAccessPointRoot(fs_, root_, Ap("/", false));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->handle, root_);
}

TEST_F(AccessPointRootTest, RefusesDotsRelativePathsAndNonDirectories) {
  EXPECT_EQ(ResolveAccessPointRoot(fs_, root_, Ap("/a/../b", true)).error().code(),
            Errc::kInvalid);
  EXPECT_EQ(ResolveAccessPointRoot(fs_, root_, Ap("app", true)).error().code(), Errc::kInvalid);
  vfs::CreateRequest f;
  ASSERT_TRUE(fs_.Create(root_, "file", f));
  EXPECT_EQ(ResolveAccessPointRoot(fs_, root_, Ap("/file", true)).error().code(), Errc::kNotDir);
  EXPECT_EQ(ResolveAccessPointRoot(fs_, root_, Ap("/file/x", true)).error().code(),
            Errc::kNotDir);
}

}  // namespace
}  // namespace elfs::authz
