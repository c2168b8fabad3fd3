// Identifiers and timestamps as AWS formats them.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/random.h"

namespace elfs::api {

// `digits` lowercase hex characters.
std::string RandomHex(Random& random, size_t digits);
// prefix + "-" + 17 lowercase hex: "fs-0123456789abcdef0".
std::string NewResourceId(Random& random, std::string_view prefix);
// Uppercase letters and digits, as IAM ids are: prefix + n characters
// ("AKIA" + 16, "AIDA" + 17, "AROA" + 17).
std::string NewIamId(Random& random, std::string_view prefix, size_t n);
// A random UUID v4 ("3f2504e0-4f89-41d3-9a0c-0305e82c3301").
std::string NewUuid(Random& random);
// A secret access key: 40 characters of base64 alphabet.
std::string NewSecretKey(Random& random);
// "2026-11-24T22:33:04Z"
std::string FormatIso8601(std::chrono::system_clock::time_point t);
// Seconds since the epoch, as EFS's JSON timestamps are.
double EpochSeconds(std::chrono::system_clock::time_point t);

}  // namespace elfs::api
