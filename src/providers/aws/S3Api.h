// S3Api.h — the few S3 calls ramp needs, over AwsClient's raw REST path.
//
//   headObject(bucket, key)    -> S3Object{exists, size, etag}; a 404 is
//                                 {exists = false}, not an error
//   putObject(bucket, key, body, contentType) -> the ETag; one signed PUT
//                                 (bundles are small; S3 takes up to 5 GB)
//   getObject(bucket, key)     -> the object's bytes (kNotFound if absent)
//   createBucket(bucket)       -> ok if made or already ours (tests, moto)
//
// Addressing: virtual-host style (https://<bucket>.s3.<region>.amazonaws.com/<key>)
// against AWS, path style (<endpoint>/<bucket>/<key>) when an endpoint
// override is in use (moto and other emulators). Requests are SigV4-signed
// with X-Amz-Content-Sha256 (the payload's sha256), paths unnormalized.
// Bucket names must be DNS-compatible (3-63 of [a-z0-9.-]) and keys are
// limited to [A-Za-z0-9/._-] so that their canonical and wire forms agree;
// anything else is kInvalid naming "bucket" or "key".
#pragma once

#include <cstdint>
#include <string>

#include "providers/aws/AwsClient.h"

namespace ramp::providers::aws {

struct S3Object {
  bool exists = false;
  uint64_t size = 0;
  std::string etag;
};

class S3Api {
 public:
  explicit S3Api(AwsClient& client) : client_(client) {}

  Result<S3Object> headObject(const std::string& bucket, const std::string& key);
  Result<std::string> putObject(const std::string& bucket, const std::string& key, std::string body,
                                const std::string& contentType = "application/octet-stream");
  Result<std::string> getObject(const std::string& bucket, const std::string& key);
  Status createBucket(const std::string& bucket);

  static Status validateBucket(const std::string& bucket);
  static Status validateKey(const std::string& key);

 private:
  // {path, hostPrefix} for the object `key` ("" = the bucket itself).
  std::pair<std::string, std::string> address(const std::string& bucket, const std::string& key) const;

  AwsClient& client_;
};

}  // namespace ramp::providers::aws
