// TlsCertificates.h — an entry point's certificates, loaded into OpenSSL
// server contexts (TLS 1.2 and 1.3, ALPN http/1.1 only).
//
// load() reads every cert/key pair (PEM chain and key files), checks that
// each key matches its certificate, and collects each certificate's DNS
// names (subjectAltName, else the common name). A handshake starts on the
// first certificate's context; its SNI callback switches to the first
// certificate whose names match the requested host (exact, or `*.` one
// label deep; case-insensitive), else keeps the first.
//
// Reload without dropping connections: a new TlsCertificates is built and
// published for new handshakes; connections keep the one they started with
// (sessions hold a shared_ptr, and each SSL holds its SSL_CTX). changed()
// compares the files' size and mtime with what was loaded (RouteState
// polls it and reloads; SIGHUP reloads at once). Immutable once loaded:
// shared by all io threads.
//
// TLS 1.3 suites: AES-128-GCM first (cheaper key schedule), then AES-256-GCM
// and ChaCha20. Resumption keeps OpenSSL's defaults on purpose: two
// stateless TLS 1.3 tickets per full handshake (as HAProxy sends) and the
// internal cache for TLS 1.2 session IDs. Measured (session 9, callgrind,
// wrk without resumption): no tickets at all saved 0.7% of a handshake's
// instructions, turning the internal cache off nothing measurable — the
// OPENSSL_LH_doall_arg seen in profiles is OpenSSL 3.0's name map
// (EVP_KEYMGMT_names_do_all), not the session cache.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/Result.h"
#include "router/EntrypointSettings.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace ramp::router {

class TlsCertificates {
 public:
  // `where` names the settings in errors ("tls.certificates[1].key_file").
  static Result<std::shared_ptr<TlsCertificates>> load(const TlsSettings& settings, const std::string& where);
  ~TlsCertificates();
  TlsCertificates(const TlsCertificates&) = delete;
  TlsCertificates& operator=(const TlsCertificates&) = delete;

  // A new server-side SSL for one connection (its SNI callback may switch context).
  SSL* newConnection() const;
  // True when a file's size or modification time differs from when it was loaded.
  bool changed() const;
  // DNS names of each certificate, in order (for the admin API).
  std::vector<std::vector<std::string>> names() const;
  const TlsSettings& settings() const { return settings_; }

 private:
  struct Entry {
    SSL_CTX* ctx = nullptr;
    std::vector<std::string> dnsNames;
  };
  struct FileStamp {
    std::filesystem::path path;
    uintmax_t size = 0;
    std::filesystem::file_time_type mtime{};
  };
  TlsCertificates() = default;
  static int onServerName(SSL* ssl, int* alert, void* arg);

  TlsSettings settings_;
  std::vector<Entry> entries_;
  std::vector<FileStamp> stamps_;
};

}  // namespace ramp::router
