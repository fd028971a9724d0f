#include "config/YamlReader.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <exception>
#include <sstream>
#include <string>
#include <unordered_map>

namespace ramp::config {

namespace {

// A first pass over the parser's events that stops at the start of a second
// document. yaml-cpp 0.7 loops forever on some inputs (a stray ',' at block
// level) emitting empty documents without consuming input, so LoadAll must
// never be used; this pass finds multiple documents (or that loop) and the
// tree is then built from the first document only (YAML::Load).
struct SecondDocument {
  YAML::Mark mark;
  bool stuck = false;  // started where the previous one started: no progress
};

class DocumentCounter final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& m) override {
    if (docs_++ > 0) throw SecondDocument{m, m.pos == first_.pos};
    first_ = m;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  int docs_ = 0;
  YAML::Mark first_;
};

struct Conversion {
  uint32_t file;
  Diagnostics& diags;
  size_t nodes = 0;
  bool aborted = false;

  Position at(const YAML::Mark& m, const Position& fallback) const {
    if (m.is_null() || m.line < 0 || m.column < 0) return fallback;
    return Position{file, m.line + 1, m.column + 1};
  }

  // Converts `in` into `out`; false (after reporting) when the whole
  // conversion must stop.
  bool convert(const YAML::Node& in, ConfigNode& out, int depth, const Position& parent) {
    out.pos = at(in.Mark(), parent);
    if (++nodes > YamlReader::kMaxNodes) {
      diags.error(out.pos, "document has more than " + std::to_string(YamlReader::kMaxNodes) +
                               " nodes once aliases are expanded (alias bomb?); refusing it");
      return false;
    }
    if (depth > YamlReader::kMaxDepth) {
      diags.error(out.pos, "nesting deeper than " + std::to_string(YamlReader::kMaxDepth) +
                               " levels; refusing it");
      return false;
    }
    switch (in.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out.kind = ConfigNode::Kind::kNull;
        return true;
      case YAML::NodeType::Scalar:
        out.kind = ConfigNode::Kind::kScalar;
        out.scalar = in.Scalar();
        out.quoted = in.Tag() != "?";
        return true;
      case YAML::NodeType::Sequence: {
        out.kind = ConfigNode::Kind::kSequence;
        for (auto it = in.begin(); it != in.end(); ++it) {
          out.items.emplace_back();
          if (!convert(*it, out.items.back(), depth + 1, out.pos)) return false;
        }
        return true;
      }
      case YAML::NodeType::Map: {
        out.kind = ConfigNode::Kind::kMap;
        std::unordered_map<std::string, Position> seen;
        for (auto it = in.begin(); it != in.end(); ++it) {
          Position keyPos = at(it->first.Mark(), out.pos);
          if (++nodes > YamlReader::kMaxNodes) {
            diags.error(keyPos, "document has more than " + std::to_string(YamlReader::kMaxNodes) +
                                    " nodes once aliases are expanded (alias bomb?); refusing it");
            return false;
          }
          if (!it->first.IsScalar()) {
            diags.error(keyPos, "map keys must be plain names, not " +
                                    std::string(it->first.IsMap() ? "a map" : it->first.IsSequence() ? "a list" : "null"));
            continue;
          }
          std::string key = it->first.Scalar();
          if (auto s = seen.find(key); s != seen.end()) {
            diags.error(keyPos, "duplicate key '" + key + "' (first at line " +
                                    std::to_string(s->second.line) + ")");
            continue;
          }
          seen.emplace(key, keyPos);
          ConfigEntry e;
          e.key = std::move(key);
          e.keyPos = keyPos;
          out.entries.push_back(std::move(e));
          if (!convert(it->second, out.entries.back().value, depth + 1, keyPos)) return false;
        }
        return true;
      }
    }
    return true;
  }
};

}  // namespace

std::optional<ConfigNode> YamlReader::read(std::string_view text, uint32_t file, Diagnostics& diags) {
  auto at = [file](const YAML::Mark& m) {
    if (m.is_null() || m.line < 0 || m.column < 0) return Position{file, 1, 1};
    return Position{file, m.line + 1, m.column + 1};
  };
  YAML::Node doc;
  try {
    {
      std::istringstream in{std::string(text)};
      YAML::Parser parser(in);
      DocumentCounter counter;
      try {
        // Bounded: the counter throws at the second document start.
        for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
        }
      } catch (const SecondDocument& second) {
        diags.error(at(second.mark),
                    second.stuck ? "YAML syntax: unexpected character here (a stray ',' outside [ ] or { }?)"
                                 : "more than one YAML document in this file; put the whole configuration in one document");
        return std::nullopt;
      }
    }
    doc = YAML::Load(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    diags.error(at(e.mark), "YAML nesting too deep (more than " + std::to_string(e.depth()) + " levels); refusing it");
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    diags.error(at(e.mark), "YAML syntax: " + (e.msg.empty() ? std::string("invalid YAML") : e.msg));
    return std::nullopt;
  } catch (const std::exception& e) {
    diags.error(Position{file, 1, 1}, std::string("cannot parse YAML: ") + e.what());
    return std::nullopt;
  }
  try {
    Conversion c{file, diags};
    ConfigNode root;
    root.pos = Position{file, 1, 1};
    if (!doc.IsDefined() || doc.IsNull()) return root;
    if (!c.convert(doc, root, 0, Position{file, 1, 1})) return std::nullopt;
    return root;
  } catch (const std::exception& e) {
    diags.error(Position{file, 1, 1}, std::string("cannot read YAML: ") + e.what());
    return std::nullopt;
  }
}

}  // namespace ramp::config
