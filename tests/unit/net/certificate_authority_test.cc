#include "net/certificate_authority.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace elfs::net {
namespace {

namespace fs = std::filesystem;

class CaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("elfs-ca-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "secrets");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

X509* ParseFirst(const std::string& pem) {
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  return x;
}

TEST_F(CaTest, IssuesCertificatesThatVerifyAgainstTheCa) {
  auto ca = CertificateAuthority::LoadOrCreate(dir_ / "secrets", dir_);
  ASSERT_TRUE(ca) << ca.error().ToString();
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "secrets" / "ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto issued = (*ca)->Issue({"fs-0123456789abcdef0.efs.us-east-1.amazonaws.com"}, {"127.31.0.4"});
  ASSERT_TRUE(issued);
  X509* leaf = ParseFirst(issued->certificate_chain_pem);
  X509* root = ParseFirst((*ca)->ca_certificate_pem());
  ASSERT_NE(leaf, nullptr);
  ASSERT_NE(root, nullptr);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, root);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  EXPECT_EQ(X509_verify_cert(ctx), 1) << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  EXPECT_EQ(X509_check_host(leaf, "fs-0123456789abcdef0.efs.us-east-1.amazonaws.com", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(leaf, "other.example", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(leaf, "127.31.0.4", 0), 1);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(leaf);
  X509_free(root);
}

TEST_F(CaTest, ReloadsTheSameCa) {
  std::string first;
  {
    auto ca = CertificateAuthority::LoadOrCreate(dir_ / "secrets", dir_);
    ASSERT_TRUE(ca);
    first = (*ca)->ca_certificate_pem();
  }
  auto again = CertificateAuthority::LoadOrCreate(dir_ / "secrets", dir_);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->ca_certificate_pem(), first);
}

TEST_F(CaTest, RefusesAReadableKey) {
  ASSERT_TRUE(CertificateAuthority::LoadOrCreate(dir_ / "secrets", dir_));
  ::chmod((dir_ / "secrets" / "ca.key").c_str(), 0644);
  auto ca = CertificateAuthority::LoadOrCreate(dir_ / "secrets", dir_);
  ASSERT_FALSE(ca);
  EXPECT_EQ(ca.error().code(), Errc::kPerm);
}

}  // namespace
}  // namespace elfs::net
