// XmlDoc.h — a parsed AWS XML response (tinyxml2), read by element names.
//
// AWS XML answers are read by path of element names, ignoring namespaces:
// doc.root().child("CreateTargetGroupResult").child("TargetGroups")
//    .children("member"). A missing element is an empty XmlNode (valid() ==
// false, text() == ""), so reading optional fields needs no checks.
// XmlDoc is cheap to copy (shared ownership of the document).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/Result.h"

namespace tinyxml2 {
class XMLDocument;
class XMLElement;
}  // namespace tinyxml2

namespace ramp::providers::aws {

class XmlNode {
 public:
  XmlNode() = default;
  explicit XmlNode(const tinyxml2::XMLElement* e) : e_(e) {}
  bool valid() const { return e_ != nullptr; }
  std::string name() const;
  std::string text() const;
  // First child element with this (local) name.
  XmlNode child(std::string_view name) const;
  // All child elements with this name ("" = all children).
  std::vector<XmlNode> children(std::string_view name = {}) const;
  // Follows a "A/B/C" path of child names.
  XmlNode path(std::string_view path) const;
  // First descendant (depth first) with this name.
  XmlNode find(std::string_view name) const;
  // Text of child `name`, "" if absent.
  std::string get(std::string_view name) const { return child(name).text(); }

 private:
  const tinyxml2::XMLElement* e_ = nullptr;
};

class XmlDoc {
 public:
  static Result<XmlDoc> parse(std::string_view text, std::string_view where = "xml");
  XmlNode root() const;

 private:
  std::shared_ptr<tinyxml2::XMLDocument> doc_;
};

}  // namespace ramp::providers::aws
