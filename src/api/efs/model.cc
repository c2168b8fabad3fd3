#include "api/efs/model.h"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

namespace elfs::api::efs {
namespace {

// Statuses from the model's error shapes ("error": {"httpStatusCode": N}),
// plus the two the service front end adds.
const std::vector<std::pair<std::string_view, int>> kErrors = {
    {"AccessPointAlreadyExists", 409},
    {"AccessPointLimitExceeded", 403},
    {"AccessPointNotFound", 404},
    {"AvailabilityZonesMismatch", 400},
    {"BadRequest", 400},
    {"DependencyTimeout", 504},
    {"FileSystemAlreadyExists", 409},
    {"FileSystemInUse", 409},
    {"FileSystemLimitExceeded", 403},
    {"FileSystemNotFound", 404},
    {"IncorrectFileSystemLifeCycleState", 409},
    {"IncorrectMountTargetState", 409},
    {"InsufficientThroughputCapacity", 503},
    {"InternalServerError", 500},
    {"InvalidPolicyException", 400},
    {"IpAddressInUse", 409},
    {"MountTargetConflict", 409},
    {"MountTargetNotFound", 404},
    {"NetworkInterfaceLimitExceeded", 409},
    {"NoFreeAddressesInSubnet", 409},
    {"PolicyNotFound", 404},
    {"ReplicationNotFound", 404},
    {"SecurityGroupLimitExceeded", 400},
    {"SecurityGroupNotFound", 400},
    {"SubnetNotFound", 400},
    {"ThrottlingException", 429},
    {"ThroughputLimitExceeded", 400},
    {"TooManyRequests", 429},
    {"UnsupportedAvailabilityZone", 400},
    {"ValidationException", 400},
    // Not in the model: sent by the front end.
    {"AccessDeniedException", 403},
    {"UnknownOperationException", 404},
};

bool Search(std::string_view s, const std::regex& re) {
  return std::regex_search(s.begin(), s.end(), re);
}

#define ELFS_PATTERN(fn, re_text)                      \
  bool fn(std::string_view s) {                        \
    static const std::regex re(re_text, std::regex::ECMAScript | std::regex::optimize); \
    return Search(s, re);                              \
  }

// The model's patterns, rewritten only where std::regex's ECMAScript grammar
// needs it (a '-' moved to the front of a class).
ELFS_PATTERN(IsFileSystemId,
             R"(^(arn:aws[-a-z]*:elasticfilesystem:[-0-9a-z:]+:file-system/fs-[0-9a-f]{8,40}|fs-[0-9a-f]{8,40})$)")
ELFS_PATTERN(IsAccessPointId,
             R"(^(arn:aws[-a-z]*:elasticfilesystem:[-0-9a-z:]+:access-point/fsap-[0-9a-f]{8,40}|fsap-[0-9a-f]{8,40})$)")
ELFS_PATTERN(IsResourceId,
             R"(^(arn:aws[-a-z]*:elasticfilesystem:[-0-9a-z:]+:(access-point/fsap|file-system/fs)-[0-9a-f]{8,40}|fs(ap)?-[0-9a-f]{8,40})$)")
ELFS_PATTERN(IsMountTargetId, R"(^fsmt-[0-9a-f]{8,40}$)")
ELFS_PATTERN(IsSubnetId, R"(^subnet-[0-9a-f]{8,40}$)")
ELFS_PATTERN(IsSecurityGroup, R"(^sg-[0-9a-f]{8,40})")
ELFS_PATTERN(IsIpAddress, R"(^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$)")
ELFS_PATTERN(IsKmsKeyId,
             R"(^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[a-zA-Z0-9/_-]+|(arn:aws[-a-z]*:kms:[a-z0-9-]+:\d{12}:((key/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|(key/mrk-[0-9a-f]{32})|(alias/[a-zA-Z0-9/_-]+))))$)")
ELFS_PATTERN(IsPermissions, R"(^[0-7]{3,4}$)")
ELFS_PATTERN(IsRegionName, R"(^[a-z]{2}-((iso[a-z]{0,1}-)|(gov-)){0,1}[a-z]+-{0,1}[0-9]{0,1}$)")
#undef ELFS_PATTERN

// Decodes one UTF-8 code point at s[i], advancing i; -1 when malformed.
int32_t NextCodePoint(std::string_view s, size_t& i) {
  auto b = static_cast<uint8_t>(s[i++]);
  if (b < 0x80) return b;
  int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : -1;
  if (extra < 0 || b >= 0xF8) return -1;
  int32_t cp = b & (0x3F >> extra);
  for (int k = 0; k < extra; ++k) {
    if (i >= s.size() || (static_cast<uint8_t>(s[i]) & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (static_cast<uint8_t>(s[i++]) & 0x3F);
  }
  return cp;
}

// ".+": some character that is not a line terminator.
bool IsNonBlankLine(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    int32_t cp = NextCodePoint(s, i);
    if (cp != '\n' && cp != '\r' && cp != 0x2028 && cp != 0x2029) return true;
  }
  return false;
}

bool IsAnything(std::string_view s) { return !s.empty(); }

// Path: "^(\/|(\/(?!\.)+[^$#<>;`|&?{}^*/\n]+){1,4})$" — "/" or one to four
// components, none empty, none starting with '.', none holding the listed
// characters.
bool IsAccessPointPath(std::string_view s) {
  if (s == "/") return true;
  if (s.empty() || s[0] != '/') return false;
  int components = 0;
  size_t i = 0;
  while (i < s.size()) {
    ++i;  // the '/'
    size_t start = i;
    while (i < s.size() && s[i] != '/') {
      if (std::string_view("$#<>;`|&?{}^*\n").find(s[i]) != std::string_view::npos) return false;
      ++i;
    }
    if (i == start || s[start] == '.') return false;
    if (++components > 4) return false;
  }
  return true;
}

// \p{L}, \p{Z} and \p{N} without a Unicode database: ASCII exactly; above
// ASCII every code point except controls, surrogates, noncharacters and the
// General Punctuation block's punctuation (U+2010–U+2027, U+2030–U+205E).
bool IsTagChar(int32_t cp) {
  if (cp < 0) return false;
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
           std::string_view(" _.:/=+-@").find(static_cast<char>(cp)) != std::string_view::npos;
  }
  if (cp < 0xA0) return false;
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  if ((cp & 0xFFFE) == 0xFFFE) return false;
  if ((cp >= 0x2010 && cp <= 0x2027) || (cp >= 0x2030 && cp <= 0x205E)) return false;
  return cp <= 0x10FFFF;
}

bool AllTagChars(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (!IsTagChar(NextCodePoint(s, i))) return false;
  }
  return true;
}

bool IsTagKey(std::string_view s) {
  if (s.size() >= 4) {
    std::string head(s.substr(0, 4));
    std::transform(head.begin(), head.end(), head.begin(), ::tolower);
    if (head == "aws:") return false;
  }
  return !s.empty() && AllTagChars(s);
}

bool IsTagValue(std::string_view s) { return AllTagChars(s); }

std::string Shorten(std::string_view v) {
  constexpr size_t kMax = 100;
  if (v.size() <= kMax) return std::string(v);
  size_t cut = kMax;
  while (cut > 0 && (static_cast<uint8_t>(v[cut]) & 0xC0) == 0x80) --cut;
  return std::string(v.substr(0, cut)) + "...";
}

std::string JoinEnum(const std::vector<std::string_view>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += values[i];
  }
  return out + "]";
}

}  // namespace

int StatusOfError(std::string_view code) {
  for (const auto& [c, status] : kErrors) {
    if (c == code) return status;
  }
  return 400;
}

const std::vector<std::pair<std::string_view, int>>& ErrorTable() { return kErrors; }

tl::unexpected<EfsError> Error(std::string_view code, std::string message) {
  return tl::unexpected<EfsError>(
      EfsError{StatusOfError(code), std::string(code), std::move(message), Json::object()});
}

tl::unexpected<EfsError> BadRequest(std::string message) {
  return Error("BadRequest", std::move(message));
}

tl::unexpected<EfsError> Invalid(std::string_view where, std::string_view value,
                                 std::string_view constraint) {
  return Error("ValidationException",
               fmt::format("1 validation error detected: Value '{}' at '{}' failed to satisfy "
                           "constraint: {}",
                           Shorten(value), where, constraint));
}

tl::unexpected<EfsError> MissingMember(std::string_view where) {
  return Error("ValidationException",
               fmt::format("1 validation error detected: Value null at '{}' failed to satisfy "
                           "constraint: Member must not be null",
                           where));
}

#define ELFS_SHAPE(fn, ...)            \
  const StringShape& fn() {            \
    static const StringShape s{__VA_ARGS__}; \
    return s;                          \
  }

ELFS_SHAPE(FileSystemIdShape, 0, 128, IsFileSystemId,
           "^(arn:aws[-a-z]*:elasticfilesystem:[0-9a-z-:]+:file-system/fs-[0-9a-f]{8,40}|fs-[0-9a-f]{8,40})$")
ELFS_SHAPE(AccessPointIdShape, 0, 128, IsAccessPointId,
           "^(arn:aws[-a-z]*:elasticfilesystem:[0-9a-z-:]+:access-point/fsap-[0-9a-f]{8,40}|fsap-[0-9a-f]{8,40})$")
ELFS_SHAPE(ResourceIdShape, 0, 128, IsResourceId,
           "^(arn:aws[-a-z]*:elasticfilesystem:[0-9a-z-:]+:(access-point/fsap|file-system/fs)-[0-9a-f]{8,40}|fs(ap)?-[0-9a-f]{8,40})$")
ELFS_SHAPE(MountTargetIdShape, 13, 45, IsMountTargetId, "^fsmt-[0-9a-f]{8,40}$")
ELFS_SHAPE(SubnetIdShape, 15, 47, IsSubnetId, "^subnet-[0-9a-f]{8,40}$")
ELFS_SHAPE(SecurityGroupShape, 11, 43, IsSecurityGroup, "^sg-[0-9a-f]{8,40}")
ELFS_SHAPE(IpAddressShape, 7, 15, IsIpAddress,
           "^[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}$")
ELFS_SHAPE(KmsKeyIdShape, 0, 2048, IsKmsKeyId,
           "^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/"
           "[a-zA-Z0-9/_-]+|(arn:aws[-a-z]*:kms:[a-z0-9-]+:\\d{12}:((key/[0-9a-f]{8}-[0-9a-f]{4}-"
           "[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|(key/mrk-[0-9a-f]{32})|(alias/[a-zA-Z0-9/_-]+))))$")
ELFS_SHAPE(AvailabilityZoneNameShape, 1, 64, IsNonBlankLine, ".+")
ELFS_SHAPE(PathShape, 1, 100, IsAccessPointPath,
           "^(\\/|(\\/(?!\\.)+[^$#<>;`|&?{}^*/\\n]+){1,4})$")
ELFS_SHAPE(PermissionsShape, 3, 4, IsPermissions, "^[0-7]{3,4}$")
ELFS_SHAPE(PolicyShape, 1, 20000, IsAnything, "[\\s\\S]+")
ELFS_SHAPE(RegionNameShape, 1, 64, IsRegionName,
           "^[a-z]{2}-((iso[a-z]{0,1}-)|(gov-)){0,1}[a-z]+-{0,1}[0-9]{0,1}$")
ELFS_SHAPE(TagKeyShape, 1, 128, IsTagKey,
           "^(?![aA]{1}[wW]{1}[sS]{1}:)([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$")
ELFS_SHAPE(TagValueShape, 0, 256, IsTagValue, "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$")
ELFS_SHAPE(PerformanceModeShape, 0, SIZE_MAX, nullptr, "", {"generalPurpose", "maxIO"})
ELFS_SHAPE(ThroughputModeShape, 0, SIZE_MAX, nullptr, "", {"bursting", "provisioned", "elastic"})
ELFS_SHAPE(BackupStatusShape, 0, SIZE_MAX, nullptr, "",
           {"ENABLED", "ENABLING", "DISABLED", "DISABLING"})
ELFS_SHAPE(TransitionToIAShape, 0, SIZE_MAX, nullptr, "",
           {"AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS", "AFTER_90_DAYS",
            "AFTER_1_DAY"})
ELFS_SHAPE(TransitionToPrimaryShape, 0, SIZE_MAX, nullptr, "", {"AFTER_1_ACCESS"})
ELFS_SHAPE(ResourceIdTypeShape, 0, SIZE_MAX, nullptr, "", {"LONG_ID", "SHORT_ID"})
#undef ELFS_SHAPE

const StringShape& TokenLikeShape(size_t max) {
  static const StringShape s64{1, 64, IsNonBlankLine, ".+"};
  static const StringShape s128{1, 128, IsNonBlankLine, ".+"};
  return max <= 64 ? s64 : s128;
}

size_t CodePoints(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

std::optional<std::string> CheckString(std::string_view value, const StringShape& shape) {
  size_t n = CodePoints(value);
  if (n < shape.min) {
    return fmt::format("Member must have length greater than or equal to {}", shape.min);
  }
  if (n > shape.max) {
    return fmt::format("Member must have length less than or equal to {}", shape.max);
  }
  if (!shape.enum_values.empty() &&
      std::find(shape.enum_values.begin(), shape.enum_values.end(), value) ==
          shape.enum_values.end()) {
    return "Member must satisfy enum value set: " + JoinEnum(shape.enum_values);
  }
  if (shape.check && !shape.check(value)) {
    return "Member must satisfy regular expression pattern: " + std::string(shape.pattern);
  }
  return std::nullopt;
}

R<std::string> ValidateString(std::string_view where, std::string value, const StringShape& shape) {
  if (auto broken = CheckString(value, shape)) return Invalid(where, value, *broken);
  return value;
}

std::string LowerFirst(std::string_view member) {
  std::string out(member);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

std::string Obj::At(std::string_view member) const {
  return where.empty() ? LowerFirst(member) : where + "." + LowerFirst(member);
}

namespace {

// The member, or nullptr when absent or null.
const Json* Member(const Obj& o, std::string_view member) {
  auto it = o.json.find(member);
  if (it == o.json.end() || it->is_null()) return nullptr;
  return &*it;
}

tl::unexpected<EfsError> WrongType(const Obj& o, std::string_view member, std::string_view want) {
  return BadRequest(fmt::format("'{}' must be {}", o.At(member), want));
}

}  // namespace

R<std::optional<std::string>> GetString(const Obj& o, std::string_view member,
                                        const StringShape& shape) {
  const Json* m = Member(o, member);
  if (!m) return std::optional<std::string>();
  if (!m->is_string()) return WrongType(o, member, "a string");
  auto v = ValidateString(o.At(member), m->get<std::string>(), shape);
  if (!v) return tl::unexpected<EfsError>(std::move(v.error()));
  return std::optional<std::string>(std::move(*v));
}

R<std::optional<bool>> GetBool(const Obj& o, std::string_view member) {
  const Json* m = Member(o, member);
  if (!m) return std::optional<bool>();
  if (!m->is_boolean()) return WrongType(o, member, "a boolean");
  return std::optional<bool>(m->get<bool>());
}

R<std::optional<int64_t>> GetLong(const Obj& o, std::string_view member, int64_t min, int64_t max) {
  const Json* m = Member(o, member);
  if (!m) return std::optional<int64_t>();
  if (!m->is_number_integer()) return WrongType(o, member, "an integer");
  std::string text = m->dump();
  if (m->is_number_unsigned()) {
    if (m->get<uint64_t>() > static_cast<uint64_t>(max)) {
      return Invalid(o.At(member), text,
                     fmt::format("Member must have value less than or equal to {}", max));
    }
  }
  int64_t v = m->is_number_unsigned() ? static_cast<int64_t>(m->get<uint64_t>()) : m->get<int64_t>();
  if (v < min) {
    return Invalid(o.At(member), text,
                   fmt::format("Member must have value greater than or equal to {}", min));
  }
  if (v > max) {
    return Invalid(o.At(member), text,
                   fmt::format("Member must have value less than or equal to {}", max));
  }
  return std::optional<int64_t>(v);
}

R<std::optional<double>> GetDouble(const Obj& o, std::string_view member, double min) {
  const Json* m = Member(o, member);
  if (!m) return std::optional<double>();
  if (!m->is_number()) return WrongType(o, member, "a number");
  double v = m->get<double>();
  if (!(v >= min)) {
    return Invalid(o.At(member), m->dump(),
                   fmt::format("Member must have value greater than or equal to {}", min));
  }
  return std::optional<double>(v);
}

R<const Json*> GetObject(const Obj& o, std::string_view member) {
  const Json* m = Member(o, member);
  if (!m) return static_cast<const Json*>(nullptr);
  if (!m->is_object()) return WrongType(o, member, "an object");
  return m;
}

R<const Json*> GetArray(const Obj& o, std::string_view member, size_t min, size_t max) {
  const Json* m = Member(o, member);
  if (!m) return static_cast<const Json*>(nullptr);
  if (!m->is_array()) return WrongType(o, member, "a list");
  if (m->size() < min) {
    return Invalid(o.At(member), "[...]",
                   fmt::format("Member must have length greater than or equal to {}", min));
  }
  if (m->size() > max) {
    return Invalid(o.At(member), "[...]",
                   fmt::format("Member must have length less than or equal to {}", max));
  }
  return m;
}

R<std::optional<std::vector<std::string>>> GetStringList(const Obj& o, std::string_view member,
                                                         size_t min, size_t max,
                                                         const StringShape& shape) {
  auto arr = GetArray(o, member, min, max);
  if (!arr) return tl::unexpected<EfsError>(std::move(arr.error()));
  if (!*arr) return std::optional<std::vector<std::string>>();
  std::vector<std::string> out;
  for (size_t i = 0; i < (*arr)->size(); ++i) {
    const Json& e = (**arr)[i];
    std::string where = fmt::format("{}.{}.member", o.At(member), i + 1);
    if (!e.is_string()) return BadRequest(fmt::format("'{}' must be a string", where));
    auto v = ValidateString(where, e.get<std::string>(), shape);
    if (!v) return tl::unexpected<EfsError>(std::move(v.error()));
    out.push_back(std::move(*v));
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

R<std::optional<std::vector<std::pair<std::string, std::string>>>> GetTags(
    const Obj& o, std::string_view member) {
  using TagList = std::vector<std::pair<std::string, std::string>>;
  auto arr = GetArray(o, member, 0, SIZE_MAX);
  if (!arr) return tl::unexpected<EfsError>(std::move(arr.error()));
  if (!*arr) return std::optional<TagList>();
  TagList out;
  for (size_t i = 0; i < (*arr)->size(); ++i) {
    const Json& e = (**arr)[i];
    std::string where = fmt::format("{}.{}.member", o.At(member), i + 1);
    if (!e.is_object()) return BadRequest(fmt::format("'{}' must be an object", where));
    Obj tag{e, where};
    auto key = Required(GetString(tag, "Key", TagKeyShape()), tag, "Key");
    if (!key) return tl::unexpected<EfsError>(std::move(key.error()));
    auto value = Required(GetString(tag, "Value", TagValueShape()), tag, "Value");
    if (!value) return tl::unexpected<EfsError>(std::move(value.error()));
    for (const auto& [k, v] : out) {
      if (k == *key) return BadRequest(fmt::format("duplicate tag key '{}'", Shorten(k)));
    }
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return std::optional<TagList>(std::move(out));
}

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace elfs::api::efs
