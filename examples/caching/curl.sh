#!/usr/bin/env bash
# Caching with curl against the gateway: the same expensive call (POST /v1/services/explain)
# twice. The first goes to the provider and is stored (x-switchyard-cache: MISS); the second is
# answered from the cache (HIT). Prints both answers, the cache status of each and the time each
# took. Starts the gateway with this example's config when none answers.
#
#   examples/caching/curl.sh [topic]            (SWITCHYARD_PORT: the gateway's port, default 8793)
set -euo pipefail
EXAMPLE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$EXAMPLE_DIR/../lib/gateway.sh"

topic="${1:-how rainbows form}"
topic="${topic//\\/\\\\}"; topic="${topic//\"/\\\"}"  # as a JSON string's content
example_config
example_gateway 8793 smart

work="$(mktemp -d)"
trap 'rm -rf "$work"; stop_gateway' EXIT
# A gateway that was already running may hold this answer from an earlier run: start empty.
curl -s -S -f -o /dev/null -X DELETE "$URL/v1/cache"
echo "cache: cleared"
for call in 1 2; do
  seconds="$(curl -s -S -f -o "$work/body$call" -D "$work/headers" -w '%{time_total}' "$URL/v1/services/explain" \
    -H 'content-type: application/json' -d "{\"topic\": \"$topic\"}")"
  ms="$(awk -v s="$seconds" 'BEGIN { printf "%.1f", s * 1000 }')"
  echo "call $call: cache $(header_value "$work/headers" x-switchyard-cache) in $ms ms ($(header_value "$work/headers" x-switchyard-target))"
  echo "  answer: $(show_json '.text | tojson' "$work/body$call")"
done
if [[ "$(show_json .text "$work/body1")" == "$(show_json .text "$work/body2")" ]]; then same=yes; else same=no; fi
echo "same answer: $same"
