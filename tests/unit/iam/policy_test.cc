#include "iam/policy.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace elfs::iam {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

PolicyType TypeFromName(const std::string& name) {
  if (name.rfind("resource_", 0) == 0) return PolicyType::kResource;
  if (name.rfind("trust_", 0) == 0) return PolicyType::kTrust;
  EXPECT_EQ(name.rfind("identity_", 0), 0u) << name << ": corpus files start with a type";
  return PolicyType::kIdentity;
}

std::vector<fs::path> CorpusFiles(const char* sub) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(ELFS_IAM_CORPUS_DIR) / sub)) {
    if (e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(PolicyCorpus, ValidDocumentsParse) {
  auto files = CorpusFiles("valid");
  ASSERT_GE(files.size(), 10u);
  for (const auto& f : files) {
    auto p = ParsePolicy(ReadFile(f), TypeFromName(f.stem().string()));
    EXPECT_TRUE(p.has_value()) << f.filename() << ": " << (p ? "" : p.error().message());
  }
}

TEST(PolicyCorpus, InvalidDocumentsAreRejectedWithThePreciseMessage) {
  auto files = CorpusFiles("invalid");
  ASSERT_GE(files.size(), 30u);
  for (const auto& f : files) {
    fs::path err = f;
    err.replace_extension(".error");
    ASSERT_TRUE(fs::exists(err)) << err;
    std::string expected = ReadFile(err);
    auto p = ParsePolicy(ReadFile(f), TypeFromName(f.stem().string()));
    ASSERT_FALSE(p.has_value()) << f.filename() << " was accepted";
    EXPECT_EQ(p.error().code(), Errc::kInvalid);
    EXPECT_NE(p.error().message().find(expected), std::string::npos)
        << f.filename() << ": got \"" << p.error().message() << "\", want \"" << expected << "\"";
  }
}

TEST(Policy, ParsedForm) {
  auto p = ParsePolicy(ReadFile(fs::path(ELFS_IAM_CORPUS_DIR) / "valid" /
                                "resource_efs_enforce_in_transit_encryption.json"),
                       PolicyType::kResource);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->version, "2012-10-17");
  EXPECT_EQ(p->id, "efs-policy-enforce-in-transit-encryption");
  ASSERT_EQ(p->statements.size(), 2u);
  const auto& deny = p->statements[1];
  EXPECT_EQ(deny.sid, "efs-statement-deny-insecure-transport");
  EXPECT_EQ(deny.effect, Effect::kDeny);
  EXPECT_TRUE(deny.has_principal);
  EXPECT_FALSE(deny.not_principal);
  ASSERT_EQ(deny.actions.size(), 1u);
  EXPECT_EQ(deny.actions[0], "*");
  ASSERT_EQ(deny.conditions.size(), 1u);
  EXPECT_EQ(deny.conditions[0].op.op, ConditionOp::kBool);
  EXPECT_EQ(deny.conditions[0].key, "aws:SecureTransport");
  EXPECT_EQ(deny.conditions[0].values, std::vector<std::string>{"false"});
}

TEST(Policy, VersionDefaultsTo2008) {
  auto p = ParsePolicy(R"({"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}})",
                       PolicyType::kIdentity);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->version, "2008-10-17");
  EXPECT_FALSE(p->variables_enabled());
}

TEST(Policy, NonStringConditionValuesBecomeText) {
  auto p = ParsePolicy(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",
    "Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":[10, 2.5]},
    "Bool":{"aws:SecureTransport":true}}}})",
                       PolicyType::kIdentity);
  ASSERT_TRUE(p) << p.error().message();
  const auto& c = p->statements[0].conditions;
  ASSERT_EQ(c.size(), 2u);
  // nlohmann orders object members by name: Bool before NumericLessThan.
  EXPECT_EQ(c[0].values, std::vector<std::string>{"true"});
  EXPECT_EQ(c[1].values, (std::vector<std::string>{"10", "2.5"}));
}

TEST(Policy, StatementPositions) {
  std::string doc =
      "{\n"
      "  \"Version\": \"2012-10-17\",\n"
      "  \"Statement\": [\n"
      "    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n"
      "    {\"Sid\": \"B\", \"Effect\": \"Deny\",\n"
      "     \"Action\": \"s3:Get\", \"Resource\": \"*\"}\n"
      "  ]\n"
      "}\n";
  auto p = ParsePolicy(doc, PolicyType::kIdentity);
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_EQ(p->statements.size(), 2u);
  EXPECT_EQ(p->statements[0].start.line, 4);
  EXPECT_EQ(p->statements[0].start.column, 5);
  EXPECT_EQ(p->statements[0].end.line, 4);
  EXPECT_EQ(p->statements[0].end.column, 59);
  EXPECT_EQ(p->statements[1].start.line, 5);
  EXPECT_EQ(p->statements[1].end.line, 6);

  auto q = ParsePolicy(R"({"Id":"{[","Statement":{"Sid":"x}","Effect":"Allow","Action":"s3:*","Resource":"*"}})",
                       PolicyType::kResource);
  ASSERT_FALSE(q);  // resource policies need a Principal
  auto r = ParsePolicy(R"({"Id":"{[","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/}"}})",
                       PolicyType::kIdentity);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->statements[0].start.line, 1);
  EXPECT_EQ(r->statements[0].start.column, 24);
}

TEST(Policy, SizeLimits) {
  auto make = [](size_t resources) {
    std::string doc = R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*",)"
                      R"("Action":"elasticfilesystem:ClientMount","Resource":[)";
    for (size_t i = 0; i < resources; ++i) {
      if (i) doc += ",";
      doc += "\"arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-" +
             std::string(10 - std::to_string(i).size(), '0') + std::to_string(i) + "\"";
    }
    return doc + "]}}";
  };
  // Each resource is 78 characters with its comma.
  std::string ok = make(250);
  ASSERT_LE(PolicyCharCount(ok), kMaxResourcePolicyChars);
  EXPECT_TRUE(ParsePolicy(ok, PolicyType::kResource));
  std::string big = make(260);
  ASSERT_GT(PolicyCharCount(big), kMaxResourcePolicyChars);
  auto r = ParsePolicy(big, PolicyType::kResource);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("at most 20000"), std::string::npos) << r.error().message();
  // Whitespace outside strings is not counted...
  std::string spaced = ok;
  spaced.insert(1, 30000, ' ');
  EXPECT_TRUE(ParsePolicy(spaced, PolicyType::kResource));
  // ...but raw size is capped.
  spaced.insert(1, kMaxPolicyBytes, ' ');
  EXPECT_FALSE(ParsePolicy(spaced, PolicyType::kResource));
  EXPECT_EQ(MaxPolicyChars(PolicyType::kIdentity), 6144u);
  EXPECT_EQ(MaxPolicyChars(PolicyType::kTrust), 2048u);
  EXPECT_EQ(PolicyCharCount("{ \"a b\" : 1 }"), 9u);
}

TEST(Policy, HostileInputIsAnErrorNotACrash) {
  const char* docs[] = {"", "null", "\"x\"", "{", "{\"Statement\":null}",
                        "{\"Statement\":[1]}", "{\"Version\":2012}",
                        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\"}}",
                        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":[1],\"Resource\":\"*\"}}"};
  for (const char* d : docs) {
    auto p = ParsePolicy(d, PolicyType::kIdentity);
    EXPECT_FALSE(p) << d;
  }
  std::string deep(5000, '[');
  EXPECT_FALSE(ParsePolicy(deep, PolicyType::kResource));
}

}  // namespace
}  // namespace elfs::iam
