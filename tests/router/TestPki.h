// TestPki.h — a throwaway certificate authority for the router's TLS
// tests: an EC P-256 CA and leaf certificates it signs (SAN DNS names and
// 127.0.0.1), written as PEM files; and a verifying TLS client context.
// Made with the OpenSSL API so the tests need no openssl binary.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ramp::router::test {

class TestPki {
 public:
  TestPki() {
    caKey_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    ca_ = make("ramp test CA", caKey_, nullptr, nullptr, {}, true);
  }
  ~TestPki() {
    X509_free(ca_);
    EVP_PKEY_free(caKey_);
  }
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  // A leaf for `names` (and IP 127.0.0.1) written to dir/stem.crt and dir/stem.key.
  void issue(const std::filesystem::path& dir, const std::string& stem, const std::vector<std::string>& names) {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    X509* cert = make(names.front(), key, ca_, caKey_, names, false);
    write(dir / (stem + ".crt"), [&](BIO* b) { PEM_write_bio_X509(b, cert); });
    write(dir / (stem + ".key"), [&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  // A client context that trusts only this CA and verifies the peer.
  SSL_CTX* clientContext() const {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca_);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    return ctx;
  }

 private:
  template <class F>
  static void write(const std::filesystem::path& p, F f) {
    BIO* b = BIO_new_file(p.c_str(), "w");
    if (!b) throw std::runtime_error("cannot write " + p.string());
    f(b);
    BIO_free(b);
  }
  static X509* make(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuerKey,
                    const std::vector<std::string>& names, bool ca) {
    static long serial = 1;
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
    X509_set_pubkey(x, key);
    X509_NAME* n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, nullptr, nullptr, 0);
    auto add = [&](int nid, const std::string& value) {
      X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
      X509_add_ext(x, e, -1);
      X509_EXTENSION_free(e);
    };
    if (ca) {
      add(NID_basic_constraints, "critical,CA:TRUE");
      add(NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
      std::string san;
      for (const auto& d : names) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
      san += ",IP:127.0.0.1";
      add(NID_subject_alt_name, san);
      add(NID_basic_constraints, "CA:FALSE");
    }
    X509_sign(x, issuerKey ? issuerKey : key, EVP_sha256());
    return x;
  }

  EVP_PKEY* caKey_ = nullptr;
  X509* ca_ = nullptr;
};

}  // namespace ramp::router::test
