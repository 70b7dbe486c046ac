#include "broker/redis/redis_reply.h"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <cstdlib>
#include <new>

namespace pushy::broker::redis {
namespace {

redisReader* AsReader(void* p) { return static_cast<redisReader*>(p); }

Reply Convert(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_STRING:
      return Reply::String(std::string(r.str, r.len));
    case REDIS_REPLY_STATUS:
      return Reply::Status(std::string(r.str, r.len));
    case REDIS_REPLY_ERROR:
      return Reply::Error(std::string(r.str, r.len));
    case REDIS_REPLY_INTEGER:
      return Reply::Integer(r.integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) elements.push_back(Convert(*r.element[i]));
      return Reply::Array(std::move(elements));
    }
    default:
      return Reply::Nil();
  }
}

}  // namespace

std::string FormatCommand(const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  args.reserve(argv.size());
  lengths.reserve(argv.size());
  for (const std::string& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  char* formatted = nullptr;
  const int length = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), args.data(),
                                            lengths.data());
  if (length < 0 || formatted == nullptr) throw std::bad_alloc();  // only fails on OOM
  std::string out(formatted, static_cast<std::size_t>(length));
  redisFreeCommand(formatted);
  return out;
}

ReplyDecoder::ReplyDecoder() : reader_(redisReaderCreate()) {
  if (reader_ == nullptr) throw std::bad_alloc();
}

ReplyDecoder::~ReplyDecoder() { redisReaderFree(AsReader(reader_)); }

bool ReplyDecoder::Feed(const char* data, std::size_t size) {
  if (redisReaderFeed(AsReader(reader_), data, size) != REDIS_OK) {
    error_ = AsReader(reader_)->errstr;
    return false;
  }
  return true;
}

bool ReplyDecoder::Next(Reply& reply) {
  void* raw = nullptr;
  if (redisReaderGetReply(AsReader(reader_), &raw) != REDIS_OK) {
    error_ = AsReader(reader_)->errstr;
    if (error_.empty()) error_ = "protocol error";
    return false;
  }
  if (raw == nullptr) return false;
  reply = Convert(*static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return true;
}

}  // namespace pushy::broker::redis
