#!/usr/bin/env bash
# Chaining with curl against the gateway: POST /v1/pipelines/describe-and-translate describes an
# image (service image-recognition), then translates the description (language-translation, fed
# with {{describe.text}}). Runs it once whole (the JSON answer), then once with "stream": true
# (the step / delta / done events). Starts the gateway with this example's config when none answers.
#
#   examples/describe-and-translate/curl.sh [image file or https URL] [language]
#                                          (SWITCHYARD_PORT: the gateway's port, default 8791)
set -euo pipefail
EXAMPLE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$EXAMPLE_DIR/../lib/gateway.sh"

image="${1:-$EXAMPLE_DIR/sun.png}"
lang="${2:-French}"
if [[ ! "$image" =~ ^https?:// ]]; then
  case "${image##*.}" in png) type=image/png ;; jpg|jpeg) type=image/jpeg ;; gif) type=image/gif ;; webp) type=image/webp ;; *) type=application/octet-stream ;; esac
  image="data:$type;base64,$(base64 -w0 "$image")"
fi

example_config
example_gateway 8791 vision

work="$(mktemp -d)"
trap 'rm -rf "$work"; stop_gateway' EXIT
printf '{"image": "%s", "lang": "%s"}' "$image" "$lang" >"$work/input.json"

echo
echo "POST /v1/pipelines/describe-and-translate"
status="$(curl -s -S -o "$work/answer" -w '%{http_code}' "$URL/v1/pipelines/describe-and-translate" \
  -H 'content-type: application/json' --data-binary "@$work/input.json")"
echo "status: $status"
show_json . "$work/answer"
[[ "$status" == 200 ]] || exit 1

echo
echo "POST /v1/pipelines/describe-and-translate with \"stream\": true"
sed 's/}$/, "stream": true}/' "$work/input.json" >"$work/stream.json"
curl -s -S -N "$URL/v1/pipelines/describe-and-translate" \
  -H 'content-type: application/json' --data-binary "@$work/stream.json"
