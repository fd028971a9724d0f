#include "router/TlsCertificates.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstring>

#include "router/HttpSyntax.h"

namespace ramp::router {

namespace fs = std::filesystem;

namespace {

std::string opensslError() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

std::vector<std::string> dnsNamesOf(SSL_CTX* ctx) {
  std::vector<std::string> out;
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (!cert) return out;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
      if (n->type != GEN_DNS) continue;
      const unsigned char* p = ASN1_STRING_get0_data(n->d.dNSName);
      out.emplace_back(reinterpret_cast<const char*>(p), static_cast<size_t>(ASN1_STRING_length(n->d.dNSName)));
    }
    GENERAL_NAMES_free(sans);
  }
  if (out.empty()) {
    char cn[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0) out.emplace_back(cn);
  }
  return out;
}

bool nameMatches(std::string_view pattern, std::string_view host) {
  if (pattern.starts_with("*.")) {
    size_t dot = host.find('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    return http::iequals(pattern.substr(1), host.substr(dot));
  }
  return http::iequals(pattern, host);
}

constexpr const char* kTls13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

int selectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
               void*) {
  // Only HTTP/1.1 is spoken: pick it if offered, else no ALPN at all.
  for (unsigned int i = 0; i < inlen;) {
    unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == 8 && std::memcmp(in + i + 1, "http/1.1", 8) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

Result<std::shared_ptr<TlsCertificates>> TlsCertificates::load(const TlsSettings& settings, const std::string& where) {
  std::shared_ptr<TlsCertificates> t(new TlsCertificates());
  t->settings_ = settings;
  if (settings.certificates.empty()) return invalid("at least one certificate is needed", where + ".certificates");
  for (size_t i = 0; i < settings.certificates.size(); ++i) {
    const auto& files = settings.certificates[i];
    std::string w = where + ".certificates[" + std::to_string(i) + "]";
    for (const auto& [path, key] : {std::pair{files.certFile, "cert_file"}, std::pair{files.keyFile, "key_file"}}) {
      std::error_code ec;
      FileStamp s{path, fs::file_size(path, ec), {}};
      if (!ec) s.mtime = fs::last_write_time(path, ec);
      if (ec) return invalid("cannot read " + path + ": " + ec.message(), w + "." + key);
      t->stamps_.push_back(std::move(s));
    }
    ERR_clear_error();
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return internal("SSL_CTX_new: " + opensslError());
    t->entries_.push_back(Entry{ctx, {}});
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Read ahead: a record's header and body in one read() instead of two
    // (bytes read ahead count in SSL_has_pending, which the waits check).
    SSL_CTX_set_read_ahead(ctx, 1);
    static const unsigned char kSessionContext[] = "ramp-router";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    SSL_CTX_set_alpn_select_cb(ctx, selectAlpn, nullptr);
    // TLS 1.3 suites in Mozilla's recommended order, AES-128-GCM first
    // (OpenSSL's default puts AES-256-GCM-SHA384 first; with the server's
    // preference, that is what every client got). Its SHA-256 key schedule
    // is cheaper than SHA-384's: 3.6% fewer instructions per full handshake
    // in the router (callgrind, counted as bench/router/tls_cost does), more
    // in time (SHA-256 has CPU instructions, SHA-512 not). All three stay
    // offered.
    if (SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1) return internal("TLS 1.3 suites: " + opensslError());
    if (SSL_CTX_use_certificate_chain_file(ctx, files.certFile.c_str()) != 1)
      return invalid("not a PEM certificate chain (" + opensslError() + ")", w + ".cert_file");
    if (SSL_CTX_use_PrivateKey_file(ctx, files.keyFile.c_str(), SSL_FILETYPE_PEM) != 1)
      return invalid("not a PEM private key (" + opensslError() + ")", w + ".key_file");
    if (SSL_CTX_check_private_key(ctx) != 1)
      return invalid("the key does not match the certificate (" + opensslError() + ")", w + ".key_file");
    t->entries_.back().dnsNames = dnsNamesOf(ctx);
  }
  if (t->entries_.size() > 1) {
    SSL_CTX_set_tlsext_servername_callback(t->entries_.front().ctx, onServerName);
    SSL_CTX_set_tlsext_servername_arg(t->entries_.front().ctx, t.get());
  }
  return t;
}

TlsCertificates::~TlsCertificates() {
  for (auto& e : entries_) SSL_CTX_free(e.ctx);
}

int TlsCertificates::onServerName(SSL* ssl, int*, void* arg) {
  auto* self = static_cast<TlsCertificates*>(arg);
  const char* host = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!host) return SSL_TLSEXT_ERR_OK;
  for (const auto& e : self->entries_) {
    for (const auto& n : e.dnsNames) {
      if (nameMatches(n, host)) {
        if (e.ctx != self->entries_.front().ctx) SSL_set_SSL_CTX(ssl, e.ctx);
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_OK;  // unknown name: the default certificate
}

SSL* TlsCertificates::newConnection() const { return SSL_new(entries_.front().ctx); }

bool TlsCertificates::changed() const {
  for (const auto& s : stamps_) {
    std::error_code ec;
    auto size = fs::file_size(s.path, ec);
    if (ec) return false;  // a file being replaced: look again later
    auto mtime = fs::last_write_time(s.path, ec);
    if (ec) return false;
    if (size != s.size || mtime != s.mtime) return true;
  }
  return false;
}

std::vector<std::vector<std::string>> TlsCertificates::names() const {
  std::vector<std::vector<std::string>> out;
  for (const auto& e : entries_) out.push_back(e.dnsNames);
  return out;
}

}  // namespace ramp::router
