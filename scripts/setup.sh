#!/usr/bin/env bash
# Sets up this machine as a Berth host and starts the agent; safe to run again.
#   1. the host: Docker engine, tools and workspace images (scripts/setup-host.sh, as root), and
#      code-server + Chromium for the extension's end-to-end tests (scripts/setup-vscode-test.sh)
#   2. npm dependencies and the bundle dist/berth.js
#   3. the agent (`berth serve` on 127.0.0.1:7420) in the background, unless one already answers
#   4. for the person running this: an admin token, an SSH key registered with the agent, and the
#      host "local" in ~/.config/berth/config.json (other hosts there are kept) so that `berth` needs
#      no flags
# Environment: BERTH_STATE_DIR (agent state, default /var/lib/berth as root), BERTH_PORT (7420),
# BERTH_CONFIG (the CLI's config file, as for `berth` itself).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PORT=${BERTH_PORT:-7420}
URL="ws://127.0.0.1:$PORT"
CONFIG_DIR="$HOME/.config/berth"
CONFIG=${BERTH_CONFIG:-$CONFIG_DIR/config.json}
log() { printf 'setup: %s\n' "$*"; }
die() {
	printf 'setup: error: %s\n' "$*" >&2
	exit 1
}

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "$1 must run as root (it installs packages); run it as root, then this script again"
	fi
}
as_root scripts/setup-host.sh
# code-server and Chromium, for the extension's end-to-end tests in `npm test`.
as_root scripts/setup-vscode-test.sh

command -v node >/dev/null || die "Node.js 20 or newer is needed (apt-get install nodejs npm)"
log "installing npm dependencies"
npm ci --no-audit --no-fund --loglevel=error
log "building dist/berth.js"
npm run --silent build
BERTH=(node "$ROOT/dist/berth.js")

STATE_DIR=${BERTH_STATE_DIR:-$([ "$(id -u)" = 0 ] && echo /var/lib/berth || echo "$HOME/.local/state/berth")}
mkdir -p "$STATE_DIR" && chmod 700 "$STATE_DIR" # tokens, keys and workspace env live here: owner only
if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
	log "an agent already answers on 127.0.0.1:$PORT"
else
	log "starting the agent (log: $STATE_DIR/agent.log)"
	setsid nohup "${BERTH[@]}" serve --state-dir "$STATE_DIR" --listen "127.0.0.1:$PORT" >>"$STATE_DIR/agent.log" 2>&1 </dev/null &
	for _ in $(seq 1 100); do
		curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
		sleep 0.1
	done
	curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 || die "the agent did not come up; see $STATE_DIR/agent.log"
fi

# The CLI's config names its hosts: this agent is "local", beside any others already there (and an
# old one-host file is read as such). The environment must not point these commands elsewhere.
berth_local() { env -u BERTH_URL -u BERTH_TOKEN -u BERTH_HOST BERTH_CONFIG="$CONFIG" "${BERTH[@]}" "$@"; }
has_local='process.exit(JSON.parse(require("fs").readFileSync(0, "utf8")).some((h) => h.name === "local") ? 0 : 1)'
hosts=$(berth_local host ls --json)
if ! node -e "$has_local" <<<"$hosts"; then
	user=$(id -un | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9_\n-' '_')
	log "creating an admin token for $user and an SSH key in $CONFIG_DIR"
	mkdir -p "$CONFIG_DIR" && chmod 700 "$CONFIG_DIR"
	[ -f "$CONFIG_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "berth-$user" -f "$CONFIG_DIR/id_ed25519"
	token=$(BERTH_STATE_DIR="$STATE_DIR" "${BERTH[@]}" token create --user "$user" --admin --state-dir "$STATE_DIR")
	env -u BERTH_URL -u BERTH_HOST BERTH_TOKEN="$token" BERTH_CONFIG="$CONFIG" "${BERTH[@]}" \
		host add "$URL" --name local --identity "$CONFIG_DIR/id_ed25519"
	berth_local key add --host local "$CONFIG_DIR/id_ed25519.pub"
fi

if [ -w /usr/local/bin ] && [ ! -e /usr/local/bin/berth ]; then
	ln -s "$ROOT/dist/berth.js" /usr/local/bin/berth
fi
command -v berth >/dev/null && b=berth || b="node $ROOT/dist/berth.js"
cat <<MSG

Berth is running on $URL (settings in $CONFIG).
Create a workspace and enter it:
  $b create my-workspace
  $b ssh my-workspace
More: $b --help · run the tests: npm test
MSG
