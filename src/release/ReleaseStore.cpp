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
#include "release/BundleReader.h"
#include "release/ReadOnlyCopy.h"
#include "release/ReleaseBundle.h"
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

ReleaseStore::ReleaseStore(fs::path home, store::ReleaseStore& records, Clock& clock)
    : root_(std::move(home) / "releases"), records_(records), clock_(clock) {}

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

Result<fs::path> ReleaseStore::newStage() const {
  if (auto s = ensureHome(root_.parent_path()); !s) return std::unexpected(s.error());
  std::error_code ec;
  fs::path staging = root_ / ".staging";
  fs::create_directories(staging, ec);
  if (ec) return unavailable("cannot create staging directory: " + ec.message(), staging.string());
  removeStaleStaging();
  fs::path stage = staging / (std::to_string(::getpid()) + "-" + randomHex(8));
  if (::mkdir(stage.c_str(), 0700) != 0) {
    return unavailable(std::string("cannot create staging directory: ") + std::strerror(errno), stage.string());
  }
  return stage;
}

namespace {

// A release's service and version, checked before anything is read or made.
Status validateNames(const std::string& service, const std::string& version) {
  if (auto s = ReleaseStore::validateService(service); !s) return s;
  return ReleaseStore::validateVersion(version);
}

// `p` against the working directory, or `p` as given when that cannot be
// known.
fs::path absoluteOrAsGiven(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  return ec ? p : abs;
}

// Removes a staging directory unless it was moved into place.
struct StageGuard {
  fs::path p;
  bool keep = false;
  ~StageGuard() {
    if (!keep && !p.empty()) removeReadOnlyTree(p);
  }
};

store::ReleaseRecord recordOf(const Release& r, const BundleInfo& bundle) {
  store::ReleaseRecord rec;
  rec.service = r.service;
  rec.version = r.version;
  rec.digest = r.digest;
  rec.createdBy = r.createdBy;
  rec.createdAt = r.createdAtMs;
  rec.doc = r.toJson();
  rec.doc["bundle"] = {{"sha256", bundle.sha256}, {"bytes", bundle.bytes}};
  return rec;
}

std::string immutableConflict(const std::string& service, const std::string& version, const std::string& existing,
                              const std::string& fresh) {
  return "release " + service + " " + version + " already exists with " + existing + "; the new content has " +
         fresh + ". Releases are immutable: give the new content a new version";
}

}  // namespace

Status ReleaseStore::publish(const Release& r, const fs::path& tree) const {
  BundleInfo info;
  auto bytes = ReleaseBundle::bytes(tree, &info);
  if (!bytes) return std::unexpected(bytes.error());
  if (auto p = records_.putRelease(recordOf(r, info)); !p) {
    if (p.error().code == ErrorCode::kConflict) {
      auto other = records_.getRelease(r.service, r.version);
      return conflict(immutableConflict(r.service, r.version, other ? other->digest : "another digest", r.digest),
                      "version");
    }
    return p;
  }
  return records_.putReleaseContent(r.service, r.version, info.sha256, *bytes);
}

Status ReleaseStore::install(const Release& r, const fs::path& stage) const {
  if (auto s = writeFileAtomic(stage / "release.json", r.toJson().dump(2) + "\n", fs::perms(0444)); !s) {
    return s;
  }
  ::chmod(stage.c_str(), 0555);
  syncDir(stage);
  fs::path target = releaseDir(r.service, r.version);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) return unavailable("cannot create directory: " + ec.message(), target.parent_path().string());
  if (::rename(stage.c_str(), target.c_str()) != 0) {
    int e = errno;
    if (e == EEXIST || e == ENOTEMPTY) {  // someone else put a copy there meanwhile
      auto there = readLocal(r.service, r.version);
      if (there && there->digest == r.digest) return ok();
      return conflict(immutableConflict(r.service, r.version, there ? there->digest : "unreadable metadata",
                                        r.digest),
                      "version");
    }
    return unavailable(std::string("cannot move release into place: ") + std::strerror(e), target.string());
  }
  syncDir(target.parent_path());
  return ok();
}

Result<ReleaseStore::Created> ReleaseStore::create(const std::string& service,
                                                   const std::string& version,
                                                   const fs::path& from,
                                                   const std::string& source) {
  if (auto s = validateNames(service, version); !s) return std::unexpected(s.error());
  fs::path absFrom = absoluteOrAsGiven(from);
  std::error_code ec;
  if (!fs::is_directory(absFrom, ec)) {
    return notFound("release source directory does not exist", absFrom.string());
  }
  auto stage = newStage();
  if (!stage) return std::unexpected(stage.error());
  StageGuard guard{*stage};

  if (auto s = copyReadOnly(absFrom, *stage / "tree"); !s) return std::unexpected(s.error());
  auto stats = treeStats(*stage / "tree");
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

  auto existing = recorded(service, version);
  if (!existing) return std::unexpected(existing.error());
  if (*existing) {
    if ((*existing)->digest != r.digest) {
      return conflict(immutableConflict(service, version, (*existing)->digest, r.digest), "version");
    }
    // The same release: complete what an interrupted create left out (its
    // contents in the store, the home's copy).
    if (auto p = publish(**existing, *stage / "tree"); !p) return std::unexpected(p.error());
    if (!fs::exists(releaseDir(service, version), ec)) {
      if (auto i = install(**existing, *stage); !i) return std::unexpected(i.error());
      guard.keep = true;
    }
    return Created{**existing, false};
  }
  if (auto p = publish(r, *stage / "tree"); !p) return std::unexpected(p.error());
  if (auto i = install(r, *stage); !i) return std::unexpected(i.error());
  guard.keep = true;
  r.dir = releaseDir(service, version);
  return Created{r, true};
}

Result<ReleaseStore::Created> ReleaseStore::createFromBuild(
    const std::string& service, const std::string& version, const fs::path& workdir,
    const std::string& buildCommand, const fs::path& outputDir,
    const BuildCommand::Options& options) {
  if (auto s = validateNames(service, version); !s) return std::unexpected(s.error());
  fs::path absWork = absoluteOrAsGiven(workdir);
  BuildCommand build(clock_);
  if (auto s = build.run(absWork, buildCommand, version, options); !s) {
    return std::unexpected(s.error());
  }
  fs::path out = outputDir.is_absolute() ? outputDir : absWork / outputDir;
  out = out.lexically_normal();
  std::error_code ec;
  if (!fs::is_directory(out, ec)) {
    return notFound("the build command succeeded but its output directory does not exist",
                    out.string());
  }
  return create(service, version, out, "build:" + buildCommand + " -> " + out.string());
}

Result<Release> ReleaseStore::readLocal(const std::string& service, const std::string& version) const {
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

Result<std::optional<Release>> ReleaseStore::recorded(const std::string& service, const std::string& version) const {
  auto rec = records_.getRelease(service, version);
  if (rec) {
    auto r = Release::fromJson(rec->doc, "store: release " + service + " " + version);
    if (!r) return std::unexpected(r.error());
    if (r->digest != rec->digest) {
      return internal("the store's record of release " + service + " " + version + " disagrees with itself");
    }
    r->dir = releaseDir(service, version);
    return std::optional<Release>(std::move(*r));
  }
  if (rec.error().code != ErrorCode::kNotFound) return std::unexpected(rec.error());
  // Made before releases lived in the store: record what the home holds.
  auto local = readLocal(service, version);
  if (!local) {
    if (local.error().code == ErrorCode::kNotFound) return std::optional<Release>();
    return std::unexpected(local.error());
  }
  if (auto v = verify(*local); !v) return std::unexpected(v.error());
  if (auto p = publish(*local, local->tree()); !p) return std::unexpected(p.error());
  return std::optional<Release>(std::move(*local));
}

Status ReleaseStore::rebuild(const Release& r) const {
  const std::string who = "release " + r.service + " " + r.version;
  auto content = records_.getReleaseContent(r.service, r.version);
  if (!content) return std::unexpected(content.error());
  if (!*content) {
    return failedPrecondition(who + " is recorded but its contents are not in the store (its creation was "
                                  "interrupted, or it was made by an older ramp on another host): run `ramp "
                                  "release create " + r.service + " --version " + r.version +
                                  "` where its files are",
                              "version");
  }
  auto stage = newStage();
  if (!stage) return std::unexpected(stage.error());
  StageGuard guard{*stage};
  if (auto x = BundleReader::extract((*content)->bytes, *stage / "tree"); !x) {
    return failedPrecondition(who + ": its bundle in the store cannot be unpacked: " + x.error().describe());
  }
  auto found = treeDigest(*stage / "tree");
  if (!found) return std::unexpected(found.error());
  if (*found != r.digest) {
    return failedPrecondition(who + ": the tree rebuilt from the store has " + *found + ", not the recorded " +
                                  r.digest + "; not used",
                              "version");
  }
  if (auto i = install(r, *stage); !i) return i;
  guard.keep = true;
  return ok();
}

Result<Release> ReleaseStore::get(const std::string& service, const std::string& version) const {
  if (auto s = validateNames(service, version); !s) return std::unexpected(s.error());
  auto r = recorded(service, version);
  if (!r) return std::unexpected(r.error());
  if (!*r) return notFound("no release " + service + " " + version, "release " + service + " " + version);
  auto local = readLocal(service, version);
  if (!local) {
    if (local.error().code != ErrorCode::kNotFound) return std::unexpected(local.error());
    if (auto b = rebuild(**r); !b) return std::unexpected(b.error());
    return **r;
  }
  if (local->digest != (*r)->digest) {
    return failedPrecondition("release " + service + " " + version + ": this home's copy has " + local->digest +
                                  " but the store records " + (*r)->digest + "; remove " + local->dir.string() +
                                  " to have it rebuilt from the store",
                              local->dir.string());
  }
  return **r;
}

Result<std::vector<Release>> ReleaseStore::list(const std::optional<std::string>& service) const {
  if (service) {
    if (auto s = validateService(*service); !s) return std::unexpected(s.error());
  }
  // Releases only this home holds are recorded first.
  std::error_code ec;
  std::vector<std::string> services;
  if (service) {
    services.push_back(*service);
  } else {
    for (auto it = fs::directory_iterator(root_, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (!name.empty() && name[0] != '.' && it->is_directory()) services.push_back(name);
    }
  }
  for (const auto& svc : services) {
    ec.clear();
    for (auto it = fs::directory_iterator(root_ / svc, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::string version = it->path().filename().string();
      if (version.empty() || version[0] == '.' || !it->is_directory()) continue;
      if (!validateService(svc) || !validateVersion(version)) continue;
      auto r = recorded(svc, version);
      if (!r) return std::unexpected(r.error());
    }
  }
  auto recs = records_.listReleases(service);
  if (!recs) return std::unexpected(recs.error());
  std::vector<Release> out;
  out.reserve(recs->size());
  for (const auto& rec : *recs) {
    auto r = Release::fromJson(rec.doc, "store: release " + rec.service + " " + rec.version);
    if (!r) return std::unexpected(r.error());
    r->dir = releaseDir(rec.service, rec.version);
    out.push_back(std::move(*r));
  }
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
