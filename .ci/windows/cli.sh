#!/usr/bin/env bash
# The Windows CLI suite: drives a built onair.exe under Wine the way a user
# would. Called by run-tests.sh (which prepares WINEPREFIX); usage:
#   cli.sh PATH/TO/onair.exe
# Needs wine, mosquitto, curl, iconv. Every check prints "ok: ..." or fails
# the script with what it saw.
set -euo pipefail
exe=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
export WINEDEBUG=${WINEDEBUG:--all}
for tool in wine mosquitto curl iconv; do
  command -v "$tool" >/dev/null || { echo "cli.sh: $tool not found (Debian: apt-get install wine mosquitto curl libc-bin)" >&2; exit 1; }
done
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

ok() { echo "ok: $*"; }
die() { echo "cli.sh: FAIL: $*" >&2; for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done; exit 1; }
# onair ARGS...: run onair.exe, stdout to out, stderr to err, exit code in rc.
onair() { rc=0; wine "$exe" "$@" >out 2>err || rc=$?; tr -d '\r' <out >out.u; tr -d '\r' <err >err.u; mv out.u out; mv err.u err; }
want() { [ "$rc" = "$1" ] || die "onair $2: exit $rc, want $1; stdout: $(cat out); stderr: $(cat err)"; }
has() { grep -q -- "$2" "$1" || die "$3: $1 lacks '$2': $(cat "$1")"; }
hasnt() { ! grep -q -- "$2" "$1" || die "$3: $1 has '$2': $(cat "$1")"; }
# until_ok DESC CMD...: retries CMD (an event poll, not a timed wait) for 60 s.
until_ok() {
  local desc=$1; shift
  for _ in $(seq 1 120); do "$@" && return 0; sleep 0.5; done
  die "timed out waiting for $desc"
}

# --- version
onair version
want 0 version
has out '^onair wine-lane' version
has out 'windows/amd64' version
has out '^usb: *yes' version
ok "version: $(head -1 out), usb yes"

# --- config path, example, check
onair config path
want 0 "config path"
has out 'AppData\\Roaming\\onair\\config.yaml' "config path"
ok "config path: $(cat out)"
onair config example
want 0 "config example"
cp out example.yaml
has example.yaml 'time_zone: Europe/Berlin' "config example"
onair config check example.yaml
want 0 "config check example.yaml"
ok "config check of the example (schedule.time_zone Europe/Berlin resolves: time/tzdata)"

# Notepad and PowerShell write CRLF, a UTF-8 BOM, or UTF-16 LE with a BOM
# (PowerShell 5's `>`): all must load, and an error must name the right line.
sed 's/$/\r/' example.yaml >crlf.yaml
{ printf '\xef\xbb\xbf'; cat crlf.yaml; } >bom8.yaml
{ printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE crlf.yaml; } >bom16.yaml
for f in crlf.yaml bom8.yaml bom16.yaml; do
  onair config check "$f"
  want 0 "config check $f"
  ok "config check $f"
done
printf 'version: 1\r\nlog:\r\n  level: debug\r\n  colour: red\r\n' >bad.yaml
{ printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE bad.yaml; } >bad16.yaml
onair config check bad16.yaml
want 1 "config check bad16.yaml"
has err 'bad16.yaml:4' "config check bad16.yaml (the unknown key is on line 4)"
ok "config check of a UTF-16 file names the bad line: $(head -1 err)"

# --- lights: no device under Wine; the hint must not be Linux's
onair lights
want 0 lights
has err 'no USB light found' lights
hasnt err 'udev' lights
ok "lights without a device: no udev hint"

# --- the demo daemon, MQTT and the loopback control API
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# A log file, not stdout (block-buffered when redirected); run as the
# calling user, not mosquitto's (which could not write $work).
printf 'listener %s 127.0.0.1\nallow_anonymous true\nlog_type all\nlog_dest file %s\nuser %s\n' \
  "$port" "$work/mosquitto.log" "$(id -un)" >mosquitto.conf
mosquitto -c mosquitto.conf >mosquitto.out 2>&1 &
pids+=($!)
until_ok "mosquitto on port $port" grep -q "Opening ipv4 listen socket on port $port" mosquitto.log
printf 'version: 1\r\nmqtt:\r\n  broker: tcp://127.0.0.1:%s\r\n  client_id: onair-wine\r\n' "$port" >demo.yaml
wine "$exe" run --demo --config demo.yaml >run.log 2>&1 &
runpid=$!
pids+=($runpid)
status_ok() { onair status && [ "$rc" = 0 ]; }
until_ok "onair status to answer" status_ok
has out 'demo' status
ok "run --demo answers status over the loopback control API"
until_ok "onair's MQTT connection" grep -q "New client connected from 127.0.0.1.* as onair-wine" mosquitto.log
until_ok "a PUBLISH from onair" grep -q "Received PUBLISH from onair-wine" mosquitto.log
ok "MQTT: onair.exe connected to mosquitto and published ($(grep -c 'Received PUBLISH from onair-wine' mosquitto.log) messages so far)"

onair set busy --for 30m
want 0 "set busy"
onair status --json
want 0 "status --json"
has out '"override"' "status after set"
has out '"Busy"' "status after set"
ok "set busy: the override shows in status"
onair clear
want 0 clear
onair status --json
hasnt out '"override"' "status after clear"
ok "clear"
onair pause
want 0 pause
onair status --json
has out '"paused": *true' "status after pause"
onair resume
want 0 resume
onair status --json
hasnt out '"paused": *true' "status after resume"
ok "pause, resume"

# The control file: loopback address and secret; a wrong secret is refused.
ctl=$(winepath -u "$(wine cmd /c 'echo %LOCALAPPDATA%' | tr -d '\r')\\onair\\control.json")
[ -f "$ctl" ] || die "no control file at $ctl"
addr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["addr"])' "$ctl")
secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$ctl")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${secret%?}x" "http://$addr/v1/status")
[ "$code" = 401 ] || die "wrong secret: HTTP $code, want 401"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/v1/status")
[ "$code" = 401 ] || die "no secret: HTTP $code, want 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $secret" "http://$addr/v1/status")
[ "$code" = 200 ] || die "right secret: HTTP $code, want 200"
ok "control API at $addr: wrong or missing secret 401, right secret 200"

# A second daemon refuses to start while the first answers.
onair run --demo --config demo.yaml
want 1 "second run"
has err 'already running' "second run"
ok "a second run --demo refuses: $(grep -m1 -o 'another onair is already running[^"]*' err)"

# Stop: Ctrl+C is what a console user sends; under Wine a SIGINT to the
# process becomes CTRL_C_EVENT. The daemon must exit 0 and remove the file.
kill -INT "$runpid"
rc=0; wait "$runpid" || rc=$?
[ "$rc" = 0 ] || die "run --demo after Ctrl+C: exit $rc"
[ ! -f "$ctl" ] || die "control file $ctl left after a clean exit"
# On a clean stop the status topic gets "offline" after "online": two
# publishes to it (mosquitto logs topics, not payloads).
status_publishes() { [ "$(grep -c "Received PUBLISH from onair-wine.*'[^']*/status'" mosquitto.log)" -ge 2 ]; }
until_ok "MQTT offline message" status_publishes
ok "Ctrl+C: exit 0, control file removed"
onair status
want 1 "status with no daemon"
has err 'onair run' "status with no daemon"
ok "status with no daemon says how to start it"

# --- service
. "$here/cli-service.sh"

echo "cli.sh: all checks passed"
