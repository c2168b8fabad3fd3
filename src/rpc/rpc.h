// elfs::rpc — ONC RPC v2 over TCP (RFC 5531). Umbrella header for the
// layers above: the Program interface (program.h), connections
// (connection.h), wire constants (wire.h) and the server (server.h).
//
// Thread safety: see each header.
#pragma once

#include "rpc/connection.h"
#include "rpc/program.h"
#include "rpc/server.h"
#include "rpc/wire.h"
