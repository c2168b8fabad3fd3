#include "api/common/ids.h"

#include <regex>

#include <gtest/gtest.h>

namespace elfs::api {
namespace {

TEST(Ids, Shapes) {
  SeededRandom r(1);
  EXPECT_TRUE(std::regex_match(NewResourceId(r, "fsap"), std::regex("fsap-[0-9a-f]{17}")));
  EXPECT_TRUE(std::regex_match(NewIamId(r, "AKIA", 16), std::regex("AKIA[A-Z2-7]{16}")));
  EXPECT_TRUE(std::regex_match(NewUuid(r), std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_EQ(NewSecretKey(r).size(), 40u);
}

TEST(Ids, Iso8601) {
  EXPECT_EQ(FormatIso8601(std::chrono::system_clock::from_time_t(1700000000)), "2023-11-14T22:13:20Z");
}

}  // namespace
}  // namespace elfs::api
