#include "store/PostgresConnection.h"

#include <libpq-fe.h>

#include <fmt/format.h>

#include "store/StoreUrl.h"

namespace ramp::store {

namespace {

constexpr Oid kByteaOid = 17;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

void ignoreNotice(void*, const char*) {}

std::string firstLine(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

PGconn* connect(const std::string& url) {
  // connect_timeout first: a value in the URL (expanded from dbname) wins.
  const char* keys[] = {"connect_timeout", "dbname", "client_encoding", nullptr};
  const char* values[] = {"10", url.c_str(), "UTF8", nullptr};
  return PQconnectdbParams(keys, values, /*expand_dbname=*/1);
}

const char* kSessionSetup =
    "SET lock_timeout = '10s'; SET statement_timeout = '60s'; "
    "SET client_min_messages = warning; SET TIME ZONE 'UTC'";

// bytea in the hex output format ("\x0a1b..."), the default since 9.0.
std::string decodeBytea(const char* p, int n) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 0;
  };
  std::string out;
  if (n >= 2 && p[0] == '\\' && p[1] == 'x') {
    out.reserve(static_cast<size_t>(n - 2) / 2);
    for (int i = 2; i + 1 < n; i += 2) out.push_back(static_cast<char>(nibble(p[i]) * 16 + nibble(p[i + 1])));
    return out;
  }
  size_t len = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(p), &len);
  if (raw) {
    out.assign(reinterpret_cast<char*>(raw), len);
    PQfreemem(raw);
  }
  return out;
}

}  // namespace

PostgresConnection::PostgresConnection(pg_conn* conn, std::string shownUrl, Access access)
    : conn_(conn), where_("store " + std::move(shownUrl)), access_(access) {}

Status PostgresConnection::setUpSession() {
  PQsetNoticeProcessor(conn_, ignoreNotice, nullptr);
  std::string setup = kSessionSetup;
  if (access_ == Access::kReadOnly) setup += "; SET default_transaction_read_only = on";
  return script(setup, "setting up the session");
}

PostgresConnection::~PostgresConnection() { PQfinish(conn_); }

Result<std::unique_ptr<PostgresConnection>> PostgresConnection::open(const std::string& url, Access access) {
  std::string shown = redactStoreUrl(url);
  PGconn* conn = connect(url);
  if (!conn) return unavailable("cannot allocate a PostgreSQL connection", "store " + shown);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = firstLine(PQerrorMessage(conn));
    PQfinish(conn);
    return unavailable(fmt::format("cannot connect to PostgreSQL: {}", msg), "store " + shown);
  }
  std::unique_ptr<PostgresConnection> c(new PostgresConnection(conn, shown, access));
  if (auto st = c->setUpSession(); !st) return std::unexpected(st.error());
  return c;
}

Status PostgresConnection::ready() {
  if (PQstatus(conn_) != CONNECTION_OK) {
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      return unavailable(fmt::format("PostgreSQL unreachable: {}", firstLine(PQerrorMessage(conn_))), where_);
    }
    if (auto st = setUpSession(); !st) return st;
  }
  if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PgResult r(PQexec(conn_, "ROLLBACK"));
  return ok();
}

Error PostgresConnection::pgError(const pg_result* res, std::string_view what) const {
  std::string msg = firstLine(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
  if (msg.empty()) msg = firstLine(PQerrorMessage(conn_));
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  ErrorCode code = ErrorCode::kInternal;
  // No SQLSTATE: the error is libpq's own, not the server's (every server
  // error carries one) — the connection failed, e.g. "server closed the
  // connection unexpectedly" while PQstatus still said CONNECTION_OK (the
  // chaos soak's immediate database restarts failed two deployments so).
  if (!res || sqlstate.empty() || PQstatus(conn_) != CONNECTION_OK || sqlstate.starts_with("08") ||
      sqlstate.starts_with("57P")) {
    code = ErrorCode::kUnavailable;
  } else if (sqlstate == "23505") {
    code = ErrorCode::kConflict;
  } else if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" || sqlstate == "57014") {
    code = ErrorCode::kUnavailable;  // serialization failure, deadlock, lock/statement timeout
  } else if (sqlstate.starts_with("22")) {
    code = ErrorCode::kInvalid;  // data exception: e.g. a NUL byte in a text value
  }
  return Error{code, fmt::format("{}: {}", what, msg), where_};
}

std::string PostgresConnection::numberedPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote) {
      out.push_back(c);
      if (c == quote) quote = 0;  // a doubled quote re-opens on the next character
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out.push_back(c);
      continue;
    }
    if (c == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out.push_back('$');
      continue;
    }
    out.push_back(c);
  }
  return out;
}

Result<SqlResult> PostgresConnection::run(std::string_view sql, const std::vector<SqlValue>& params) {
  std::string text = numberedPlaceholders(sql);
  std::vector<std::string> owned(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  std::vector<int> lengths(params.size(), 0);
  std::vector<int> formats(params.size(), 0);
  std::vector<Oid> types(params.size(), 0);
  for (size_t i = 0; i < params.size(); ++i) {
    const SqlValue& v = params[i];
    if (auto* n = std::get_if<int64_t>(&v)) {
      owned[i] = std::to_string(*n);
    } else if (auto* t = std::get_if<std::string>(&v)) {
      values[i] = t->c_str();
      lengths[i] = static_cast<int>(t->size());
      continue;
    } else if (auto* b = std::get_if<SqlBlob>(&v)) {
      values[i] = b->bytes.data();
      lengths[i] = static_cast<int>(b->bytes.size());
      formats[i] = 1;
      types[i] = kByteaOid;
      continue;
    } else {
      continue;  // NULL
    }
    values[i] = owned[i].c_str();
    lengths[i] = static_cast<int>(owned[i].size());
  }
  PgResult res(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), types.data(), values.data(),
                            lengths.data(), formats.data(), 0));
  ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return std::unexpected(pgError(res.get(), "query failed"));
  }
  SqlResult out;
  const int rows = PQntuples(res.get());
  const int cols = PQnfields(res.get());
  out.rows.reserve(static_cast<size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    std::vector<SqlRow::Cell> cells;
    cells.reserve(static_cast<size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(res.get(), r, c)) {
        cells.emplace_back(std::monostate{});
        continue;
      }
      const char* p = PQgetvalue(res.get(), r, c);
      int n = PQgetlength(res.get(), r, c);
      if (PQftype(res.get(), c) == kByteaOid) {
        cells.emplace_back(decodeBytea(p, n));
      } else {
        cells.emplace_back(std::string(p, static_cast<size_t>(n)));
      }
    }
    out.rows.emplace_back(std::move(cells));
  }
  const char* affected = PQcmdTuples(res.get());
  out.changes = affected && *affected ? std::stoll(affected) : 0;
  return out;
}

Status PostgresConnection::script(const std::string& sql, std::string_view what) {
  PgResult res(PQexec(conn_, sql.c_str()));
  ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return std::unexpected(pgError(res.get(), what));
  return ok();
}

}  // namespace ramp::store
