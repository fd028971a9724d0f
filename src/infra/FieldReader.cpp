#include "infra/FieldReader.h"

namespace ramp::infra {

using nlohmann::json;

FieldReader::FieldReader(const json& j, std::string where) : j_(j), where_(std::move(where)) {
  if (!j_.is_object()) failAt("expected an object", where_);
}

std::string FieldReader::at(const std::string& key) const { return where_.empty() ? key : where_ + "." + key; }

void FieldReader::failAt(std::string message, std::string where) {
  if (!error_) error_ = Error{ErrorCode::kInvalid, std::move(message), std::move(where)};
}

void FieldReader::fail(const std::string& message, const std::string& key) { failAt(message, at(key)); }

const json* FieldReader::field(const std::string& key) const {
  if (error_) return nullptr;
  auto it = j_.find(key);
  return it == j_.end() ? nullptr : &*it;
}

std::string FieldReader::str(const std::string& key) {
  const json* v = field(key);
  if (!v || v->is_null()) {
    failAt("missing (a string)", at(key));
    return {};
  }
  return optionalStr(key);
}

std::string FieldReader::optionalStr(const std::string& key) {
  const json* v = field(key);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) {
    failAt("expected a string, got " + std::string(v->type_name()), at(key));
    return {};
  }
  return v->get<std::string>();
}

int64_t FieldReader::integer(const std::string& key) {
  const json* v = field(key);
  if (!v || !v->is_number_integer()) {
    failAt("expected a whole number", at(key));
    return 0;
  }
  return v->get<int64_t>();
}

bool FieldReader::boolean(const std::string& key) {
  const json* v = field(key);
  if (!v || !v->is_boolean()) {
    failAt("expected true or false", at(key));
    return false;
  }
  return v->get<bool>();
}

std::vector<std::string> FieldReader::strings(const std::string& key) {
  const json* v = field(key);
  if (!v || !v->is_array()) {
    failAt("expected a list of strings", at(key));
    return {};
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      failAt("expected a string", at(key) + "[" + std::to_string(i) + "]");
      return {};
    }
    out.push_back((*v)[i].get<std::string>());
  }
  return out;
}

json FieldReader::object(const std::string& key) {
  const json* v = field(key);
  if (!v || !v->is_object()) {
    failAt("expected an object", at(key));
    return json::object();
  }
  return *v;
}

}  // namespace ramp::infra
