#!/usr/bin/env bash
# Load balancing with curl against the gateway: one service ("assistant") on a model that
# spreads its calls round-robin over two instances. Makes N calls (default 6) to
# POST /v1/services/assistant and prints which instance answered each (the x-switchyard-target
# header), then the spread. Starts the gateway with this example's config when none answers.
#
#   examples/load-balancing/curl.sh [N]        (SWITCHYARD_PORT: the gateway's port, default 8792)
set -euo pipefail
EXAMPLE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$EXAMPLE_DIR/../lib/gateway.sh"

calls="${1:-6}"
[[ "$calls" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [number of calls ≥ 1]" >&2; exit 2; }
questions=('What is the capital of France?' 'How many legs has a spider?' 'What colour is the sky?')

example_config
example_gateway 8792 chat

work="$(mktemp -d)"
trap 'rm -rf "$work"; stop_gateway' EXIT
for ((i = 1; i <= calls; i++)); do
  question="${questions[$(((i - 1) % ${#questions[@]}))]}"
  curl -s -S -f -o "$work/body" -D "$work/headers" "$URL/v1/services/assistant" \
    -H 'content-type: application/json' -d "{\"question\": \"$question\"}"
  target="$(header_value "$work/headers" x-switchyard-target)"
  echo "$target" >>"$work/targets"
  echo "call $i: $target  $(show_json '.text | tojson' "$work/body")"
done
echo "spread over $calls calls:"
sort "$work/targets" | uniq -c | while read -r count target; do echo "  $target  $count"; done
