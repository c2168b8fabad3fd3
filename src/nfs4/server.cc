#include "nfs4/server.h"

namespace elfs::nfs4 {

Nfs4Server::Nfs4Server(Nfs4Options options, const Clock& clock, Random& random,
                       std::span<const uint8_t, FileHandleCodec::kKeySize> fh_key)
    : options_(options), clock_(clock), state_(options.state, clock, random, options.store), fh_codec_(fh_key) {
  random.Fill(write_verifier_);
}

Result<const Export*> Nfs4Server::AddExport(uint32_t id, std::string name,
                                            std::shared_ptr<vfs::FileSystem> fs) {
  auto root = fs->Root();
  if (!root) return Err(root.error());
  auto attr = fs->GetAttr(*root);
  if (!attr) return Err(attr.error());
  auto e = std::make_unique<Export>();
  e->id = id;
  e->name = std::move(name);
  e->fs = std::move(fs);
  e->root = *root;
  e->root_fileid = attr->fileid;
  e->fsid_major = id;
  e->fsid_minor = 0;
  std::lock_guard lock(exports_mu_);
  for (const auto& x : exports_)
    if (x->id == id) return Err(Errc::kExists, "export id in use: " + std::to_string(id));
  exports_.push_back(std::move(e));
  return exports_.back().get();
}

const Export* Nfs4Server::FindExport(uint32_t id) const {
  std::lock_guard lock(exports_mu_);
  for (const auto& e : exports_)
    if (e->id == id) return e.get();
  return nullptr;
}

void Nfs4Server::RemoveExport(uint32_t id) {
  std::lock_guard lock(exports_mu_);
  for (auto it = exports_.begin(); it != exports_.end(); ++it) {
    if ((*it)->id == id) {
      removed_.push_back(std::move(*it));
      exports_.erase(it);
      return;
    }
  }
}

}  // namespace elfs::nfs4
