#!/usr/bin/env bash
# Requests per second for an authenticated LP route and an anonymous one, with wrk.
#   benches/http-load.sh [connections] [seconds]
# Builds the release binary, starts it on a fresh SQLite database (or DATABASE_URL), and
# loads GET /d2l/api/lp/1.47/users/whoami with a valid token, then GET /d2l/api/versions/.
# The rate limit is raised so that it measures the server, not the limiter.
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-64}
seconds=${2:-15}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -q
bin=target/release/d2l-groups
work=$(mktemp -d)
export DATABASE_URL=${DATABASE_URL:-sqlite://$work/bench.db}
export RUST_LOG=${RUST_LOG:-warn}
port=${PORT:-18181}
"$bin" migrate >/dev/null
token=$("$bin" token --user admin --scope "users:own_profile:read" --ttl 3600)
RATE_LIMIT_CREDITS_PER_MINUTE=4000000000 RATE_LIMIT_REQUEST_COST=1 \
  "$bin" serve --bind "127.0.0.1:$port" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"
echo "== whoami (bearer token), $connections connections, ${seconds}s"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "Authorization: Bearer $token" \
  "$base/d2l/api/lp/1.47/users/whoami"
echo "== versions (anonymous), $connections connections, ${seconds}s"
wrk -t2 -c"$connections" -d"${seconds}s" --latency "$base/d2l/api/versions/"
