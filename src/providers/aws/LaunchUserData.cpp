#include "providers/aws/LaunchUserData.h"

#include "release/ReleaseBundle.h"

namespace ramp::providers::aws {

std::string LaunchUserData::shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string LaunchUserData::script(const FleetSpec& spec, const AwsEnvironment& env) {
  if (env.bundleBucket.empty()) return script(spec, env, "");
  auto bundle = release::ReleaseBundle::digest(spec.releasePath);
  if (!bundle) {
    // No digest to check against: the instance must not start anything.
    return "#!/bin/sh\n# ramp fleet " + spec.fleetId + "\necho " +
           shellQuote("ramp: release bundle of " + spec.service + " " + spec.releaseVersion +
                      " could not be computed (" + bundle.error().describe() + "); refused to start") +
           " >&2\nexit 1\n";
  }
  return script(spec, env, bundle->sha256);
}

std::string LaunchUserData::script(const FleetSpec& spec, const AwsEnvironment& env, const std::string& bundleSha256) {
  std::string s = "#!/bin/sh\n# ramp fleet " + spec.fleetId + " (" + spec.service + " " + spec.releaseVersion + ")\n";
  s += "set -eu\nR=\"${RAMP_INSTANCE_ROOT:-}\"\nmkdir -p \"$R/etc/ramp\" \"$R/opt/ramp\"\n";
  s += "cat > \"$R/etc/ramp/fleet.env\" <<'RAMP_ENV'\n";
  s += "RAMP_FLEET=" + spec.fleetId + "\nRAMP_SERVICE=" + spec.service + "\nRAMP_ENV=" + spec.env +
       "\nRAMP_RELEASE_DIGEST=" + spec.releaseDigest + "\nPORT=" + std::to_string(env.instancePort) + "\n";
  for (const auto& [k, v] : spec.run.env) s += k + "=" + v + "\n";  // references stay unresolved
  s += "RAMP_ENV\n";
  if (env.bundleBucket.empty()) return s + "# the AMI carries the release; its unit reads /etc/ramp/fleet.env\n";
  const std::string& hex = bundleSha256;
  std::string key = release::ReleaseBundle::key(spec.service, hex);
  s += "bundle=\"$R/opt/ramp/" + hex + ".tar\"\n";
  s += "aws s3 cp " + shellQuote("s3://" + env.bundleBucket + "/" + key) + " \"$bundle.part\"\n";
  s += "got=$(sha256sum \"$bundle.part\" | cut -d' ' -f1)\n";
  s += "if [ \"$got\" != " + shellQuote(hex) + " ]; then\n";
  s += "  echo \"ramp: release bundle digest mismatch: expected " + hex + ", found $got; refused to start\" >&2\n";
  s += "  rm -f \"$bundle.part\"\n  exit 1\nfi\n";
  s += "mv \"$bundle.part\" \"$bundle\"\n";
  s += "mkdir -p \"$R/opt/ramp/release\" && tar -xf \"$bundle\" -C \"$R/opt/ramp/release\" && chmod -R a-w "
       "\"$R/opt/ramp/release\"\n";
  s += "resolve() { case \"$1\" in '${secret:'*'}') n=${1#'${secret:'}; n=${n%'}'}; aws ssm get-parameter "
       "--with-decryption --name \"/ramp/" + env.project + "/$n\" --query Parameter.Value --output text ;; *) "
       "printf '%s' \"$1\" ;; esac; }\n";
  s += "set -a\nwhile IFS='=' read -r k v; do [ -n \"$k\" ] && eval \"$k=\\$(resolve \\\"\\$v\\\")\"; done "
       "< \"$R/etc/ramp/fleet.env\"\nset +a\n";
  s += "cd \"$R/opt/ramp/release\"\nexec " + shellQuote(spec.run.command);
  for (const auto& a : spec.run.args) s += " " + shellQuote(a);
  return s + "\n";
}

}  // namespace ramp::providers::aws
