// Test helpers for the IAM and STS services: a fixture with an in-memory
// store, a seeded random source, both services on one IamDirectory, a
// recording authorizer, and small XML accessors for the elements botocore's
// query parser reads.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "api/common/authorizer.h"
#include "api/iam/iam_directory.h"
#include "api/iam/iam_service.h"
#include "api/iam/sts_service.h"
#include "common/random.h"
#include "store/store.h"

namespace elfs::api::iam::testing {

inline constexpr std::string_view kAccount = "123456789012";

// Percent-encodes a form value.
std::string FormEncode(std::string_view s);

// Text of the first <name>...</name> (entities decoded), "" if absent.
std::string XmlText(std::string_view xml, std::string_view name);
// Texts of every <name>...</name>, in order.
std::vector<std::string> XmlTexts(std::string_view xml, std::string_view name);
// How many <name> elements there are.
size_t XmlCount(std::string_view xml, std::string_view name);
// %XX-decodes (IAM returns policy documents URL-encoded).
std::string UrlDecode(std::string_view s);

using Params = std::vector<std::pair<std::string, std::string>>;

class IamFixture : public ::testing::Test {
 protected:
  IamFixture();

  // Calls the IAM (or STS) service as `principal` (default: the account root).
  Outcome Iam(std::string_view action, const Params& params = {});
  Outcome Sts(std::string_view action, const Params& params = {});
  Outcome IamAs(const Principal& p, std::string_view action, const Params& params = {});
  Outcome StsAs(const Principal& p, std::string_view action, const Params& params = {});

  // A user principal as the gateway would build it from the user's key.
  Principal UserPrincipal(std::string_view name);
  Principal Root() const;
  // Creates a user (must succeed).
  void MakeUser(std::string_view name);

  std::unique_ptr<store::Store> store_ = store::NewMemoryStore();
  SeededRandom random_{42};
  IamDirectory dir_{*store_, std::string(kAccount), random_};
  IamService iam_{dir_};
  StsService sts_{dir_};
  RecordingAuthorizer authz_;
  std::chrono::system_clock::time_point now_ =
      std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));

 private:
  Outcome Call(Service& svc, std::string_view version, const Principal& p,
               std::string_view action, const Params& params);
};

}  // namespace elfs::api::iam::testing
