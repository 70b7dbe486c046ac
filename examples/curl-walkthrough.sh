#!/usr/bin/env bash
# The README's walk-through, end to end, with curl against a running node: mint a token, open a
# stream, publish, see the event arrive, stream several channels and a wildcard, publish with
# the client token, and resume with Last-Event-ID after missing three events.
#
#   scripts/run-demo &               # or any node; then:
#   examples/curl-walkthrough.sh     # PUSHY_URL, PUSHY_CLIENT_ID, PUSHY_CLIENT_SECRET override
#
# Exits non-zero (and says why) as soon as Pushy answers something other than what the README
# shows. Needs bash, curl, sed and grep.
set -euo pipefail

URL=${PUSHY_URL:-http://127.0.0.1:4000}
CLIENT_ID=${PUSHY_CLIENT_ID:-publisher_id}
CLIENT_SECRET=${PUSHY_CLIENT_SECRET:-publisher_secret}
WAIT_SECONDS=${WAIT_SECONDS:-5}

work=$(mktemp -d)
streams=()
cleanup() {
  for pid in "${streams[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

# POST with the publisher's credentials; prints the body, fails on a non-2xx answer.
publisher_post() {  # path json
  curl -sS --fail-with-body -X POST "$URL$1" -H 'Content-Type: application/json' \
    -H "X-Client-ID: $CLIENT_ID" -H "X-Client-Secret: $CLIENT_SECRET" -d "$2" ||
    fail "POST $1 was refused"
}

json_field() {  # name < json: the value of a string field
  sed -nE "s/.*\"$1\":\"([^\"]*)\".*/\1/p"
}

# Opens a stream in the background, its output in $work/<name>; waits for the retry: line.
open_stream() {  # name path token [extra curl args...]
  local name=$1 path=$2 token=$3
  shift 3
  curl -sN "$URL$path" -H "Authorization: Bearer $token" "$@" >"$work/$name" &
  streams+=("$!")
  wait_for "$name" '^retry: [0-9]+'
}

close_stream() {  # kills the newest stream
  local last=$((${#streams[@]} - 1))
  kill "${streams[$last]}" 2>/dev/null || true
  wait "${streams[$last]}" 2>/dev/null || true
  unset "streams[$last]"
}

wait_for() {  # name regex: waits until the stream's output has a matching line
  local deadline=$((SECONDS + WAIT_SECONDS))
  until grep -Eq -- "$2" "$work/$1" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "stream $1 never showed /$2/; it got:$(printf '\n'; cat "$work/$1")"
    sleep 0.05
  done
}

curl -sf "$URL/healthz" >/dev/null || fail "no Pushy node at $URL (start one: scripts/run-demo)"

step "1. Mint a token for user123 on news and alerts"
answer=$(publisher_post /token '{"sub":"user123","channels":["news","alerts"],"meta":{"name":"Ada"}}')
TOKEN=$(json_field token <<<"$answer")
[[ $TOKEN == *.*.* ]] || fail "no token in: $answer"
echo "token: ${TOKEN:0:40}..."

step "2. Open a stream on news (in the background)"
open_stream news /channels/news/stream "$TOKEN"
cat "$work/news"

step "3. Publish to news; the stream prints it"
id=$(publisher_post /publish/news '{"data":{"title":"Breaking News","content":"Some important content"}}' | json_field id)
wait_for news "^id: $id\$"
grep -A2 "^id: $id\$" "$work/news"
grep -qx 'data: {"channel":"news","data":{"title":"Breaking News","content":"Some important content"},"ts":[0-9]*}' \
  <(grep -A2 "^id: $id\$" "$work/news") || fail "event $id does not carry the published data"

step "   ...with an event name"
id=$(publisher_post /publish/news '{"event":"article.updated","data":{"id":42}}' | json_field id)
wait_for news "^id: $id\$"
grep -A2 "^id: $id\$" "$work/news"
grep -A1 "^id: $id\$" "$work/news" | grep -qx 'event: article.updated' || fail "event name missing"
close_stream

step "4. Several channels on one stream; one event to several channels"
open_stream multi '/stream?channels=news,alerts' "$TOKEN"
publisher_post /publish/alerts '{"data":"disk almost full"}' >/dev/null
ids=$(publisher_post /publish '{"channels":["news","alerts"],"event":"maintenance","data":{"at":"22:00"}}')
echo "$ids"
last=$(sed -nE 's/.*"([^"]+)"\]\}$/\1/p' <<<"$ids")
wait_for multi "^id: $last\$"
cat "$work/multi"
[[ $(grep -c '^event: maintenance$' "$work/multi") == 2 ]] || fail "expected the batch on both channels"
grep -q '"channel":"alerts","data":"disk almost full"' "$work/multi" || fail "alerts event missing"
close_stream

step "5. Wildcards: news.* matches news.sports, not news nor news.sports.live"
WILD=$(publisher_post /token '{"sub":"user456","channels":["news.*"]}' | json_field token)
open_stream wild '/channels/news.*/stream' "$WILD"
for ch in news.sports news news.sports.live; do
  echo "$(publisher_post "/publish/$ch" '{"data":{"score":"2-1"}}') <- $ch"
done
publisher_post /publish/news.sports '{"data":"last"}' >/dev/null
wait_for wild '"data":"last"'
cat "$work/wild"
channels=$(grep -oE '"channel":"[^"]*"' "$work/wild" | sort -u | tr '\n' ' ')
[[ $channels == '"channel":"news.sports" ' ]] || fail "the wildcard stream got: $channels"

step "6. Clients publish with their own token, on channels their grant matches"
id=$(curl -sS --fail-with-body -X POST "$URL/publish/news.chat" -H "Authorization: Bearer $WILD" \
  -d '{"event":"chat","data":{"text":"hi from user456"}}' | json_field id) || fail "client publish refused"
wait_for wild "^id: $id\$"
grep -A2 "^id: $id\$" "$work/wild"
code=$(curl -s -o "$work/refused" -w '%{http_code}' -X POST "$URL/publish/sports" \
  -H "Authorization: Bearer $WILD" -d '{"data":{"text":"hi"}}')
echo "$(cat "$work/refused") $code"
[[ $code == 403 ]] || fail "publishing outside the grant answered $code, not 403"
close_stream

step "7. Resume: miss three events, reconnect with Last-Event-ID, get exactly those"
open_stream before /channels/news/stream "$TOKEN"
LAST=$(publisher_post /publish/news '{"data":{"n":0}}' | json_field id)
wait_for before "^id: $LAST\$"
close_stream
missed=()
for n in 1 2 3; do missed+=("$(publisher_post /publish/news "{\"data\":{\"n\":$n}}" | json_field id)"); done
echo "missed while away: ${missed[*]}"
open_stream resumed /channels/news/stream "$TOKEN" -H "Last-Event-ID: $LAST"
live=$(publisher_post /publish/news '{"data":{"n":4}}' | json_field id)
wait_for resumed "^id: $live\$"
cat "$work/resumed"
got=$(sed -nE 's/^id: //p' "$work/resumed" | tr '\n' ' ')
[[ $got == "${missed[*]} $live " ]] || fail "resume delivered [$got], expected [${missed[*]} $live ]"
close_stream

step "8. An id from another history gets pushy.reset, then live events"
open_stream reset /channels/news/stream "$TOKEN" -H 'Last-Event-ID: 000000000000-1'
wait_for reset '^event: pushy.reset$'
cat "$work/reset"

printf '\nWalk-through passed against %s\n' "$URL"
