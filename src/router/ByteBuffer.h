// ByteBuffer.h — a growable byte window for socket reads: bytes are
// appended at the tail (prepare/commit) and consumed from the head. Memory
// is allocated on first use, reused across requests on a connection, grows
// only up to what one message needs, and can be given back (release) while
// a connection is idle. Its storage can be handed to another buffer
// (takeStorage/adopt: a worker's pool of read buffers). Offsets are 32-bit
// (a buffer holds at most one message head and a read's worth of body):
// 32 bytes per buffer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace ramp::router {

class ByteBuffer {
 public:
  explicit ByteBuffer(size_t initial = 0) : data_(initial) {}
  std::string_view view() const { return {data_.data() + begin_, end_ - begin_}; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return end_ == begin_; }
  size_t capacity() const { return data_.size(); }
  // Free space at the tail, at least `min` bytes (compacts or grows).
  char* prepare(size_t min) {
    if (data_.size() - end_ < min) {
      if (begin_ > 0) {
        std::memmove(data_.data(), data_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      }
      if (data_.size() - end_ < min) {
        size_t want = std::max(data_.size() * 2, end_ + min);
        if (want > UINT32_MAX) throw std::length_error("ByteBuffer over 4 GiB");
        data_.resize(want);
      }
    }
    return data_.data() + end_;
  }
  size_t writable() const { return data_.size() - end_; }
  void commit(size_t n) { end_ += static_cast<uint32_t>(n); }
  void consume(size_t n) {
    begin_ += static_cast<uint32_t>(n);
    if (begin_ >= end_) begin_ = end_ = 0;
  }
  void clear() { begin_ = end_ = 0; }
  // Give back memory after an unusually large message.
  void shrink(size_t keep = 16 * 1024) {
    if (data_.size() > 4 * keep && size() <= keep) {
      std::vector<char> d(keep);
      std::memcpy(d.data(), data_.data() + begin_, size());
      end_ = static_cast<uint32_t>(size());
      begin_ = 0;
      data_.swap(d);
    }
  }
  // Give back all memory (only when empty).
  void release() {
    if (!empty()) return;
    std::vector<char>().swap(data_);
    begin_ = end_ = 0;
  }
  // Hands the memory over (only when empty; else nothing).
  std::vector<char> takeStorage() {
    std::vector<char> d;
    if (empty()) {
      d.swap(data_);
      begin_ = end_ = 0;
    }
    return d;
  }
  // Takes memory over (only when holding none).
  void adopt(std::vector<char>&& d) {
    if (data_.empty()) {
      data_.swap(d);
      begin_ = end_ = 0;
    }
  }

 private:
  std::vector<char> data_;
  uint32_t begin_ = 0;
  uint32_t end_ = 0;
};

}  // namespace ramp::router
