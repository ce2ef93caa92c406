// The OpenAI image-generation ingress (POST /v1/images/generations).
// (being written: decode refuses with 501 until its codec lands)
#pragma once

#include "ingress/ingress.h"

namespace sy::ingress::images {

extern const Codec kCodec;

}  // namespace sy::ingress::images
