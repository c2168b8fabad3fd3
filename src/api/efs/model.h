// What the botocore model of EFS 2015-02-01 says about inputs and errors,
// written down once: the error table (code → HTTP status), the constraints
// of each input shape (length, pattern, range, enum) and typed readers of a
// JSON request body that apply them. Violations answer as EFS does:
// ValidationException "1 validation error detected: Value '...' at
// 'member' failed to satisfy constraint: ..." for model constraints,
// BadRequest for a body of the wrong JSON types.
//
// Thread safety: free functions over values; the compiled patterns are
// immutable statics, safe to share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace elfs::api::efs {

using Json = nlohmann::json;

// An EFS error: the code names a shape of the model (or AccessDeniedException
// / UnknownOperationException, which the service front end sends), `extra`
// carries the shape's additional members (FileSystemId, AccessPointId).
struct EfsError {
  int http_status = 400;
  std::string code;
  std::string message;
  Json extra = Json::object();
};

template <class T>
using R = tl::expected<T, EfsError>;

// The model's HTTP status for an error code; 400 for codes it does not know.
int StatusOfError(std::string_view code);
// Every error code the service may send, with its status (for tests that
// compare the table with the model).
const std::vector<std::pair<std::string_view, int>>& ErrorTable();

tl::unexpected<EfsError> Error(std::string_view code, std::string message);
tl::unexpected<EfsError> BadRequest(std::string message);
// "1 validation error detected: Value '<value>' at '<where>' failed to
// satisfy constraint: <constraint>". The value is shortened for the message.
tl::unexpected<EfsError> Invalid(std::string_view where, std::string_view value,
                                 std::string_view constraint);
tl::unexpected<EfsError> MissingMember(std::string_view where);

// A string shape's constraints. `check` returns whether the value matches
// the model's pattern (search semantics, as Smithy patterns have).
struct StringShape {
  size_t min = 0;
  size_t max = SIZE_MAX;
  bool (*check)(std::string_view) = nullptr;
  std::string_view pattern;  // as the model writes it, for messages
  std::vector<std::string_view> enum_values = {};
};

// The shapes used by requests.
const StringShape& FileSystemIdShape();
const StringShape& AccessPointIdShape();
const StringShape& ResourceIdShape();
const StringShape& MountTargetIdShape();
const StringShape& SubnetIdShape();
const StringShape& SecurityGroupShape();
const StringShape& IpAddressShape();
const StringShape& KmsKeyIdShape();
const StringShape& TokenLikeShape(size_t max);  // CreationToken, ClientToken, Marker, Token: ".+"
const StringShape& AvailabilityZoneNameShape();
const StringShape& PathShape();
const StringShape& PermissionsShape();
const StringShape& PolicyShape();
const StringShape& RegionNameShape();
const StringShape& TagKeyShape();
const StringShape& TagValueShape();
const StringShape& PerformanceModeShape();
const StringShape& ThroughputModeShape();
const StringShape& BackupStatusShape();
const StringShape& TransitionToIAShape();
const StringShape& TransitionToPrimaryShape();
const StringShape& ResourceIdTypeShape();

// Length in Unicode code points (what the model's min/max count).
size_t CodePoints(std::string_view utf8);
// nullopt when `value` satisfies the shape, else the constraint it breaks.
std::optional<std::string> CheckString(std::string_view value, const StringShape& shape);
R<std::string> ValidateString(std::string_view where, std::string value, const StringShape& shape);

// "FileSystemId" → "fileSystemId": how Coral names members in messages.
std::string LowerFirst(std::string_view member);

// A JSON object being read, with its position for messages ("rootDirectory").
struct Obj {
  const Json& json;
  std::string where;  // "" at the top level
  std::string At(std::string_view member) const;
};

// Readers: absent or null → nullopt; the wrong JSON type → BadRequest;
// constraint violations → ValidationException.
R<std::optional<std::string>> GetString(const Obj& o, std::string_view member,
                                        const StringShape& shape);
R<std::optional<bool>> GetBool(const Obj& o, std::string_view member);
R<std::optional<int64_t>> GetLong(const Obj& o, std::string_view member, int64_t min, int64_t max);
R<std::optional<double>> GetDouble(const Obj& o, std::string_view member, double min);
// An object member, or nullptr when absent or null.
R<const Json*> GetObject(const Obj& o, std::string_view member);
// An array member (nullptr when absent or null) with the model's size bounds.
R<const Json*> GetArray(const Obj& o, std::string_view member, size_t min, size_t max);
// A list of strings of one shape.
R<std::optional<std::vector<std::string>>> GetStringList(const Obj& o, std::string_view member,
                                                         size_t min, size_t max,
                                                         const StringShape& shape);
// A "Tags" list of {Key, Value}; keys must be distinct.
R<std::optional<std::vector<std::pair<std::string, std::string>>>> GetTags(
    const Obj& o, std::string_view member);

template <class T>
R<T> Required(R<std::optional<T>> v, const Obj& o, std::string_view member) {
  if (!v) return tl::unexpected<EfsError>(std::move(v.error()));
  if (!*v) return MissingMember(o.At(member));
  return std::move(**v);
}

// Serializes JSON for the wire; invalid UTF-8 (from a percent-decoded path)
// is replaced, never thrown.
std::string Dump(const Json& j);

}  // namespace elfs::api::efs
