#include "api/common/audit_log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace elfs::api {
namespace {

TEST(AuditLog, WritesWholeJsonLinesFrom0600File) {
  auto path = std::filesystem::temp_directory_path() / ("elfs-audit-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  {
    auto log = AuditLog::Open(path);
    ASSERT_TRUE(log);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 100; ++i) {
          AuditEvent e;
          e.event_source = "iam";
          e.event_name = "CreateUser";
          e.principal = "arn:aws:iam::123456789012:user/t" + std::to_string(t);
          e.decision = "deny";
          e.reason = std::string(200, 'x') + "\xff";  // invalid UTF-8 survives
          (*log)->Write(e);
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ((*log)->written(), 400u);
  }
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    EXPECT_EQ(j["eventName"], "CreateUser");
    EXPECT_EQ(j["decision"], "deny");
    ++n;
  }
  EXPECT_EQ(n, 400);
  std::filesystem::remove(path);
}

TEST(AuditLog, AnonymousWhenNoPrincipal) {
  AuditEvent e;
  e.event_source = "nfs";
  e.event_name = "Connect";
  auto j = nlohmann::json::parse(ToJsonLine(e));
  EXPECT_EQ(j["principal"], "anonymous");
  EXPECT_FALSE(j.contains("errorCode"));
}

}  // namespace
}  // namespace elfs::api
