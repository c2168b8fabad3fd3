#include "common/status.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace elfs {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Err(Errc::kInvalid, "odd");
  return x / 2;
}

Status Chain(int x) {
  ELFS_RETURN_IF_ERROR(Half(x) ? Status::Ok() : Half(x).error());
  return Status::NotFound("after");
}

TEST(Status, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = Status::NotFound("fs-1");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Errc::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: fs-1");
}

TEST(Status, ResultAndPropagation) {
  EXPECT_EQ(*Half(4), 2);
  EXPECT_EQ(Half(3).error().code(), Errc::kInvalid);
  EXPECT_EQ(Chain(3).code(), Errc::kInvalid);
  EXPECT_EQ(Chain(4).code(), Errc::kNotFound);
}

TEST(FakeClock, Advances) {
  FakeClock c(100);
  EXPECT_EQ(c.Now().sec, 100);
  c.Advance(std::chrono::milliseconds(1500));
  EXPECT_EQ(c.Now().sec, 101);
  EXPECT_EQ(c.Now().nsec, 500'000'000u);
}

}  // namespace
}  // namespace elfs
