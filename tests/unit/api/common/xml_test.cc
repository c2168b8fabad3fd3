#include "api/common/xml.h"

#include <gtest/gtest.h>

namespace elfs::api {
namespace {

TEST(XmlWriter, NestsAndEscapes) {
  XmlWriter w;
  w.Open("GetUserResponse", "https://iam.amazonaws.com/doc/2010-05-08/").Open("User").Leaf("UserName", "a<&>\"'b");
  std::string out = w.Finish();
  EXPECT_NE(out.find("<GetUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><User>"
                     "<UserName>a&lt;&amp;&gt;&quot;&apos;b</UserName></User></GetUserResponse>"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace elfs::api
