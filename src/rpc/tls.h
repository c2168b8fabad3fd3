// TLS on an RPC listener (SPEC §1.2): what a listener is given so that the
// same port serves plain ONC RPC and TLS. TLS starts either from the first
// byte (0x16, a ClientHello, as amazon-efs-utils' proxy and stunnel do) or
// after an RFC 9289 STARTTLS probe (a NULL call with AUTH_TLS credentials,
// answered with the "STARTTLS" verifier). The RPC server owns the mechanics
// (peeking, handshake, timeout); who the peer is, from its certificate, is
// decided by `authenticate` (src/net/tls_listener.h builds it for efs-utils
// identities).
//
// Only a forward declaration of Asio's ssl::context here: layers that just
// serve plain RPC do not pull in OpenSSL headers.
//
// Thread safety: a TlsOptions is immutable once handed to Listen(); the
// context and callbacks are used concurrently from the I/O threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "common/status.h"
#include "rpc/connection.h"

namespace boost::asio::ssl {
class context;
}

namespace elfs::rpc {

// What the handshake established, handed to TlsOptions::authenticate.
struct TlsPeer {
  std::span<const uint8_t> certificate_der;  // the client certificate; empty when none was sent
  std::string_view protocol;                 // "TLSv1.3", ...
  std::string_view cipher;                   // OpenSSL's name of the negotiated cipher
  bool starttls = false;                     // after an RFC 9289 probe, not from the first byte
};

struct TlsOptions {
  // Server certificate, key, protocol versions, ciphers, client certificate
  // request: all configured by whoever builds it (net::MakeEfsTlsOptions).
  std::shared_ptr<boost::asio::ssl::context> context;
  // Runs on the connection's I/O strand right after a successful handshake,
  // before any RPC is read. Returns what Connection::SetSecurity() gets (tls
  // is forced true), or an error: the connection is then closed and the
  // error's message logged. Must not block for long (it holds up only this
  // connection, but on a shared I/O thread). Empty = anonymous TLS.
  std::function<Result<TransportSecurity>(const Connection&, const TlsPeer&)> authenticate;
  // A handshake not finished within this (counted from its start) closes
  // the connection.
  std::chrono::milliseconds handshake_timeout{10000};
  // TLS from the first byte (0x16). When false, the first byte is not
  // peeked and the plain path costs nothing extra.
  bool first_byte = true;
  // RFC 9289 STARTTLS on a plain connection.
  bool starttls = true;
};

// The TLS record content type of a handshake: the first byte a TLS client
// sends. An RPC record mark's first byte is 0x80 or more for any record a
// real client sends (the last-fragment bit), never 0x16.
inline constexpr uint8_t kTlsHandshakeByte = 0x16;

}  // namespace elfs::rpc
