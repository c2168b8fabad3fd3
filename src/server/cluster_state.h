// What every node of a cluster must agree on for a file handle given out by
// one node to be resolved by any other (issue 8): the key that MACs file
// handles and the export number inside them. In cluster mode both live in the
// shared store (RADOS); a single node keeps them in its data directory
// (DATA_DIR/secrets/filehandle.key, DATA_DIR/state/exports.json).
//
// Both are made once, by whichever node asks first, with compare-and-swap
// (kMustNotExist): nodes racing to make them all end up with the winner's.
//
// Records (kind, id):
//   nfs/secret, filehandle-key     {"hex": "<64 hex digits>"}   a secret: never log it
//   nfs/export-counter, next       {"next": N}                  the next number to give
//   nfs/export-number, <fs-id>     {"number": N}                fs-id's number, forever
//
// Thread safety: the functions are thread-safe if the store is.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/random.h"
#include "common/status.h"
#include "store/store.h"

namespace elfs::server {

// The cluster's file handle key (`size` bytes): read, or made from `random`
// and committed if no node has made it yet. kInvalid if the stored key is
// malformed or of another size.
Result<std::vector<uint8_t>> LoadOrCreateClusterSecret(store::Store& store, std::string_view name,
                                                       size_t size, Random& random);

// The export number of fs_id in the cluster: the one already given, else the
// next of the shared counter (numbers start at 1 and are never given twice,
// even after a file system is deleted, so a handle of a deleted file system
// never names a file of a new one).
Result<uint32_t> ClusterExportNumber(store::Store& store, std::string_view fs_id);

}  // namespace elfs::server
