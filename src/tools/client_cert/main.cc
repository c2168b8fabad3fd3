// elfs-client-cert: writes a private key and a self-signed client
// certificate carrying the amazon-efs-utils identity extensions
// (1.3.6.1.4.1.4843.7.1-4) with a valid SigV4 Connect signature for the
// given credentials, file system and region (SPEC §1.2), so that stunnel,
// `openssl s_client` or any TLS client can mount an elfs file system as an
// IAM principal without efs-utils.
//
// Credentials come from the options or, when absent, from the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), so the
// secret need not appear on a command line. The key is written 0600.
//
// Thread safety: a single-threaded program.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <CLI/CLI.hpp>

#include "net/efs_identity.h"

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

bool WriteFile(const std::string& path, const std::string& data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    std::fprintf(stderr, "elfs-client-cert: %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  // An existing file keeps its mode through O_CREAT: set it explicitly.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t off = 0;
  while (ok && off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    off += static_cast<size_t>(n);
  }
  ok = ::close(fd) == 0 && ok;
  if (!ok) std::fprintf(stderr, "elfs-client-cert: writing %s failed\n", path.c_str());
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "elfs-client-cert: a client key and self-signed certificate carrying the amazon-efs-utils "
      "identity (access point, file system, SigV4 Connect signature) for TLS mounts of elfs"};
  elfs::net::EfsClientCertificateRequest rq;
  std::string cert_out = "client.pem", key_out = "client.key", key_type = "rsa";
  bool anonymous = false;
  double valid_hours = 3;
  app.add_option("--file-system-id", rq.file_system_id, "fs-... (required)")->required();
  app.add_option("--region", rq.region, "the elfs server's region (required)")->required();
  app.add_option("--access-point-id", rq.access_point_id, "fsap-... (optional)");
  app.add_option("--access-key-id", rq.credentials.access_key_id,
                 "default: $AWS_ACCESS_KEY_ID");
  app.add_option("--secret-access-key", rq.credentials.secret_access_key,
                 "default: $AWS_SECRET_ACCESS_KEY (prefer the environment)");
  app.add_option("--session-token", rq.credentials.session_token,
                 "default: $AWS_SESSION_TOKEN (temporary credentials)");
  app.add_flag("--anonymous", anonymous,
               "no signature: the client stays anonymous (an access point still applies)");
  app.add_option("--cert-out", cert_out, "certificate file (PEM)")->capture_default_str();
  app.add_option("--key-out", key_out, "private key file (PEM, written 0600)")
      ->capture_default_str();
  app.add_option("--key-type", key_type, "rsa (3072 bits, as efs-utils) or ec (P-256)")
      ->check(CLI::IsMember({"rsa", "ec"}))
      ->capture_default_str();
  app.add_option("--valid-hours", valid_hours,
                 "validity before and after now (the signature itself is valid 24 h)")
      ->check(CLI::Range(0.01, 24.0 * 365))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (anonymous) {
    rq.credentials = {};
  } else {
    if (rq.credentials.access_key_id.empty()) rq.credentials.access_key_id = Env("AWS_ACCESS_KEY_ID");
    if (rq.credentials.secret_access_key.empty()) {
      rq.credentials.secret_access_key = Env("AWS_SECRET_ACCESS_KEY");
    }
    if (rq.credentials.session_token.empty()) {
      rq.credentials.session_token = Env("AWS_SESSION_TOKEN");
    }
    if (rq.credentials.access_key_id.empty() || rq.credentials.secret_access_key.empty()) {
      std::fprintf(stderr,
                   "elfs-client-cert: no credentials: give --access-key-id and "
                   "--secret-access-key (or set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), or "
                   "--anonymous\n");
      return 2;
    }
  }
  rq.key_type = key_type == "ec" ? elfs::net::KeyType::kEcP256 : elfs::net::KeyType::kRsa3072;
  rq.now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  rq.valid_before_seconds = rq.valid_after_seconds = static_cast<int64_t>(valid_hours * 3600);
  auto made = elfs::net::MakeEfsClientCertificate(rq);
  if (!made) {
    std::fprintf(stderr, "elfs-client-cert: %s\n", made.error().message().c_str());
    return 1;
  }
  if (!WriteFile(key_out, made->private_key_pem, 0600) ||
      !WriteFile(cert_out, made->certificate_pem, 0644)) {
    return 1;
  }
  std::printf("wrote %s and %s (%s, public key hash %s)\n", cert_out.c_str(), key_out.c_str(),
              anonymous ? "anonymous" : rq.credentials.access_key_id.c_str(),
              made->public_key_hash.c_str());
  return 0;
}
