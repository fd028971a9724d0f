#include "providers/aws/XmlDoc.h"

#include <tinyxml2.h>

#include <cstring>

namespace ramp::providers::aws {
namespace {

std::string_view localName(const char* n) {
  std::string_view s(n ? n : "");
  auto colon = s.find(':');
  return colon == std::string_view::npos ? s : s.substr(colon + 1);
}

}  // namespace

std::string XmlNode::name() const { return e_ ? std::string(localName(e_->Name())) : std::string(); }

std::string XmlNode::text() const {
  if (!e_) return {};
  const char* t = e_->GetText();
  return t ? t : "";
}

XmlNode XmlNode::child(std::string_view name) const {
  if (!e_) return {};
  for (auto* c = e_->FirstChildElement(); c; c = c->NextSiblingElement()) {
    if (localName(c->Name()) == name) return XmlNode(c);
  }
  return {};
}

std::vector<XmlNode> XmlNode::children(std::string_view name) const {
  std::vector<XmlNode> out;
  if (!e_) return out;
  for (auto* c = e_->FirstChildElement(); c; c = c->NextSiblingElement()) {
    if (name.empty() || localName(c->Name()) == name) out.emplace_back(c);
  }
  return out;
}

XmlNode XmlNode::path(std::string_view p) const {
  XmlNode n = *this;
  size_t start = 0;
  while (start <= p.size() && n.valid()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    if (end > start) n = n.child(p.substr(start, end - start));
    start = end + 1;
  }
  return n;
}

XmlNode XmlNode::find(std::string_view name) const {
  if (!e_) return {};
  for (auto* c = e_->FirstChildElement(); c; c = c->NextSiblingElement()) {
    if (localName(c->Name()) == name) return XmlNode(c);
    if (auto d = XmlNode(c).find(name); d.valid()) return d;
  }
  return {};
}

Result<XmlDoc> XmlDoc::parse(std::string_view text, std::string_view where) {
  XmlDoc d;
  d.doc_ = std::make_shared<tinyxml2::XMLDocument>();
  if (d.doc_->Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS) {
    return invalid(std::string("malformed XML at line ") + std::to_string(d.doc_->ErrorLineNum()) + ": " +
                       d.doc_->ErrorStr(),
                   std::string(where));
  }
  if (!d.doc_->RootElement()) return invalid("XML document has no root element", std::string(where));
  return d;
}

XmlNode XmlDoc::root() const { return doc_ ? XmlNode(doc_->RootElement()) : XmlNode(); }

}  // namespace ramp::providers::aws
