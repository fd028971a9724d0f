#include "providers/aws/S3Api.h"

#include <cctype>

#include "providers/aws/AwsError.h"

namespace ramp::providers::aws {

Status S3Api::validateBucket(const std::string& bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) {
    return invalid("bucket name '" + bucket + "' must be 3 to 63 characters", "bucket");
  }
  for (char c : bucket) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
          c == '-')) {
      return invalid("bucket name '" + bucket + "' may hold only a-z, 0-9, '.' and '-'", "bucket");
    }
  }
  if (!std::isalnum(static_cast<unsigned char>(bucket.front())) ||
      !std::isalnum(static_cast<unsigned char>(bucket.back()))) {
    return invalid("bucket name '" + bucket + "' must start and end with a letter or digit", "bucket");
  }
  return ok();
}

Status S3Api::validateKey(const std::string& key) {
  if (key.empty() || key.size() > 1024) return invalid("object key must be 1 to 1024 characters", "key");
  if (key.front() == '/') return invalid("object key '" + key + "' must not start with '/'", "key");
  for (char c : key) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_' || c == '-')) {
      return invalid("object key '" + key + "' may hold only A-Z a-z 0-9 / . _ -", "key");
    }
  }
  if (key.find("//") != std::string::npos || key.find("/./") != std::string::npos ||
      key.find("/../") != std::string::npos) {
    return invalid("object key '" + key + "' has an empty, '.' or '..' segment", "key");
  }
  return ok();
}

std::pair<std::string, std::string> S3Api::address(const std::string& bucket, const std::string& key) const {
  if (client_.overridden("s3")) return {"/" + bucket + (key.empty() ? "" : "/" + key), ""};
  return {"/" + key, bucket};
}

Result<S3Object> S3Api::headObject(const std::string& bucket, const std::string& key) {
  if (auto s = validateBucket(bucket); !s) return std::unexpected(s.error());
  if (auto s = validateKey(key); !s) return std::unexpected(s.error());
  auto [path, host] = address(bucket, key);
  auto resp = client_.rest("s3", "HEAD", path, {}, {}, "", "HeadObject", host);
  if (!resp) {
    // HEAD answers carry no error body: a 404 is the only "no such key".
    if (resp.error().code == ErrorCode::kNotFound) return S3Object{};
    return std::unexpected(resp.error());
  }
  S3Object o;
  o.exists = true;
  if (auto it = resp->headers.find("content-length"); it != resp->headers.end()) {
    try {
      o.size = std::stoull(it->second);
    } catch (const std::exception&) {
      return internal("HeadObject answered a bad Content-Length '" + it->second + "'", "aws:s3:HeadObject");
    }
  }
  if (auto it = resp->headers.find("etag"); it != resp->headers.end()) o.etag = it->second;
  return o;
}

Result<std::string> S3Api::putObject(const std::string& bucket, const std::string& key, std::string body,
                                     const std::string& contentType) {
  if (auto s = validateBucket(bucket); !s) return std::unexpected(s.error());
  if (auto s = validateKey(key); !s) return std::unexpected(s.error());
  auto [path, host] = address(bucket, key);
  auto resp = client_.rest("s3", "PUT", path, {}, {{"Content-Type", contentType}}, std::move(body), "PutObject", host);
  if (!resp) return std::unexpected(resp.error());
  auto it = resp->headers.find("etag");
  return it == resp->headers.end() ? std::string() : it->second;
}

Result<std::string> S3Api::getObject(const std::string& bucket, const std::string& key) {
  if (auto s = validateBucket(bucket); !s) return std::unexpected(s.error());
  if (auto s = validateKey(key); !s) return std::unexpected(s.error());
  auto [path, host] = address(bucket, key);
  auto resp = client_.rest("s3", "GET", path, {}, {}, "", "GetObject", host);
  if (!resp) return std::unexpected(resp.error());
  return std::move(resp->body);
}

Status S3Api::createBucket(const std::string& bucket) {
  if (auto s = validateBucket(bucket); !s) return s;
  auto [path, host] = address(bucket, "");
  if (path.empty()) path = "/";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  if (client_.options().region != "us-east-1") {
    body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>" +
           client_.options().region + "</LocationConstraint></CreateBucketConfiguration>";
    headers.emplace_back("Content-Type", "application/xml");
  }
  auto resp = client_.rest("s3", "PUT", path, {}, headers, std::move(body), "CreateBucket", host);
  if (!resp) {
    if (AwsError::codeOf(resp.error()) == "BucketAlreadyOwnedByYou") return ok();
    return std::unexpected(resp.error());
  }
  return ok();
}

}  // namespace ramp::providers::aws
