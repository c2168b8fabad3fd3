// A pipelined ONC RPC client over TCP for the load generator: many calls in
// flight on one connection, replies matched to calls by xid (RFC 5531 §9),
// record marking (RFC 5531 §11). Single-threaded: one Loop (epoll) drives
// every Connection it owns; reply callbacks run on the loop's thread and may
// issue new calls (they are queued and sent together after the batch of
// replies, one gathered write per connection).
//
// A call's arguments are encoded into a reused buffer; a large payload (a
// WRITE's data) is borrowed, not copied, and sent with writev.
//
// Thread safety: none; everything on the loop's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "xdr/xdr.h"

namespace elfs::bench {

class Connection;

// The epoll loop. Connections register themselves.
class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Waits for I/O up to timeout_ms, handles it, flushes queued calls.
  void RunOnce(int timeout_ms);
  // Runs until done() is true or the deadline (seconds from now) passes.
  // Returns done().
  bool RunUntil(const std::function<bool()>& done, double timeout_s);

  void Add(Connection* c);
  void Remove(Connection* c);
  void MarkDirty(Connection* c);
  void WantWrite(Connection* c, bool on);

 private:
  int ep_ = -1;
  std::vector<Connection*> dirty_;
};

// What a reply callback gets. ok is false when the call failed at the RPC
// layer (rejected, not SUCCESS, connection lost); error says why. On ok,
// body is positioned at the procedure's results.
struct RpcReply {
  bool ok = false;
  std::string error;
  xdr::XdrDecoder body;
};

class Connection {
 public:
  using ReplyFn = std::function<void(RpcReply&)>;
  using ArgsFn = std::function<void(xdr::XdrEncoder&)>;

  explicit Connection(Loop& loop);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Blocking connect (loopback), then non-blocking I/O on the loop. Returns
  // an error message, empty on success.
  std::string Connect(const std::string& host, uint16_t port);
  void Close();
  bool connected() const { return fd_ >= 0; }

  // Queues a call: the RPC header with AUTH_SYS uid/gid 0, then args(e),
  // then `payload` (borrowed: it must stay valid until the reply arrives)
  // padded to 4 bytes. done(reply) runs on the loop when the reply comes.
  void Call(uint32_t prog, uint32_t vers, uint32_t proc, const ArgsFn& args, ReplyFn done,
            std::span<const uint8_t> payload = {});

  size_t inflight() const { return pending_.size(); }
  uint64_t calls_sent() const { return calls_; }

  // For Loop.
  int fd() const { return fd_; }
  void OnReadable();
  void OnWritable();
  void OnError(const std::string& why);
  void Flush();

 private:
  struct Out {
    xdr::Buffer head;  // record mark + RPC header + args
    std::span<const uint8_t> payload;
    size_t pad = 0;
    size_t sent = 0;  // bytes of head+payload+pad already written
    size_t total() const { return head.size() + payload.size() + pad; }
  };
  void HandleRecord(std::span<const uint8_t> record);
  void FailAll(const std::string& why);

  Loop& loop_;
  int fd_ = -1;
  uint32_t next_xid_;
  uint64_t calls_ = 0;
  bool want_write_ = false;
  std::deque<Out> out_;
  std::vector<xdr::Buffer> spare_;  // head buffers to reuse
  std::unordered_map<uint32_t, ReplyFn> pending_;
  xdr::Buffer in_;
  size_t in_start_ = 0, in_end_ = 0;
  xdr::Buffer assembly_;  // fragments of a multi-fragment record
  xdr::Buffer cred_;      // AUTH_SYS body
};

}  // namespace elfs::bench
