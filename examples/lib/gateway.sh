# Sourced by examples/*/curl.sh: picks the example's config and makes sure a gateway serves it.
#
#   example_config            sets CONFIG and PROVIDER: <example>/config.json (offline, echo), or
#                             config.<provider>.json for the first key found among OPENAI_API_KEY,
#                             ANTHROPIC_API_KEY, GEMINI_API_KEY (SWITCHYARD_EXAMPLE_PROVIDER=
#                             echo|openai|anthropic|gemini picks one); the same rule as lib/config.mjs
#   example_gateway <port> <model>
#                             sets URL. When a gateway already answers on SWITCHYARD_PORT (default
#                             <port>) and lists <model>, it is used; otherwise `./dev start` is run
#                             in the background with the example's config on that port (the first
#                             run installs and builds: minutes), and stopped when the script exits.
#
# The caller sets EXAMPLE_DIR (its own folder) before sourcing.

REPO="$(cd "$EXAMPLE_DIR/../.." && pwd)"

example_config() {
  local wanted="${SWITCHYARD_EXAMPLE_PROVIDER:-}" name key
  PROVIDER=echo
  if [[ -n "$wanted" ]]; then
    case "$wanted" in
      echo) ;;
      openai) key=OPENAI_API_KEY ;;
      anthropic) key=ANTHROPIC_API_KEY ;;
      gemini) key=GEMINI_API_KEY ;;
      *) echo "SWITCHYARD_EXAMPLE_PROVIDER must be echo, openai, anthropic or gemini, not '$wanted'" >&2; exit 2 ;;
    esac
    if [[ -n "${key:-}" && -z "${!key:-}" ]]; then echo "SWITCHYARD_EXAMPLE_PROVIDER=$wanted needs $key in the environment" >&2; exit 2; fi
    PROVIDER="$wanted"
  else
    for name in openai:OPENAI_API_KEY anthropic:ANTHROPIC_API_KEY gemini:GEMINI_API_KEY; do
      key="${name#*:}"
      if [[ -n "${!key:-}" ]]; then PROVIDER="${name%%:*}"; break; fi
    done
  fi
  if [[ "$PROVIDER" == echo ]]; then CONFIG="$EXAMPLE_DIR/config.json"; else CONFIG="$EXAMPLE_DIR/config.$PROVIDER.json"; fi
  if [[ "$PROVIDER" == echo ]]; then
    echo "provider: echo, offline (${CONFIG#"$REPO"/}); set OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY for a real one"
  else
    echo "provider: $PROVIDER (${CONFIG#"$REPO"/})"
  fi
}

# True when a gateway answers at $URL and lists model $1.
gateway_serves() {
  curl -s -f -m 5 "$URL/health" >/dev/null 2>&1 || return 1
  curl -s -m 5 "$URL/v1/models" | grep -q "\"id\":\"$1\""
}

example_gateway() {
  local port="${SWITCHYARD_PORT:-$1}" model="$2" waited=0
  URL="http://127.0.0.1:$port"
  if gateway_serves "$model"; then
    echo "gateway: $URL (already running)"
    return
  fi
  if curl -s -m 5 "$URL/health" >/dev/null 2>&1; then
    echo "something else answers on $URL (not this example's config): stop it or set SWITCHYARD_PORT" >&2
    exit 1
  fi
  GATEWAY_LOG="$(mktemp -t switchyard-example.XXXXXX)"
  echo "gateway: starting ./dev start on $URL (log: $GATEWAY_LOG; the first run installs and builds)"
  # No persistent cache tier: every run starts from an empty cache.
  SWITCHYARD_CONFIG="$CONFIG" SWITCHYARD_PORT="$port" SWITCHYARD_CACHE_DIR='' "$REPO/dev" start >"$GATEWAY_LOG" 2>&1 &
  GATEWAY_PID=$!
  trap stop_gateway EXIT
  until gateway_serves "$model"; do
    if ! kill -0 "$GATEWAY_PID" 2>/dev/null; then
      echo "the gateway did not start:" >&2
      tail -n 20 "$GATEWAY_LOG" >&2
      exit 1
    fi
    if ((waited >= 1200)); then echo "the gateway did not answer within 10 minutes (log: $GATEWAY_LOG)" >&2; exit 1; fi
    sleep 0.5
    waited=$((waited + 1))
  done
}

stop_gateway() {
  if [[ -n "${GATEWAY_PID:-}" ]]; then
    kill "$GATEWAY_PID" 2>/dev/null || true
    wait "$GATEWAY_PID" 2>/dev/null || true
    rm -f "$GATEWAY_LOG"
  fi
}

# One header's value from a file of response headers (curl -D); empty when absent.
header_value() {  # file, name
  { grep -i "^$2:" "$1" || true; } | head -n 1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'
}

# A JSON body's field for display: with jq the value of filter $1, otherwise the whole body.
show_json() {  # filter, file
  if command -v jq >/dev/null; then jq -r "$1" "$2"; else cat "$2"; echo; fi
}
