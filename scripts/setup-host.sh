#!/usr/bin/env bash
# Prepare a Berth host: Docker engine, tools, and the workspace images.
#
# Idempotent; run as root on Debian 12. A second run only checks and is fast.
#   1. apt-get install docker.io debootstrap openssh-client (only what is missing;
#      waits for a dpkg/apt run already in progress instead of failing)
#   2. start dockerd in the background when `docker version` gets no answer
#   3. build $BERTH_BASE_IMAGE (default berth-base:bookworm) with debootstrap + docker import,
#      only when it does not exist
#   4. build $BERTH_IMAGE (default berth-workspace:latest) from agent/image/, only when it is
#      missing or its inputs (files of agent/image/, base image id) changed
#
# Environment: BERTH_BASE_IMAGE, BERTH_IMAGE (image names), BERTH_DEBIAN_MIRROR (overrides the
# mirror read from /etc/apt/sources.list.d/debian.sources), BERTH_DOCKERD_TIMEOUT (seconds, 60).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE_IMAGE=${BERTH_BASE_IMAGE:-berth-base:bookworm}
IMAGE=${BERTH_IMAGE:-berth-workspace:latest}
CONTEXT="$ROOT/agent/image"
SUITE=bookworm
BASE_PACKAGES=openssh-server,sudo,ca-certificates,git,curl,procps,less,nano
HOST_PACKAGES=(docker.io debootstrap openssh-client)
DOCKER_SOCK=/var/run/docker.sock
DOCKERD_LOG=/var/log/dockerd.log
DOCKERD_TIMEOUT=${BERTH_DOCKERD_TIMEOUT:-60}

log() { printf 'setup: %s\n' "$*"; }
die() {
	printf 'setup: error: %s\n' "$*" >&2
	exit 1
}
now() { date +%s; }

# shellcheck source=scripts/lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages, starts dockerd and builds images)"

# One setup at a time on this host (CI jobs, a person and a test may all call it).
exec 9>/var/lock/berth-setup.lock
if ! flock -n 9; then
	log "another setup-host.sh is running; waiting for it"
	flock 9
fi

# ---------------------------------------------------------------------------------------------
# 1. Packages
# ---------------------------------------------------------------------------------------------
ensure_packages "${HOST_PACKAGES[@]}"

# ---------------------------------------------------------------------------------------------
# 2. Docker engine
# ---------------------------------------------------------------------------------------------
docker_up() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if docker_up; then
	log "docker engine is running ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
else
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		log "starting docker through systemd"
		systemctl start docker || true
	elif pgrep -x dockerd >/dev/null 2>&1; then
		log "dockerd is already starting; waiting for it"
	else
		log "starting dockerd (log: $DOCKERD_LOG)"
		# Own session, no terminal, stdin from /dev/null: it outlives this script and its shell.
		# fd 9 (our lock) closed, or dockerd would hold the lock forever.
		setsid nohup dockerd --host "unix://$DOCKER_SOCK" </dev/null >"$DOCKERD_LOG" 2>&1 9>&- &
		dockerd_pid=$!
		disown || true
	fi
	deadline=$(($(now) + DOCKERD_TIMEOUT))
	until docker_up; do
		gone=
		if [ -n "${dockerd_pid:-}" ] && ! kill -0 "$dockerd_pid" 2>/dev/null; then gone=1; fi
		if [ -n "$gone" ] || [ "$(now)" -ge "$deadline" ]; then
			tail -n 20 "$DOCKERD_LOG" 2>/dev/null | sed 's/^/setup:   dockerd: /' >&2 || true
			if [ -n "$gone" ]; then die "dockerd exited at start (log: $DOCKERD_LOG)"; fi
			die "the docker engine did not answer within ${DOCKERD_TIMEOUT}s (log: $DOCKERD_LOG)"
		fi
		sleep 0.2
	done
	log "docker engine is up ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
fi

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------------------------------------
# 3. Base image: debootstrap + docker import
# ---------------------------------------------------------------------------------------------
debian_mirror() {
	local f=/etc/apt/sources.list.d/debian.sources uri
	if [ -n "${BERTH_DEBIAN_MIRROR:-}" ]; then
		printf '%s\n' "$BERTH_DEBIAN_MIRROR"
		return
	fi
	if [ -r "$f" ]; then
		# First URIs line that is not the security archive.
		uri=$(awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
		if [ -n "$uri" ]; then
			printf '%s\n' "$uri"
			return
		fi
	fi
	printf '%s\n' http://deb.debian.org/debian
}

rootfs=
cleanup_rootfs() {
	[ -n "$rootfs" ] && [ -d "$rootfs" ] || return 0
	# debootstrap mounts /proc, /sys... inside the target; never rm -rf through a mount.
	local m
	awk -v d="$rootfs/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
		while IFS= read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf --one-file-system "$rootfs"
}
trap cleanup_rootfs EXIT

if image_exists "$BASE_IMAGE"; then
	log "base image $BASE_IMAGE exists"
else
	mirror=$(debian_mirror)
	log "building base image $BASE_IMAGE: debootstrap $SUITE from $mirror (about a minute)"
	t0=$(now)
	rootfs=$(mktemp -d /var/tmp/berth-rootfs.XXXXXX)
	if ! debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$rootfs" "$mirror" \
		>/tmp/berth-debootstrap.log 2>&1; then
		tail -n 5 /tmp/berth-debootstrap.log | sed 's/^/setup:   debootstrap: /' >&2
		die "debootstrap failed (log: /tmp/berth-debootstrap.log)"
	fi
	# Leave no downloaded packages, host keys or machine identity in the image.
	rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
		"$rootfs"/etc/ssh/ssh_host_* "$rootfs"/var/log/*.log
	: >"$rootfs/etc/machine-id"
	log "importing $BASE_IMAGE"
	tar -C "$rootfs" --numeric-owner -c . |
		docker import \
			-c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			-c 'LABEL dev.berth.image=base' \
			-c 'CMD ["/bin/bash"]' \
			- "$BASE_IMAGE" >/dev/null
	cleanup_rootfs
	rootfs=
	log "base image $BASE_IMAGE built in $(($(now) - t0))s"
fi

# ---------------------------------------------------------------------------------------------
# 4. Workspace image: agent/image/Dockerfile on top of the base
# ---------------------------------------------------------------------------------------------
[ -f "$CONTEXT/Dockerfile" ] || die "missing $CONTEXT/Dockerfile"
base_id=$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE")
# Inputs: every file of the build context except docs, with its name and mode, plus the base.
inputs_hash=$(
	{
		printf 'base %s %s\n' "$BASE_IMAGE" "$base_id"
		cd "$CONTEXT"
		find . -type f ! -name '*.md' -print0 | LC_ALL=C sort -z |
			while IFS= read -r -d '' f; do
				printf 'file %s %s %s\n' "$f" "$(stat -c %a "$f")" "$(sha256sum <"$f" | cut -d' ' -f1)"
			done
	} | sha256sum | cut -c1-32
)
current=$(docker image inspect -f '{{ index .Config.Labels "dev.berth.inputs" }}' "$IMAGE" 2>/dev/null || true)
if [ "$current" = "$inputs_hash" ]; then
	log "workspace image $IMAGE is up to date"
else
	old_id=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
	if [ -n "$old_id" ]; then
		log "rebuilding workspace image $IMAGE (its inputs changed)"
	else
		log "building workspace image $IMAGE"
	fi
	t0=$(now)
	# The classic builder: it works with any docker CLI against this daemon, with no registry.
	if ! DOCKER_BUILDKIT=0 docker build --pull=false \
		--build-arg "BASE=$BASE_IMAGE" \
		--label "dev.berth.inputs=$inputs_hash" \
		-t "$IMAGE" "$CONTEXT" >/tmp/berth-build.log 2>&1; then
		tail -n 15 /tmp/berth-build.log | sed 's/^/setup:   build: /' >&2
		die "docker build of $IMAGE failed (log: /tmp/berth-build.log)"
	fi
	new_id=$(docker image inspect -f '{{.Id}}' "$IMAGE")
	if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
		# The old one is now untagged; drop it unless a container still uses it.
		docker image rm "$old_id" >/dev/null 2>&1 || true
	fi
	log "workspace image $IMAGE built in $(($(now) - t0))s"
fi

log "done"
