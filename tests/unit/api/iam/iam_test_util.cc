#include "iam_test_util.h"

#include <fmt/format.h>

namespace elfs::api::iam::testing {

std::string FormEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

namespace {

std::string DecodeEntities(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    static const std::pair<std::string_view, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool done = false;
    for (auto [e, c] : kEntities) {
      if (s.substr(i, e.size()) == e) {
        out.push_back(c);
        i += e.size() - 1;
        done = true;
        break;
      }
    }
    if (!done) out.push_back('&');
  }
  return out;
}

}  // namespace

std::vector<std::string> XmlTexts(std::string_view xml, std::string_view name) {
  std::vector<std::string> out;
  std::string open = fmt::format("<{}>", name), close = fmt::format("</{}>", name);
  size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    size_t start = pos + open.size();
    size_t end = xml.find(close, start);
    if (end == std::string_view::npos) break;
    out.push_back(DecodeEntities(xml.substr(start, end - start)));
    pos = end;
  }
  return out;
}

std::string XmlText(std::string_view xml, std::string_view name) {
  auto all = XmlTexts(xml, name);
  return all.empty() ? std::string() : all.front();
}

size_t XmlCount(std::string_view xml, std::string_view name) {
  std::string open = fmt::format("<{}>", name);
  size_t n = 0;
  for (size_t pos = 0; (pos = xml.find(open, pos)) != std::string_view::npos; pos += open.size()) {
    ++n;
  }
  return n;
}

std::string UrlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

IamFixture::IamFixture() {
  auto root = dir_.EnsureAccount();
  EXPECT_TRUE(root.has_value());
}

Principal IamFixture::Root() const {
  Principal p;
  p.kind = Principal::Kind::kRoot;
  p.account = std::string(kAccount);
  p.arn = fmt::format("arn:aws:iam::{}:root", kAccount);
  p.user_id = std::string(kAccount);
  return p;
}

Principal IamFixture::UserPrincipal(std::string_view name) {
  auto user = dir_.GetUser(name);
  EXPECT_TRUE(user && *user) << name;
  Principal p;
  p.kind = Principal::Kind::kUser;
  p.account = std::string(kAccount);
  if (user && *user) {
    p.arn = dir_.UserArn((*user)->path, (*user)->name);
    p.user_id = (*user)->id;
    p.name = (*user)->name;
  }
  return p;
}

void IamFixture::MakeUser(std::string_view name) {
  auto out = Iam("CreateUser", {{"UserName", std::string(name)}});
  ASSERT_EQ(out.response.status, 200) << out.response.body;
}

Outcome IamFixture::Call(Service& svc, std::string_view version, const Principal& p,
                         std::string_view action, const Params& params) {
  CallContext ctx;
  ctx.principal = p;
  ctx.region = "us-east-1";
  ctx.request_id = "req-1";
  ctx.source_ip = "127.0.0.1";
  ctx.now = now_;
  http::Request req;
  req.method = "POST";
  req.target = "/";
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  req.body = fmt::format("Action={}&Version={}", action, version);
  for (const auto& [k, v] : params) req.body += "&" + FormEncode(k) + "=" + FormEncode(v);
  return svc.Handle(ctx, req, authz_);
}

Outcome IamFixture::Iam(std::string_view action, const Params& params) {
  return Call(iam_, "2010-05-08", Root(), action, params);
}
Outcome IamFixture::Sts(std::string_view action, const Params& params) {
  return Call(sts_, "2011-06-15", Root(), action, params);
}
Outcome IamFixture::IamAs(const Principal& p, std::string_view action, const Params& params) {
  return Call(iam_, "2010-05-08", p, action, params);
}
Outcome IamFixture::StsAs(const Principal& p, std::string_view action, const Params& params) {
  return Call(sts_, "2011-06-15", p, action, params);
}

}  // namespace elfs::api::iam::testing
