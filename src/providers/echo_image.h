// The echo provider's images (providers/echo.h): a picture of the prompt made offline, so that
// demos and tests of POST /v1/images/generations run with no key.
//
// The picture is an SVG document: `size` wide and high (WIDTHxHEIGHT, each clamped to 16..4096;
// 1024x1024 for "auto" or none), a background colour drawn from a hash of the prompt, and the
// prompt itself as white text, centred and wrapped into lines (at spaces where it can; a line
// break in the prompt starts a new line) at the largest font that lets every line fit. The text
// is XML-escaped (& < > " ') and characters XML cannot hold (control characters, U+FFFE,
// U+FFFF) are written as U+FFFD, so no prompt can break out of the text or the document. The
// same prompt and size always give the same bytes.
#pragma once

#include <string>
#include <string_view>

#include "model/answer.h"
#include "model/request.h"

namespace sy::providers::echo_image {

// The SVG picture of `prompt` at `size`.
std::string svg(std::string_view prompt, std::string_view size);

// `data` in standard base64 (with padding).
std::string base64(std::string_view data);

// The answer to an image request: n copies of the picture, as base64 data (media type
// image/svg+xml) or, when the request asked for URLs, as data: URLs. Usage: the prompt's token
// estimate in, nothing out, cost 0.
void answer(const model::Request& request, model::Answer& answer);

}  // namespace sy::providers::echo_image
