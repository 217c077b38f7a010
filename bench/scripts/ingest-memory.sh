#!/usr/bin/env bash
# Peak memory of one ingest of a large body, on a real `vitals serve`:
# generates an NDJSON file of LINES lines (default 1,000,000), one account
# and one snapshot per line, posts it
# with curl, and prints the server's peak resident memory (VmHWM) before
# and after the ingest, and its resident memory (VmRSS) once it is done.
#
#   bench/scripts/ingest-memory.sh target/release/vitals [LINES]
set -euo pipefail
bin=$(realpath "$1")
lines=${2:-1000000}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
body="$work/body.ndjson"
python3 - "$lines" > "$body" <<'PY'
import sys
n = int(sys.argv[1])
out = sys.stdout
for k in range(n):
    out.write('{"account_id":"acct-%07d","as_of":"2026-03-31","name":"Account %d","arr":%d,"seats_purchased":%d,"seats_active":%d,"logins":%d,"nps":%d}\n'
              % (k, k, 1000 + k % 5000, 10 + k % 90, k % 50, k % 700, k % 11))
PY
"$bin" --data-dir "$work/data" init >/dev/null
op=$("$bin" --data-dir "$work/data" key operator 2>/dev/null)
"$bin" --data-dir "$work/data" serve --listen 127.0.0.1:0 > "$work/serve.out" 2>"$work/serve.err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^vitals serve: listening on //p' "$work/serve.out")
curl -sf -X POST -H "authorization: Bearer $op" -H 'content-type: application/json' \
  -d '{"id":"big"}' "$url/v1/tenants" >/dev/null
admin=$(curl -sf -X POST -H "authorization: Bearer $op" -H 'content-type: application/json' \
  -d '{"role":"admin","label":"bench"}' "$url/v1/tenants/big/keys" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
hwm() { awk '/VmHWM/{print $2}' /proc/$pid/status; }
rss() { awk '/VmRSS/{print $2}' /proc/$pid/status; }
before=$(hwm)
start=$(date +%s.%N)
code=$(curl -s -o "$work/answer.json" -w '%{http_code}' -X POST \
  -H "authorization: Bearer $admin" -H 'content-type: application/x-ndjson' \
  --data-binary @"$body" "$url/v1/tenants/big/ingest")
end=$(date +%s.%N)
size=$(stat -c %s "$body")
echo "body: $lines lines, $((size / 1024 / 1024)) MiB; answer $code: $(head -c 200 "$work/answer.json")"
echo "ingest took $(python3 -c "print(round($end - $start, 1))") s"
echo "server peak RSS: before $((before / 1024)) MiB, after $(( $(hwm) / 1024 )) MiB; RSS once done $(( $(rss) / 1024 )) MiB"
echo "peak / body: $(python3 -c "print(round($(hwm) * 1024 / $size, 2))")x"
