#include "api/common/query.h"

#include <gtest/gtest.h>

namespace elfs::api {
namespace {

TEST(QueryParams, DecodesFormEncoding) {
  auto q = QueryParams::Parse("Action=CreateUser&UserName=a%2Bb+c&Empty=&Flag");
  ASSERT_TRUE(q);
  EXPECT_EQ(*q->Get("Action"), "CreateUser");
  EXPECT_EQ(*q->Get("UserName"), "a+b c");
  EXPECT_EQ(*q->Get("Empty"), "");
  EXPECT_EQ(*q->Get("Flag"), "");
  EXPECT_EQ(q->Get("Missing"), nullptr);
}

TEST(QueryParams, RejectsMalformedEscapes) {
  EXPECT_FALSE(QueryParams::Parse("a=%"));
  EXPECT_FALSE(QueryParams::Parse("a=%4"));
  EXPECT_FALSE(QueryParams::Parse("a=%zz"));
  EXPECT_TRUE(QueryParams::Parse("a=%41"));
}

TEST(QueryParams, ListsStopAtTheFirstGap) {
  auto q = QueryParams::Parse("Ids.member.1=a&Ids.member.2=b&Ids.member.4=d");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->List("Ids.member"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(q->Indices("Ids.member"), (std::vector<int>{1, 2, 4}));
}

TEST(QueryParams, RowsGroupFieldsByIndex) {
  auto q = QueryParams::Parse("Tags.member.2.Key=k2&Tags.member.1.Key=k1&Tags.member.1.Value=v1&Tags.member.10.Value=v");
  ASSERT_TRUE(q);
  auto rows = q->Rows("Tags.member", {"Key", "Value"});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"k1", "v1"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"k2", ""}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"", "v"}));
}

TEST(QueryParams, PercentDecodeKeepsPlus) {
  EXPECT_EQ(*PercentDecode("a+b%3A"), "a+b:");
}

}  // namespace
}  // namespace elfs::api
