#include "providers/aws/EnvCredentialsProvider.h"

#include <cstdlib>

namespace ramp::providers::aws {

Result<AwsCredentials> EnvCredentialsProvider::credentials() {
  const char* id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  const char* token = std::getenv("AWS_SESSION_TOKEN");
  bool hasId = id && *id, hasSecret = secret && *secret;
  if (!hasId && !hasSecret) return notFound("AWS_ACCESS_KEY_ID is not set", "env");
  if (!hasId) return invalid("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not", "env:AWS_ACCESS_KEY_ID");
  if (!hasSecret) return invalid("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not", "env:AWS_SECRET_ACCESS_KEY");
  AwsCredentials c;
  c.accessKeyId = id;
  c.secretAccessKey = secret;
  if (token) c.sessionToken = token;
  c.source = "env";
  return c;
}

}  // namespace ramp::providers::aws
