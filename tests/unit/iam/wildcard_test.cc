#include "iam/wildcard.h"

#include <string>

#include <gtest/gtest.h>

namespace elfs::iam {
namespace {

struct Case {
  const char* name;
  const char* pattern;
  const char* text;
  bool match;
};

TEST(Wildcard, Table) {
  const Case cases[] = {
      {"exact", "abc", "abc", true},
      {"exact mismatch", "abc", "abd", false},
      {"star empty", "a*c", "ac", true},
      {"star many", "a*c", "abbbc", true},
      {"star crosses slash", "a*c", "a/b:c", true},
      {"question one", "a?c", "abc", true},
      {"question not zero", "a?c", "ac", false},
      {"question not two", "a?c", "abbc", false},
      {"trailing star", "abc*", "abc", true},
      {"only star", "*", "", true},
      {"backtrack", "*ab*ab", "xabyab", true},
      {"backtrack fail", "*ab*abz", "xabyab", false},
      {"escaped star literal", "a\\*c", "a*c", true},
      {"escaped star not wildcard", "a\\*c", "abc", false},
      {"escaped question", "\\?", "?", true},
      {"escaped backslash", "a\\\\b", "a\\b", true},
      {"prefix only", "abc", "abcd", false},
      {"empty pattern", "", "a", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(WildcardMatch(c.pattern, c.text), c.match) << c.name;
  }
}

TEST(Wildcard, CaseModes) {
  EXPECT_FALSE(WildcardMatch("ABC*", "abcd"));
  EXPECT_TRUE(WildcardMatch("ABC*", "abcd", CaseMode::kInsensitive));
  EXPECT_TRUE(EqualsIgnoreCase("aws:UserName", "AWS:username"));
  EXPECT_FALSE(EqualsIgnoreCase("a", "ab"));
  EXPECT_TRUE(LessIgnoreCase("A", "b"));
  EXPECT_FALSE(LessIgnoreCase("b", "A"));
}

TEST(Wildcard, EscapesRoundTrip) {
  std::string raw = "a*b?c\\d";
  std::string esc = EscapeWildcards(raw);
  EXPECT_FALSE(HasWildcard(esc));
  EXPECT_TRUE(WildcardMatch(esc, raw));
  EXPECT_FALSE(WildcardMatch(esc, "aXb?c\\d"));
  EXPECT_EQ(UnescapePattern(esc), raw);
  EXPECT_TRUE(HasWildcard(EscapeLiteralBackslashes(raw)));
  EXPECT_TRUE(WildcardMatch(EscapeLiteralBackslashes("x\\*"), "x\\anything"));
}

TEST(Wildcard, HostilePatternIsFast) {
  // Many stars against a long non-matching text: linear backtracking keeps
  // this instant (an exponential matcher would never finish).
  std::string p(200, '*');
  p += "b";
  std::string t(20000, 'a');
  EXPECT_FALSE(WildcardMatch(p, t));
}

}  // namespace
}  // namespace elfs::iam
