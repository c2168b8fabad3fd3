// The AWS Query protocol's server side as IAM and STS speak it: parameters
// from the form body (and the URL query), dispatch on Action, and the XML
// envelopes botocore's query parser reads:
//   <CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
//     <CreateUserResult>...</CreateUserResult>
//     <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata>
//   </CreateUserResponse>
// and errors
//   <ErrorResponse xmlns="..."><Error><Type>Sender</Type><Code>NoSuchEntity</Code>
//   <Message>...</Message></Error><RequestId>...</RequestId></ErrorResponse>
// Internal to elfs_api_iam.
//
// Thread safety: stateless; handlers run concurrently (mutating ones under
// the directory's write mutex).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "api/common/authorizer.h"
#include "api/common/query.h"
#include "api/common/service.h"
#include "api/common/xml.h"
#include "api/iam/iam_directory.h"

namespace elfs::api::iam {

inline constexpr std::string_view kIamVersion = "2010-05-08";
inline constexpr std::string_view kIamXmlns = "https://iam.amazonaws.com/doc/2010-05-08/";
inline constexpr std::string_view kStsVersion = "2011-06-15";
inline constexpr std::string_view kStsXmlns = "https://sts.amazonaws.com/doc/2011-06-15/";

// What a handler gets: the call, its parameters, the authorizer, the data,
// and the writer positioned inside <ActionResult>.
struct Op {
  const CallContext& ctx;
  const QueryParams& q;
  Authorizer& authz;
  IamDirectory& dir;
  XmlWriter& out;
  std::string resource;  // what was acted on, for the audit log

  // authz.Authorize({action, resource, keys}); remembers the resource.
  ApiResult<void> Authorize(std::string action, std::string resource_arn,
                            ConditionKeys keys = {});
};

using OpHandler = ApiResult<void> (*)(Op& op);

struct OpSpec {
  std::string_view action;  // "CreateUser"
  OpHandler handler;
  bool has_result;          // writes <ActionResult> (operations with output)
  bool mutates;             // runs under the directory's write mutex
};

struct ProtocolInfo {
  std::string_view service;  // "iam" / "sts"
  std::string_view version;
  std::string_view xmlns;
};

Outcome HandleQuery(const ProtocolInfo& protocol, std::span<const OpSpec> ops,
                    const CallContext& ctx, const http::Request& req, Authorizer& authz,
                    IamDirectory& dir);

// The error envelope (also used for protocol-level errors).
http::Response ErrorResponse(std::string_view xmlns, const ApiError& error,
                             std::string_view request_id);

// Common elements.
void WriteBool(XmlWriter& w, std::string_view name, bool v);
void WriteTags(XmlWriter& w, const std::vector<Tag>& tags);  // <Tags><member>...</member></Tags>

}  // namespace elfs::api::iam
