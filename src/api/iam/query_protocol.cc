#include "api/iam/query_protocol.h"

#include <mutex>

#include <fmt/format.h>

namespace elfs::api::iam {

ApiResult<void> Op::Authorize(std::string action, std::string resource_arn, ConditionKeys keys) {
  resource = resource_arn;
  return authz.Authorize(ctx, AuthzRequest{std::move(action), std::move(resource_arn),
                                           std::move(keys)});
}

void WriteBool(XmlWriter& w, std::string_view name, bool v) { w.Leaf(name, v ? "true" : "false"); }

void WriteTags(XmlWriter& w, const std::vector<Tag>& tags) {
  w.Open("Tags");
  for (const auto& t : tags) {
    w.Open("member").Leaf("Key", t.key).Leaf("Value", t.value).Close();
  }
  w.Close();
}

http::Response ErrorResponse(std::string_view xmlns, const ApiError& error,
                             std::string_view request_id) {
  XmlWriter w;
  w.Open("ErrorResponse", xmlns)
      .Open("Error")
      .Leaf("Type", error.http_status >= 500 ? "Receiver" : "Sender")
      .Leaf("Code", error.code)
      .Leaf("Message", error.message)
      .Close()
      .Leaf("RequestId", request_id);
  http::Response r;
  r.status = error.http_status;
  r.body = w.Finish();
  r.SetHeader("Content-Type", "text/xml");
  r.SetHeader("x-amzn-RequestId", std::string(request_id));
  return r;
}

Outcome HandleQuery(const ProtocolInfo& protocol, std::span<const OpSpec> ops,
                    const CallContext& ctx, const http::Request& req, Authorizer& authz,
                    IamDirectory& dir) {
  Outcome outcome;
  auto fail = [&](const ApiError& e) {
    outcome.response = ErrorResponse(protocol.xmlns, e, ctx.request_id);
    outcome.error_code = e.code;
    return outcome;
  };
  // Query string first, then the form body (botocore sends everything in the
  // body; presigned or hand-made GETs put it in the URL).
  auto from_url = QueryParams::Parse(req.Query());
  if (!from_url) return fail({400, "MalformedQueryString", from_url.error().message()});
  std::string encoded(req.Query());
  if (req.method == "POST" && !req.body.empty()) {
    if (!encoded.empty()) encoded += "&";
    encoded += req.body;
  }
  auto params = QueryParams::Parse(encoded);
  if (!params) return fail({400, "MalformedQueryString", params.error().message()});

  const std::string* action = params->Get("Action");
  if (!action || action->empty()) {
    return fail({400, "MissingAction", "Missing Action"});
  }
  outcome.action = *action;
  const std::string* version = params->Get("Version");
  if (version && *version != protocol.version) {
    return fail({400, "InvalidAction",
                 fmt::format("Could not find operation {} for version {}", *action, *version)});
  }
  const OpSpec* spec = nullptr;
  for (const auto& s : ops) {
    if (s.action == *action) spec = &s;
  }
  if (!spec) {
    return fail({400, "InvalidAction",
                 fmt::format("Could not find operation {} for version {}", *action,
                             protocol.version)});
  }

  XmlWriter w;
  w.Open(*action + "Response", protocol.xmlns);
  if (spec->has_result) w.Open(*action + "Result");
  Op op{ctx, *params, authz, dir, w, {}};
  ApiResult<void> result;
  if (spec->mutates) {
    std::lock_guard lock(dir.write_mutex());
    result = spec->handler(op);
  } else {
    result = spec->handler(op);
  }
  outcome.resource = op.resource;
  if (!result) return fail(result.error());
  if (spec->has_result) w.Close();
  w.Open("ResponseMetadata").Leaf("RequestId", ctx.request_id).Close();
  outcome.response.status = 200;
  outcome.response.body = w.Finish();
  outcome.response.SetHeader("Content-Type", "text/xml");
  outcome.response.SetHeader("x-amzn-RequestId", ctx.request_id);
  return outcome;
}

}  // namespace elfs::api::iam
