#include "config/Diagnostics.h"

#include <algorithm>
#include <tuple>

namespace ramp::config {

uint32_t Diagnostics::addFile(std::string name) {
  files_.push_back(std::move(name));
  return static_cast<uint32_t>(files_.size() - 1);
}

void Diagnostics::error(const Position& pos, std::string message) {
  // A hostile input could produce an error per node; a few hundred are
  // plenty for a person to act on.
  if (list_.size() >= 500) return;
  list_.push_back({pos, std::move(message), context_});
}

void Diagnostics::error(uint32_t file, int line, int col, std::string message) {
  error(Position{file, line, col}, std::move(message));
}

void Diagnostics::setContext(std::string context) {
  if (!context.empty() && std::find(contexts_.begin(), contexts_.end(), context) == contexts_.end()) {
    contexts_.push_back(context);
  }
  context_ = std::move(context);
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  // Merge the contexts of equal errors.
  std::vector<Entry> l;
  std::vector<std::vector<std::string>> ctx;
  for (const auto& e : list_) {
    size_t i = 0;
    for (; i < l.size(); ++i) {
      if (l[i].pos.file == e.pos.file && l[i].pos.line == e.pos.line && l[i].pos.col == e.pos.col &&
          l[i].message == e.message)
        break;
    }
    if (i == l.size()) {
      l.push_back(e);
      ctx.emplace_back();
    }
    if (e.context.empty()) {
      ctx[i].assign(1, "");  // also found outside any context: shown without
    } else if (!(ctx[i].size() == 1 && ctx[i][0].empty()) &&
               std::find(ctx[i].begin(), ctx[i].end(), e.context) == ctx[i].end()) {
      ctx[i].push_back(e.context);
    }
  }
  for (size_t i = 0; i < l.size(); ++i) {
    bool everywhere = ctx[i].empty() || (ctx[i].size() == 1 && ctx[i][0].empty()) || ctx[i].size() == contexts_.size();
    if (!everywhere) {
      std::string c;
      for (const auto& x : ctx[i]) c += (c.empty() ? "" : "; ") + x;
      l[i].message += " (in " + c + ")";
    }
  }
  std::stable_sort(l.begin(), l.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.pos.file, a.pos.line, a.pos.col) < std::tie(b.pos.file, b.pos.line, b.pos.col);
  });
  std::vector<Diagnostic> out;
  for (const auto& e : l) {
    Diagnostic d{e.pos.file < files_.size() ? files_[e.pos.file] : std::string("?"), e.pos.line,
                 e.pos.col, e.message};
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(std::move(d));
  }
  return out;
}

std::string Diagnostics::where(const Position& pos) const {
  std::string f = pos.file < files_.size() ? files_[pos.file] : std::string("?");
  return f + ":" + std::to_string(pos.line);
}

std::vector<Diagnostics::Positioned> Diagnostics::positioned() const {
  std::vector<Positioned> out;
  for (const auto& e : list_) out.push_back({e.pos, e.message});
  return out;
}

}  // namespace ramp::config
