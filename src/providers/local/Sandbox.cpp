#include "providers/local/Sandbox.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace ramp::providers {

namespace fs = std::filesystem;

namespace {

std::string findExecutable(const std::vector<std::string>& candidates) {
  for (const auto& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c;
  }
  return {};
}

bool under(const fs::path& p, const fs::path& root) {
  auto rel = p.lexically_relative(root);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

}  // namespace

std::string Sandbox::bwrapPath() { return findExecutable({"/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"}); }

std::vector<fs::path> Sandbox::worldSecrets(const fs::path& home) {
  std::vector<fs::path> out{fs::absolute(home).lexically_normal()};
  const char* h = std::getenv("HOME");
  std::string userHome = h && *h ? h : "";
  if (userHome.empty()) {
    if (struct passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_dir) userHome = pw->pw_dir;
  }
  if (!userHome.empty() && userHome != "/" && fs::path(userHome).is_absolute()) {
    out.push_back(fs::path(userHome).lexically_normal());
  }
  return out;
}

Result<std::vector<std::string>> Sandbox::wrap(const SandboxSpec& spec, const std::vector<std::string>& command) {
  if (command.empty() || !fs::path(command.front()).is_absolute()) {
    return invalid("the sandboxed command must be an absolute path", "command");
  }
  std::string bwrap = bwrapPath();
  if (bwrap.empty()) {
    return unavailable(
        "bubblewrap (bwrap) is not installed: ramp runs releases and smoke tests only in a sandbox that hides "
        "$RAMP_HOME (tokens, the store, the audit key); install it with `apt-get install bubblewrap` "
        "(scripts/install-deps.sh does)",
        "sandbox");
  }
  const bool root = ::geteuid() == 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string setpriv;
  if (root) {
    struct passwd* pw = ::getpwnam(spec.user.c_str());
    if (!pw) {
      return unavailable("the controller runs as root, so instances run as the unprivileged user '" + spec.user +
                             "', which does not exist: create it with `useradd --system --no-create-home --shell "
                             "/usr/sbin/nologin " +
                             spec.user + "` (scripts/install-deps.sh does) or name another with --instance-user",
                         "sandbox");
    }
    if (pw->pw_uid == 0) return unavailable("--instance-user " + spec.user + " is root; name an unprivileged user", "sandbox");
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    setpriv = findExecutable({"/usr/bin/setpriv", "/bin/setpriv"});
    if (setpriv.empty()) return unavailable("setpriv (util-linux) is not installed: cannot drop root for instances", "sandbox");
  }

  std::vector<std::string> a{bwrap, "--unshare-pid", "--unshare-ipc", "--ro-bind", "/", "/", "--dev", "/dev",
                             "--proc", "/proc"};
  // Hidden roots: /tmp always (a private one), then the spec's, outermost
  // first; a root inside another is covered by it.
  std::vector<fs::path> roots{"/tmp"};
  for (const auto& h : spec.hidden) roots.push_back(fs::absolute(h).lexically_normal());
  std::sort(roots.begin(), roots.end(), [](const fs::path& x, const fs::path& y) {
    return std::distance(x.begin(), x.end()) < std::distance(y.begin(), y.end());
  });
  std::vector<fs::path> kept;
  for (const auto& r : roots) {
    if (r == "/" ) continue;
    bool covered = std::any_of(kept.begin(), kept.end(), [&](const fs::path& k) { return k == r || under(r, k); });
    if (!covered) kept.push_back(r);
  }
  for (const auto& r : kept) {
    std::error_code ec;
    if (r != "/tmp" && !fs::exists(r, ec)) continue;
    if (r != "/tmp" && !fs::is_directory(r, ec)) {
      a.insert(a.end(), {"--ro-bind", "/dev/null", r.string()});
      continue;
    }
    a.insert(a.end(), {"--perms", r == "/tmp" ? "1777" : "0755", "--tmpfs", r.string()});
  }
  // Visible paths inside hidden roots: their parents recreated, then bound.
  std::vector<fs::path> made;
  for (const auto& v0 : spec.visible) {
    fs::path v = fs::absolute(v0).lexically_normal();
    auto root = std::find_if(kept.begin(), kept.end(), [&](const fs::path& k) { return under(v, k); });
    if (root != kept.end()) {
      fs::path cur = *root;
      auto rel = v.lexically_relative(*root);
      std::vector<fs::path> parts(rel.begin(), rel.end());
      for (size_t i = 0; i + 1 < parts.size(); ++i) {
        cur /= parts[i];
        if (std::find(made.begin(), made.end(), cur) != made.end()) continue;
        made.push_back(cur);
        a.insert(a.end(), {"--perms", "0755", "--dir", cur.string()});
      }
    }
    a.insert(a.end(), {"--ro-bind", v.string(), v.string()});
  }
  a.insert(a.end(), {"--chdir", spec.workdir.string()});
  if (spec.infoFd >= 0) a.insert(a.end(), {"--info-fd", std::to_string(spec.infoFd)});
  a.push_back("--");
  if (root) {
    a.insert(a.end(), {setpriv, "--reuid=" + std::to_string(uid), "--regid=" + std::to_string(gid),
                       "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"});
  }
  a.insert(a.end(), command.begin(), command.end());
  return a;
}

}  // namespace ramp::providers
