// ReleaseStore.cpp — see ReleaseStore.h.
#include "release/ReleaseStore.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/Home.h"
#include "core/Sha256.h"
#include "release/ReadOnlyCopy.h"
#include "release/TreeDigest.h"

namespace ramp::release {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxName = 64;

std::string osUser() {
  if (struct passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return pw->pw_name;
  if (const char* u = std::getenv("USER"); u && *u) return u;
  return "uid:" + std::to_string(::geteuid());
}

void syncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

bool isAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

ReleaseStore::ReleaseStore(fs::path home, Clock& clock)
    : root_(std::move(home) / "releases"), clock_(clock) {}

Status ReleaseStore::validateService(const std::string& s) {
  if (s.empty()) return invalid("service name is empty", "service");
  if (s.size() > kMaxName) return invalid("service name \"" + s + "\" is longer than 64 characters", "service");
  bool okChars = std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
  });
  if (!okChars || s[0] == '-' || s[0] == '_') {
    return invalid("service name \"" + s + "\" is not valid (want [a-z0-9][a-z0-9_-]*)", "service");
  }
  return ok();
}

Status ReleaseStore::validateVersion(const std::string& v) {
  if (v.empty()) return invalid("version is empty", "version");
  if (v.size() > kMaxName) return invalid("version \"" + v + "\" is longer than 64 characters", "version");
  bool okChars = std::all_of(v.begin(), v.end(), [](char c) {
    return isAlnum(c) || c == '.' || c == '+' || c == '_' || c == '-';
  });
  if (!okChars || !isAlnum(v[0])) {
    return invalid("version \"" + v + "\" is not valid (want [0-9A-Za-z][0-9A-Za-z.+_-]*)", "version");
  }
  return ok();
}

fs::path ReleaseStore::releaseDir(const std::string& service, const std::string& version) const {
  return root_ / service / version;
}

void ReleaseStore::removeStaleStaging() const {
  // Staging directories are named <pid>-<random>; one whose process is gone
  // is the leftover of a crash.
  std::error_code ec;
  fs::path staging = root_ / ".staging";
  std::vector<fs::path> stale;
  for (auto it = fs::directory_iterator(staging, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    long pid = std::strtol(name.c_str(), nullptr, 10);
    if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) {
      stale.push_back(it->path());
    }
  }
  for (const auto& p : stale) removeReadOnlyTree(p);
}

Result<ReleaseStore::Created> ReleaseStore::create(const std::string& service,
                                                   const std::string& version,
                                                   const fs::path& from,
                                                   const std::string& source) {
  if (auto s = validateService(service); !s) return std::unexpected(s.error());
  if (auto s = validateVersion(version); !s) return std::unexpected(s.error());
  std::error_code ec;
  fs::path absFrom = fs::absolute(from, ec);
  if (ec) absFrom = from;
  if (!fs::is_directory(absFrom, ec)) {
    return notFound("release source directory does not exist", absFrom.string());
  }
  if (auto s = ensureHome(root_.parent_path()); !s) return std::unexpected(s.error());
  fs::path staging = root_ / ".staging";
  fs::create_directories(staging, ec);
  if (ec) return unavailable("cannot create staging directory: " + ec.message(), staging.string());
  removeStaleStaging();

  fs::path stage = staging / (std::to_string(::getpid()) + "-" + randomHex(8));
  if (::mkdir(stage.c_str(), 0700) != 0) {
    return unavailable(std::string("cannot create staging directory: ") + std::strerror(errno),
                       stage.string());
  }
  struct StageGuard {
    fs::path p;
    bool keep = false;
    ~StageGuard() {
      if (!keep) removeReadOnlyTree(p);
    }
  } guard{stage};

  if (auto s = copyReadOnly(absFrom, stage / "tree"); !s) return std::unexpected(s.error());
  auto stats = treeStats(stage / "tree");
  if (!stats) return std::unexpected(stats.error());

  Release r;
  r.service = service;
  r.version = version;
  r.digest = stats->digest;
  r.createdAtMs = toUnixMillis(clock_.now());
  r.createdBy = osUser();
  r.source = source.empty() ? "dir:" + absFrom.string() : source;
  r.files = stats->files;
  r.bytes = stats->bytes;

  fs::path target = releaseDir(service, version);
  auto compareExisting = [&]() -> Result<Created> {
    auto existing = get(service, version);
    if (!existing) return std::unexpected(existing.error());
    if (existing->digest == r.digest) return Created{*existing, false};
    return conflict("release " + service + " " + version + " already exists with " +
                        existing->digest + "; the new content has " + r.digest +
                        ". Releases are immutable: give the new content a new version",
                    "version");
  };
  if (fs::exists(target, ec)) return compareExisting();

  if (auto s = writeFileAtomic(stage / "release.json", r.toJson().dump(2) + "\n",
                               fs::perms(0444));
      !s) {
    return std::unexpected(s.error());
  }
  ::chmod(stage.c_str(), 0555);
  syncDir(stage);
  fs::create_directories(target.parent_path(), ec);
  if (ec) {
    return unavailable("cannot create directory: " + ec.message(), target.parent_path().string());
  }
  if (::rename(stage.c_str(), target.c_str()) != 0) {
    int e = errno;
    if (e == EEXIST || e == ENOTEMPTY) return compareExisting();  // lost a race
    return unavailable(std::string("cannot move release into place: ") + std::strerror(e),
                       target.string());
  }
  guard.keep = true;
  syncDir(target.parent_path());
  r.dir = target;
  return Created{r, true};
}

Result<ReleaseStore::Created> ReleaseStore::createFromBuild(
    const std::string& service, const std::string& version, const fs::path& workdir,
    const std::string& buildCommand, const fs::path& outputDir,
    const BuildCommand::Options& options) {
  if (auto s = validateService(service); !s) return std::unexpected(s.error());
  if (auto s = validateVersion(version); !s) return std::unexpected(s.error());
  std::error_code ec;
  fs::path absWork = fs::absolute(workdir, ec);
  if (ec) absWork = workdir;
  BuildCommand build(clock_);
  if (auto s = build.run(absWork, buildCommand, version, options); !s) {
    return std::unexpected(s.error());
  }
  fs::path out = outputDir.is_absolute() ? outputDir : absWork / outputDir;
  out = out.lexically_normal();
  if (!fs::is_directory(out, ec)) {
    return notFound("the build command succeeded but its output directory does not exist",
                    out.string());
  }
  return create(service, version, out, "build:" + buildCommand + " -> " + out.string());
}

Result<Release> ReleaseStore::get(const std::string& service, const std::string& version) const {
  if (auto s = validateService(service); !s) return std::unexpected(s.error());
  if (auto s = validateVersion(version); !s) return std::unexpected(s.error());
  fs::path dir = releaseDir(service, version);
  fs::path meta = dir / "release.json";
  std::error_code ec;
  if (!fs::exists(meta, ec)) {
    return notFound("no release " + service + " " + version, "release " + service + " " + version);
  }
  auto text = readFile(meta, 1 << 20);
  if (!text) return std::unexpected(text.error());
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid("release metadata is not valid JSON", meta.string());
  auto r = Release::fromJson(j, meta.string());
  if (!r) return r;
  if (r->service != service || r->version != version) {
    return invalid("release metadata names " + r->service + " " + r->version +
                       " but is stored as " + service + " " + version,
                   meta.string());
  }
  r->dir = dir;
  return r;
}

Result<std::vector<Release>> ReleaseStore::list(const std::optional<std::string>& service) const {
  std::vector<Release> out;
  std::error_code ec;
  std::vector<std::string> services;
  if (service) {
    if (auto s = validateService(*service); !s) return std::unexpected(s.error());
    services.push_back(*service);
  } else {
    for (auto it = fs::directory_iterator(root_, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (!name.empty() && name[0] != '.' && it->is_directory()) services.push_back(name);
    }
  }
  for (const auto& svc : services) {
    ec.clear();
    for (auto it = fs::directory_iterator(root_ / svc, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      std::string version = it->path().filename().string();
      if (version.empty() || version[0] == '.' || !it->is_directory()) continue;
      auto r = get(svc, version);
      if (!r) return std::unexpected(r.error());
      out.push_back(std::move(*r));
    }
  }
  std::sort(out.begin(), out.end(), [](const Release& a, const Release& b) {
    if (a.service != b.service) return a.service < b.service;
    if (a.createdAtMs != b.createdAtMs) return a.createdAtMs < b.createdAtMs;
    return a.version < b.version;
  });
  return out;
}

Status ReleaseStore::verify(const Release& release) const {
  std::string who = "release " + release.service + " " + release.version;
  std::error_code ec;
  if (!fs::is_directory(release.tree(), ec)) {
    return failedPrecondition(who + " changed on disk: its tree is missing", release.tree().string());
  }
  auto found = treeDigest(release.tree());
  if (!found) {
    return failedPrecondition(who + " changed on disk: " + found.error().describe(),
                              release.tree().string());
  }
  if (*found != release.digest) {
    return failedPrecondition(who + " changed on disk: expected " + release.digest + ", found " +
                                  *found,
                              release.tree().string());
  }
  return ok();
}

}  // namespace ramp::release
