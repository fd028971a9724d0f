// ReleaseCommand.cpp — `ramp release create|list|verify|push`.
//
//   ramp release create SERVICE --version V [--from DIR] [-f CONFIG] [--json]
//       Stores an immutable release (release::ReleaseStore: recorded with its
//       bundle in the world's store, cli/HomeStore.h, and copied into the
//       home). Without --from,
//       the service's `release` section of the config (./ramp.yaml or -f) is
//       used: `release.from` (a directory) or `release.build` + `release.output`
//       (a shell command run in the config's directory, then its output
//       directory), all relative to the config's directory.
//       Exit 0: created, or (--from) the identical release already existed
//       (nothing changed). Exit 1, nothing changed: unknown service, missing
//       directory, bad version, different content under an existing version,
//       failed build; with a build command, an existing version is refused
//       before anything is built (versions are immutable).
//   ramp release list [SERVICE] [--json]
//       Every release the world's store knows (of SERVICE), oldest first per
//       service — made in this home or any other sharing the store.
//   ramp release verify SERVICE --version V [--json]
//       Recomputes the digest; exit 1 if the release changed on disk.
//
//   ramp release push SERVICE --version V --env ENV [-f CONFIG] [--json]
//       Uploads the release's bundle (release::ReleaseBundle: a deterministic
//       tar of its tree) to the aws environment's bundle bucket
//       (environments.ENV.aws.bundle_bucket) under the content-addressed key
//       bundles/SERVICE/<bundle sha256>.tar, in the environment's first
//       region. HeadObject first: if the key is there with the same size,
//       nothing is uploaded ("already there"); else one PutObject. The
//       release is verified first. Exit 1, nothing uploaded: unknown release
//       or service or environment, an environment that is not aws, no
//       bundle_bucket, a release changed on disk, an object of another size
//       at the key, any S3 error. The fleet provider derives the same key
//       from the release tree when it writes user data (LaunchUserData.h).
//
// --json prints the release object(s) of Release::toApiJson() (plus
// "created" for create) on stdout; with --json a build command's stdout goes
// to stderr so stdout stays parseable. The store logic lives in src/release;
// this file only parses flags, reads the config and renders.
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/CommandRegistry.h"
#include "cli/HomeStore.h"
#include "cli/Options.h"
#include "config/ConfigLoader.h"
#include "config/EffectiveService.h"
#include "core/Clock.h"
#include "core/Home.h"
#include "providers/aws/AwsEnvironment.h"
#include "providers/aws/AwsRegionClients.h"
#include "providers/aws/S3Api.h"
#include "release/ReleaseBundle.h"
#include "release/ReleaseStore.h"

namespace {

namespace fs = std::filesystem;
using ramp::release::Release;
using ramp::release::ReleaseStore;

struct CreateArgs {
  std::string service;
  std::string version;
  std::optional<std::string> from;
  std::optional<std::string> file;
  bool json = false;
};

struct ListArgs {
  std::optional<std::string> service;
  bool json = false;
};

struct VerifyArgs {
  std::string service;
  std::string version;
  bool json = false;
};

struct PushArgs {
  std::string service;
  std::string version;
  std::string env;
  std::optional<std::string> file;
  bool json = false;
};

std::string humanBytes(uint64_t b) {
  if (b < 1024) return fmt::format("{} B", b);
  if (b < 1024ull * 1024) return fmt::format("{:.1f} KiB", b / 1024.0);
  if (b < 1024ull * 1024 * 1024) return fmt::format("{:.1f} MiB", b / (1024.0 * 1024));
  return fmt::format("{:.1f} GiB", b / (1024.0 * 1024 * 1024));
}

std::string shortDigest(const std::string& d) {
  // "sha256:" + 12 hex characters is plenty for people; --json has it all.
  return d.size() > 19 ? d.substr(0, 19) + "…" : d;
}

void printJson(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

// Turns "where: message" errors of the store into flag-named ones.
std::string describe(const ramp::Error& e) {
  if (e.where == "version") return "--version: " + e.message;
  if (e.where == "service") return "SERVICE: " + e.message;
  return e.describe();
}

// The home's release cache over the world's store (store/StoreLocation.h).
struct Releases {
  std::unique_ptr<ramp::store::Store> records;
  std::unique_ptr<ReleaseStore> store;
};

ramp::Result<Releases> openReleases(const ramp::cli::Cli& cli) {
  auto home = ramp::resolveHome(cli.global.home);
  auto records = ramp::cli::openHomeStore(home);
  if (!records) return std::unexpected(records.error());
  Releases r;
  r.records = std::move(*records);
  r.store = std::make_unique<ReleaseStore>(home, *r.records, ramp::SystemClock::instance());
  return r;
}

int runCreate(ramp::cli::Cli& cli, const CreateArgs& a) {
  auto opened = openReleases(cli);
  if (!opened) return ramp::cli::reportError(opened.error().describe());
  ReleaseStore& store = *opened->store;
  // Check the names before anything runs (a build can take minutes).
  if (auto s = ReleaseStore::validateService(a.service); !s) return ramp::cli::reportError(describe(s.error()));
  if (auto s = ReleaseStore::validateVersion(a.version); !s) return ramp::cli::reportError(describe(s.error()));

  ramp::Result<ReleaseStore::Created> created;
  if (a.from) {
    if (a.file) return ramp::cli::reportError("give either --from DIR or -f CONFIG, not both");
    created = store.create(a.service, a.version, *a.from);
  } else {
    fs::path configPath = ramp::config::configPathFor(a.file);
    auto cfg = ramp::config::loadConfig(configPath);
    if (!cfg) {
      std::string msg = cfg.error().describe();
      return ramp::cli::reportError("no --from given and the configuration cannot be used:\n" + msg);
    }
    if (!cfg->service(a.service)) {
      std::string names;
      for (const auto& n : cfg->serviceNames()) names += (names.empty() ? "" : ", ") + n;
      return ramp::cli::reportError(fmt::format("unknown service \"{}\" in {} (services: {})", a.service,
                                                configPath.string(), names.empty() ? "none" : names));
    }
    auto envs = cfg->pipeline.empty() ? cfg->environmentNames() : cfg->pipeline;
    if (envs.empty()) return ramp::cli::reportError(configPath.string() + ": no environments defined");
    // A release is the same in every environment: read it as the first stage sees it.
    auto eff = ramp::config::render(*cfg, a.service, envs.front());
    if (!eff) return ramp::cli::reportError(eff.error().describe());
    const auto& src = eff->service.release;
    fs::path base = cfg->baseDir.empty() ? configPath.parent_path() : cfg->baseDir;
    if (base.empty()) base = ".";
    if (!src.from.empty()) {
      fs::path from = fs::path(src.from).is_absolute() ? fs::path(src.from) : base / src.from;
      created = store.create(a.service, a.version, from.lexically_normal());
    } else if (!src.build.empty()) {
      if (src.output.empty()) {
        return ramp::cli::reportError(fmt::format(
            "{}: services.{}.release.build is set but release.output is not", configPath.string(), a.service));
      }
      // Versions are immutable: an existing one is refused before a build
      // that may take minutes (with --from the content is compared instead).
      if (auto existing = store.get(a.service, a.version)) {
        return ramp::cli::reportError(fmt::format(
            "--version: {} {} already exists ({}, created {}); a version is never rebuilt, nothing was built. "
            "Choose a new --version (`ramp release list {}` shows the existing ones)",
            a.service, a.version, shortDigest(existing->digest),
            ramp::formatTime(ramp::fromUnixMillis(existing->createdAtMs)), a.service));
      }
      ramp::release::BuildCommand::Options opts;
      opts.stdoutToStderr = a.json;
      if (!a.json) {
        std::cout << fmt::format("building {} {}: {} (in {})\n", a.service, a.version, src.build, base.string());
        std::cout.flush();
      }
      created = store.createFromBuild(a.service, a.version, base, src.build, src.output, opts);
    } else {
      return ramp::cli::reportError(fmt::format(
          "{}: service {} has no release.from or release.build; give --from DIR", configPath.string(), a.service));
    }
  }
  if (!created) return ramp::cli::reportError(describe(created.error()));
  const Release& r = created->release;
  if (a.json) {
    auto j = r.toApiJson();
    j["created"] = created->created;
    printJson(j);
  } else if (created->created) {
    std::cout << fmt::format("created release {} {} {} ({} files, {})\n", r.service, r.version,
                             shortDigest(r.digest), r.files, humanBytes(r.bytes));
  } else {
    std::cout << fmt::format("release {} {} already exists with the same content {}; nothing changed\n",
                             r.service, r.version, shortDigest(r.digest));
  }
  return ramp::cli::kExitOk;
}

int runList(ramp::cli::Cli& cli, const ListArgs& a) {
  auto opened = openReleases(cli);
  if (!opened) return ramp::cli::reportError(opened.error().describe());
  ReleaseStore& store = *opened->store;
  auto all = store.list(a.service);
  if (!all) return ramp::cli::reportError(describe(all.error()));
  if (a.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : *all) arr.push_back(r.toApiJson());
    printJson(arr);
    return ramp::cli::kExitOk;
  }
  if (all->empty()) {
    std::cout << (a.service ? "no releases of " + *a.service : std::string("no releases")) << "\n";
    return ramp::cli::kExitOk;
  }
  std::cout << fmt::format("{:<16} {:<20} {:<20} {:<24} {:>6} {:>10}\n", "SERVICE", "VERSION", "DIGEST",
                           "CREATED", "FILES", "SIZE");
  for (const auto& r : *all) {
    std::cout << fmt::format("{:<16} {:<20} {:<20} {:<24} {:>6} {:>10}\n", r.service, r.version,
                             shortDigest(r.digest), ramp::formatTime(ramp::fromUnixMillis(r.createdAtMs)),
                             r.files, humanBytes(r.bytes));
  }
  return ramp::cli::kExitOk;
}

int runVerify(ramp::cli::Cli& cli, const VerifyArgs& a) {
  auto opened = openReleases(cli);
  if (!opened) return ramp::cli::reportError(opened.error().describe());
  ReleaseStore& store = *opened->store;
  auto r = store.get(a.service, a.version);
  if (!r) return ramp::cli::reportError(describe(r.error()));
  auto v = store.verify(*r);
  if (a.json) {
    auto j = r->toApiJson();
    j["verified"] = v.has_value();
    if (!v) j["error"] = v.error().message;
    printJson(j);
    return v ? ramp::cli::kExitOk : ramp::cli::kExitFailure;
  }
  if (!v) return ramp::cli::reportError(v.error().message);
  std::cout << fmt::format("release {} {} is intact: {}\n", r->service, r->version, r->digest);
  return ramp::cli::kExitOk;
}

int runPush(ramp::cli::Cli& cli, const PushArgs& a) {
  namespace aws = ramp::providers::aws;
  auto opened = openReleases(cli);
  if (!opened) return ramp::cli::reportError(opened.error().describe());
  ReleaseStore& store = *opened->store;
  if (auto s = ReleaseStore::validateService(a.service); !s) return ramp::cli::reportError(describe(s.error()));
  if (auto s = ReleaseStore::validateVersion(a.version); !s) return ramp::cli::reportError(describe(s.error()));
  auto r = store.get(a.service, a.version);
  if (!r) return ramp::cli::reportError(describe(r.error()));

  fs::path configPath = ramp::config::configPathFor(a.file);
  auto cfg = ramp::config::loadConfig(configPath);
  if (!cfg) return ramp::cli::reportError(cfg.error().describe());
  auto eff = ramp::config::render(*cfg, a.service, a.env);
  if (!eff) return ramp::cli::reportError(eff.error().describe());
  auto env = aws::AwsEnvironment::fromRendered(eff->json);
  if (!env) {
    return ramp::cli::reportError(fmt::format("--env {}: {} ({})", a.env, env.error().message,
                                              configPath.string()));
  }
  if (env->bundleBucket.empty()) {
    return ramp::cli::reportError(fmt::format(
        "--env {}: environments.{}.aws.bundle_bucket is not set in {}; nothing to push to", a.env, a.env,
        configPath.string()));
  }
  if (auto s = aws::S3Api::validateBucket(env->bundleBucket); !s) {
    return ramp::cli::reportError(
        fmt::format("{}: environments.{}.aws.bundle_bucket: {}", configPath.string(), a.env, s.error().message));
  }
  if (auto v = store.verify(*r); !v) return ramp::cli::reportError(v.error().message);

  ramp::release::BundleInfo info;
  auto bytes = ramp::release::ReleaseBundle::bytes(r->tree(), &info);
  if (!bytes) return ramp::cli::reportError("cannot bundle release: " + bytes.error().describe());
  std::string key = ramp::release::ReleaseBundle::key(r->service, info.sha256);
  std::string region = env->regions.front();

  aws::AwsClientOptions options;
  options.region = region;
  aws::AwsRegionClients clients(options);
  aws::S3Api s3(clients.forRegion(region));
  auto head = s3.headObject(env->bundleBucket, key);
  if (!head) return ramp::cli::reportError("s3://" + env->bundleBucket + "/" + key + ": " + head.error().describe());
  bool uploaded = false;
  if (head->exists) {
    if (head->size != info.bytes) {
      return ramp::cli::reportError(fmt::format(
          "s3://{}/{} holds {} bytes, not the bundle's {}: the content-addressed key was overwritten; remove it "
          "and push again",
          env->bundleBucket, key, head->size, info.bytes));
    }
  } else {
    auto put = s3.putObject(env->bundleBucket, key, std::move(*bytes), "application/x-tar");
    if (!put) return ramp::cli::reportError("s3://" + env->bundleBucket + "/" + key + ": " + put.error().describe());
    uploaded = true;
  }
  if (a.json) {
    printJson({{"service", r->service}, {"version", r->version}, {"env", a.env}, {"digest", r->digest},
               {"bucket", env->bundleBucket}, {"key", key}, {"region", region}, {"sha256", info.sha256},
               {"bytes", info.bytes}, {"uploaded", uploaded}});
  } else if (uploaded) {
    std::cout << fmt::format("pushed {} {} to s3://{}/{} (sha256 {}, {})\n", r->service, r->version,
                             env->bundleBucket, key, info.sha256, humanBytes(info.bytes));
  } else {
    std::cout << fmt::format("{} {} is already there: s3://{}/{} (sha256 {}); nothing uploaded\n", r->service,
                             r->version, env->bundleBucket, key, info.sha256);
  }
  return ramp::cli::kExitOk;
}

void addRelease(ramp::cli::Cli& cli) {
  auto* rel = cli.app.add_subcommand("release", "Create, list, verify and push immutable releases");
  rel->footer("Examples:\n  ramp release create crawler --version 1.4.0 --from ./build\n  ramp release list crawler --json");
  rel->require_subcommand(1);

  using namespace ramp::cli;  // the shared options (Options.h)
  const std::string configHelp = "Configuration (default ./ramp.yaml)";

  auto [create, c] = addCommand<CreateArgs>(
      cli, *rel, "create", "Store an immutable, content-addressed release of a service",
      "Examples:\n  ramp release create crawler --version 1.4.0 --from ./build\n"
      "  ramp release create crawler --version 1.4.0 --json",
      runCreate);
  addOption(create, kServiceArgument, c->service, "Service name (as in ramp.yaml)")->required();
  addOption(create, kReleaseVersionOption, c->version, "Release version, e.g. 1.4.0")->required();
  create->add_option("--from", c->from, "Directory holding the release (else the config's release section)");
  addOption(create, kConfigFileOption, c->file, configHelp);
  jsonFlag(create, c->json);

  auto [list, l] = addCommand<ListArgs>(cli, *rel, "list", "List stored releases",
                                        "Examples:\n  ramp release list\n  ramp release list crawler --json", runList);
  addOption(list, kServiceArgument, l->service, "Only this service");
  jsonFlag(list, l->json);

  auto [verify, v] = addCommand<VerifyArgs>(
      cli, *rel, "verify", "Recompute a release's digest; fail if it changed on disk",
      "Examples:\n  ramp release verify crawler --version 1.4.0\n  ramp release verify crawler --version 1.4.0 --json",
      runVerify);
  addOption(verify, kServiceArgument, v->service)->required();
  addOption(verify, kReleaseVersionOption, v->version)->required();
  jsonFlag(verify, v->json);

  auto [push, p] = addCommand<PushArgs>(
      cli, *rel, "push", "Upload a release's bundle to an aws environment's bundle bucket",
      "Examples:\n  ramp release push crawler --version 1.4.0 --env prod\n"
      "  ramp release push crawler --version 1.4.0 --env prod --json",
      runPush);
  addOption(push, kServiceArgument, p->service)->required();
  addOption(push, kReleaseVersionOption, p->version)->required();
  addOption(push, kEnvOption, p->env, "Environment (provider aws, with aws.bundle_bucket)")->required();
  addOption(push, kConfigFileOption, p->file, configHelp);
  jsonFlag(push, p->json);
}

}  // namespace

RAMP_COMMAND(20, addRelease)
