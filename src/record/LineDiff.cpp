#include "record/LineDiff.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include <fmt/format.h>

namespace ramp::record {

namespace {

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string::npos) j = text.size();
    out.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// One edit script line: ' ' kept, '-' removed, '+' added.
struct Edit {
  char op;
  size_t a, b;  // line indexes (of a for ' '/'-', of b for '+')
};

std::vector<Edit> editScript(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const size_t n = a.size(), m = b.size();
  // lcs[i][j] = LCS length of a[i..] and b[j..]
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::vector<Edit> out;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      out.push_back({' ', i++, j++});
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out.push_back({'+', i, j++});
    } else {
      out.push_back({'-', i++, j});
    }
  }
  return out;
}

std::string fileDiff(const std::string& name, const std::string& ta, const std::string& tb, bool hasA, bool hasB,
                     const std::string& la, const std::string& lb) {
  std::string out = fmt::format("--- {}\n+++ {}\n", hasA ? la + "/" + name : std::string("/dev/null"),
                                hasB ? lb + "/" + name : std::string("/dev/null"));
  auto a = splitLines(ta), b = splitLines(tb);
  if (a.size() * b.size() > 16'000'000) return out + "(file changed; too large to show line by line)\n";
  auto edits = editScript(a, b);
  constexpr size_t kContext = 3;
  size_t k = 0;
  while (k < edits.size()) {
    if (edits[k].op == ' ') {
      ++k;
      continue;
    }
    size_t start = k >= kContext ? k - kContext : 0;
    size_t end = k;
    // Extend while the next change is within 2 * context of this one.
    for (size_t x = k; x < edits.size(); ++x) {
      if (edits[x].op != ' ') end = x;
      else if (x - end > 2 * kContext) break;
    }
    size_t stop = std::min(edits.size(), end + kContext + 1);
    size_t aStart = edits[start].a, bStart = edits[start].b, aLen = 0, bLen = 0;
    std::string body;
    for (size_t x = start; x < stop; ++x) {
      const auto& e = edits[x];
      if (e.op == ' ') {
        body += " " + a[e.a] + "\n";
        ++aLen;
        ++bLen;
      } else if (e.op == '-') {
        body += "-" + a[e.a] + "\n";
        ++aLen;
      } else {
        body += "+" + b[e.b] + "\n";
        ++bLen;
      }
    }
    out += fmt::format("@@ -{},{} +{},{} @@\n", aLen ? aStart + 1 : aStart, aLen, bLen ? bStart + 1 : bStart, bLen);
    out += body;
    k = stop;
  }
  return out;
}

}  // namespace

std::string unifiedDiff(const ConfigBundle& a, const ConfigBundle& b, const std::string& labelA,
                        const std::string& labelB) {
  std::map<std::string, std::pair<const std::string*, const std::string*>> files;
  for (const auto& f : a.files) files[f.name].first = &f.text;
  for (const auto& f : b.files) files[f.name].second = &f.text;
  std::string out;
  static const std::string kEmpty;
  for (const auto& [name, texts] : files) {
    const std::string& ta = texts.first ? *texts.first : kEmpty;
    const std::string& tb = texts.second ? *texts.second : kEmpty;
    if (texts.first && texts.second && ta == tb) continue;
    out += fileDiff(name, ta, tb, texts.first != nullptr, texts.second != nullptr, labelA, labelB);
  }
  return out;
}

}  // namespace ramp::record
