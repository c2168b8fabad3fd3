#include "api/gateway/gateway.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "api/common/ids.h"
#include "api/common/query.h"
#include "api/common/xml.h"
#include "sigv4/sigv4.h"

namespace elfs::api {
namespace {

enum class Protocol { kRestJson, kQuery, kEc2 };

Protocol ProtocolOf(std::string_view service) {
  if (service == "iam" || service == "sts") return Protocol::kQuery;
  if (service == "ec2") return Protocol::kEc2;
  return Protocol::kRestJson;
}

// Which service an unsigned or unparsable request meant, only to answer in
// its protocol: Query APIs name their Version.
std::string GuessService(const http::Request& req) {
  auto params = QueryParams::Parse(req.method == "GET" ? req.Query() : std::string_view(req.body));
  if (params) {
    if (const std::string* v = params->Get("Version")) {
      if (*v == "2010-05-08") return "iam";
      if (*v == "2011-06-15") return "sts";
      if (*v == "2016-11-15") return "ec2";
    }
  }
  return "elasticfilesystem";
}

// AWS's answers to authentication failures, per protocol.
ApiError AuthError(Protocol protocol, const sigv4::VerifyError& e) {
  using R = sigv4::Reason;
  const std::string& m = e.message;
  switch (protocol) {
    case Protocol::kRestJson:
      switch (e.reason) {
        case R::kMissingAuthenticationToken: return {403, "MissingAuthenticationTokenException", "Missing Authentication Token"};
        case R::kIncompleteSignature: return {400, "IncompleteSignatureException", m};
        case R::kInvalidClientTokenId:
        case R::kInvalidToken:
          return {403, "UnrecognizedClientException", "The security token included in the request is invalid."};
        case R::kExpiredToken: return {403, "ExpiredTokenException", "The security token included in the request is expired"};
        case R::kSignatureDoesNotMatch:
        case R::kRequestExpired:
        case R::kSignatureExpired:
          return {403, "InvalidSignatureException", m};
      }
      break;
    case Protocol::kQuery:
      switch (e.reason) {
        case R::kMissingAuthenticationToken: return {403, "MissingAuthenticationToken", "Request is missing Authentication Token"};
        case R::kIncompleteSignature: return {400, "IncompleteSignature", m};
        case R::kInvalidClientTokenId:
        case R::kInvalidToken:
          return {403, "InvalidClientTokenId", "The security token included in the request is invalid."};
        case R::kExpiredToken: return {403, "ExpiredToken", "The security token included in the request is expired"};
        case R::kSignatureDoesNotMatch: return {403, "SignatureDoesNotMatch", m};
        case R::kRequestExpired:
        case R::kSignatureExpired:
          return {403, "SignatureDoesNotMatch", m};
      }
      break;
    case Protocol::kEc2:
      switch (e.reason) {
        case R::kMissingAuthenticationToken: return {401, "AuthFailure", "AWS was not able to validate the provided access credentials"};
        case R::kIncompleteSignature: return {400, "IncompleteSignature", m};
        case R::kInvalidClientTokenId:
        case R::kInvalidToken:
        case R::kSignatureDoesNotMatch:
          return {401, "AuthFailure", "AWS was not able to validate the provided access credentials"};
        case R::kExpiredToken:
        case R::kRequestExpired:
        case R::kSignatureExpired:
          return {400, "RequestExpired", m};
      }
      break;
  }
  return {403, "AccessDenied", m};
}

std::string PrincipalName(const Principal& p) { return p.anonymous() ? "anonymous" : p.arn; }

// Keeps the reasons of the authorization decisions one request caused, for
// its audit line.
class AuditingAuthorizer final : public Authorizer {
 public:
  explicit AuditingAuthorizer(Authorizer& inner) : inner_(inner) {}
  tl::expected<void, ApiError> Authorize(const CallContext& ctx, const AuthzRequest& req) override {
    auto r = inner_.Authorize(ctx, req);
    if (!reasons.empty()) reasons += "; ";
    reasons += r ? "allowed " + req.action + " on " + req.resource : r.error().message;
    if (!r) denied = true;
    return r;
  }
  std::string reasons;
  bool denied = false;

 private:
  Authorizer& inner_;
};

}  // namespace

http::Response ErrorResponse(std::string_view service, const ApiError& error,
                             std::string_view request_id) {
  http::Response r;
  r.status = error.http_status;
  switch (ProtocolOf(service)) {
    case Protocol::kRestJson: {
      nlohmann::json body = {{"ErrorCode", error.code}, {"Message", error.message}, {"message", error.message}};
      r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      r.SetHeader("Content-Type", "application/json");
      r.SetHeader("x-amzn-ErrorType", error.code);
      r.SetHeader("x-amzn-RequestId", std::string(request_id));
      break;
    }
    case Protocol::kQuery: {
      XmlWriter w;
      w.Open("ErrorResponse", service == "sts" ? "https://sts.amazonaws.com/doc/2011-06-15/"
                                               : "https://iam.amazonaws.com/doc/2010-05-08/");
      w.Open("Error").Leaf("Type", error.http_status >= 500 ? "Receiver" : "Sender");
      w.Leaf("Code", error.code).Leaf("Message", error.message).Close();
      w.Leaf("RequestId", request_id);
      r.body = w.Finish();
      r.SetHeader("Content-Type", "text/xml");
      r.SetHeader("x-amzn-RequestId", std::string(request_id));
      break;
    }
    case Protocol::kEc2: {
      XmlWriter w;
      w.Open("Response").Open("Errors").Open("Error");
      w.Leaf("Code", error.code).Leaf("Message", error.message).Close().Close();
      w.Leaf("RequestID", request_id);
      r.body = w.Finish();
      r.SetHeader("Content-Type", "text/xml;charset=UTF-8");
      break;
    }
  }
  return r;
}

Gateway::Gateway(Options options, CredentialDirectory& credentials, Authorizer& authorizer,
                 AuditLog& audit, const Clock& clock, Random& random)
    : options_(std::move(options)),
      credentials_(credentials),
      authorizer_(authorizer),
      audit_(audit),
      clock_(clock),
      random_(random) {}

void Gateway::AddService(Service& service) { services_[std::string(service.SigningName())] = &service; }

http::Response Gateway::Handle(const http::Request& request, const http::Peer& peer) {
  Timespec now = clock_.Now();
  CallContext ctx;
  ctx.source_ip = peer.address;
  ctx.secure_transport = peer.tls;
  ctx.region = options_.region;
  ctx.request_id = NewUuid(random_);
  ctx.now = std::chrono::system_clock::time_point(std::chrono::seconds(now.sec)) +
            std::chrono::nanoseconds(now.nsec);

  AuditEvent event;
  event.time = ctx.now;
  event.source_ip = ctx.source_ip;
  event.request_id = ctx.request_id;

  // Who is calling: the access key resolved once, for the signature check
  // and then for the principal.
  std::optional<AccessKey> key;
  sigv4::SecretLookup lookup = [&](std::string_view akid) -> std::optional<sigv4::Secret> {
    key = credentials_.FindAccessKey(akid);
    if (!key || !key->active) return std::nullopt;
    sigv4::Secret s{key->secret, key->session_token, 0};
    if (key->expires) {
      s.expiration = std::chrono::duration_cast<std::chrono::seconds>(
                         key->expires->time_since_epoch()).count();
    }
    return s;
  };
  sigv4::VerifyOptions vo;
  vo.region = options_.region;
  vo.max_skew_seconds = options_.max_clock_skew.count();
  for (const auto& [name, svc] : services_) vo.services.push_back(name);
  auto verified = sigv4::Verify(request, lookup, now.sec, vo);

  std::string service_name;
  if (verified) {
    service_name = verified->scope.service;
  } else if (const std::string* auth = request.Header("Authorization")) {
    auto parsed = sigv4::ParseAuthorizationHeader(*auth);
    service_name = parsed && services_.count(parsed->credential.scope.service)
                       ? parsed->credential.scope.service
                       : GuessService(request);
  } else {
    auto parsed = sigv4::ParsePresignedQuery(request.Query());
    service_name = parsed && services_.count(parsed->credential.scope.service)
                       ? parsed->credential.scope.service
                       : GuessService(request);
  }
  event.event_source = service_name;

  if (!verified) {
    ApiError error = AuthError(ProtocolOf(service_name), verified.error());
    event.decision = "deny";
    event.error_code = error.code;
    event.reason = verified.error().message;
    if (key) event.access_key_id = key->access_key_id;
    audit_.Write(event);
    spdlog::info("api: refused {} request from {}: {} ({})", service_name, peer.address,
                 error.code, verified.error().message);
    return ErrorResponse(service_name, error, ctx.request_id);
  }

  ctx.principal = key->principal;
  ctx.principal.access_key_id = key->access_key_id;
  event.principal = PrincipalName(ctx.principal);
  event.access_key_id = key->access_key_id;

  Service* service = services_.at(service_name);
  AuditingAuthorizer authz(authorizer_);
  Outcome outcome = service->Handle(ctx, request, authz);

  event.event_name = outcome.action;
  event.resource = outcome.resource;
  event.error_code = outcome.error_code;
  event.reason = authz.reasons;
  event.decision = outcome.error_code.empty() ? "allow" : authz.denied ? "deny" : "error";
  audit_.Write(event);
  if (authz.denied) spdlog::info("api: denied: {}", authz.reasons);

  http::Response& r = outcome.response;
  bool has_id = false;
  for (const auto& [k, v] : r.headers) {
    if (k == "x-amzn-RequestId" || k == "x-amz-request-id") has_id = true;
  }
  if (!has_id) r.SetHeader("x-amzn-RequestId", ctx.request_id);
  return std::move(r);
}

}  // namespace elfs::api
