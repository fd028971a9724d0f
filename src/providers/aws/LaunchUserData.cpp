#include "providers/aws/LaunchUserData.h"

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
  std::string hex = spec.releaseDigest.starts_with("sha256:") ? spec.releaseDigest.substr(7) : spec.releaseDigest;
  std::string s = "#!/bin/sh\n# ramp fleet " + spec.fleetId + " (" + spec.service + " " + spec.releaseVersion + ")\n";
  s += "set -eu\nmkdir -p /etc/ramp /opt/ramp\n";
  s += "cat > /etc/ramp/fleet.env <<'RAMP_ENV'\n";
  s += "RAMP_FLEET=" + spec.fleetId + "\nRAMP_SERVICE=" + spec.service + "\nRAMP_ENV=" + spec.env +
       "\nRAMP_RELEASE_DIGEST=" + spec.releaseDigest + "\nPORT=" + std::to_string(env.instancePort) + "\n";
  for (const auto& [k, v] : spec.run.env) s += k + "=" + v + "\n";  // references stay unresolved
  s += "RAMP_ENV\n";
  if (env.bundleBucket.empty()) return s + "# the AMI carries the release; its unit reads /etc/ramp/fleet.env\n";
  std::string key = "releases/" + spec.service + "/" + hex + ".tar.gz";
  s += "bundle=/opt/ramp/" + hex + ".tar.gz\n";
  s += "aws s3 cp " + shellQuote("s3://" + env.bundleBucket + "/" + key) + " \"$bundle\"\n";
  s += "got=$(sha256sum \"$bundle\" | cut -d' ' -f1)\n";
  s += "if [ \"$got\" != " + shellQuote(hex) + " ]; then\n";
  s += "  echo \"ramp: release bundle digest mismatch: expected " + hex + ", found $got; refused to start\" >&2\n";
  s += "  exit 1\nfi\n";
  s += "mkdir -p /opt/ramp/release && tar -xzf \"$bundle\" -C /opt/ramp/release && chmod -R a-w /opt/ramp/release\n";
  s += "resolve() { case \"$1\" in '${secret:'*'}') n=${1#'${secret:'}; n=${n%'}'}; aws ssm get-parameter "
       "--with-decryption --name \"/ramp/" + env.project + "/$n\" --query Parameter.Value --output text ;; *) "
       "printf '%s' \"$1\" ;; esac; }\n";
  s += "set -a\nwhile IFS='=' read -r k v; do [ -n \"$k\" ] && eval \"$k=\\$(resolve \\\"\\$v\\\")\"; done "
       "< /etc/ramp/fleet.env\nset +a\n";
  s += "cd /opt/ramp/release\nexec " + shellQuote(spec.run.command);
  for (const auto& a : spec.run.args) s += " " + shellQuote(a);
  return s + "\n";
}

}  // namespace ramp::providers::aws
