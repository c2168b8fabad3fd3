// A small XML writer for Query API responses. Text and attribute values are
// escaped; names are the caller's constants.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace elfs::api {

std::string XmlEscape(std::string_view s);

class XmlWriter {
 public:
  XmlWriter() { out_ = R"(<?xml version="1.0" encoding="UTF-8"?>)" "\n"; }
  // <name xmlns="..."> (xmlns omitted when empty)
  XmlWriter& Open(std::string_view name, std::string_view xmlns = {});
  XmlWriter& Close();  // closes the innermost open element
  XmlWriter& Leaf(std::string_view name, std::string_view text);
  std::string Finish();  // closes everything still open

 private:
  std::string out_;
  std::vector<std::string> open_;
};

}  // namespace elfs::api
