# shellcheck shell=bash
# Installs Debian packages that are missing, waiting for an apt-get/dpkg run already in progress
# (one may have been started in the background before us) instead of failing on its lock.
# Sourced by the setup scripts; they define log, die and now, and may set APT_WAIT_TIMEOUT.

APT_WAIT_TIMEOUT=${APT_WAIT_TIMEOUT:-900}

# missing_packages PKG...: print those not installed.
missing_packages() {
	local p status
	for p in "$@"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$status" = "install ok installed" ] || printf '%s\n' "$p"
	done
}

apt_busy() {
	pgrep -x 'apt-get|apt|dpkg|aptitude|unattended-upgr' >/dev/null 2>&1
}

wait_for_apt() {
	local deadline=$(($(now) + APT_WAIT_TIMEOUT)) said=
	while apt_busy; do
		if [ -z "$said" ]; then
			log "another apt-get/dpkg is running; waiting for it to finish (up to ${APT_WAIT_TIMEOUT}s)"
			said=1
		fi
		[ "$(now)" -lt "$deadline" ] || die "apt-get/dpkg still running after ${APT_WAIT_TIMEOUT}s; try again when it is done"
		sleep 1
	done
}

# ensure_packages PKG...: install what is missing; log what is already there.
ensure_packages() {
	local missing
	mapfile -t missing < <(missing_packages "$@")
	if [ "${#missing[@]}" -gt 0 ]; then
		# Another install (of these very packages, perhaps) may be under way: let it finish, look again.
		wait_for_apt
		mapfile -t missing < <(missing_packages "$@")
	fi
	if [ "${#missing[@]}" -eq 0 ]; then
		log "packages present: $*"
		return 0
	fi
	log "installing ${missing[*]}"
	# The lock timeout covers an apt run that starts between our check and ours.
	local apt_opts=(-o DPkg::Lock::Timeout="$APT_WAIT_TIMEOUT" -o Acquire::Retries=3)
	export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
	apt-get "${apt_opts[@]}" update -qq >/tmp/berth-apt.log 2>&1 ||
		die "apt-get update failed (see /tmp/berth-apt.log): $(tail -n 1 /tmp/berth-apt.log)"
	apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/berth-apt.log 2>&1 ||
		die "apt-get install ${missing[*]} failed (see /tmp/berth-apt.log): $(tail -n 1 /tmp/berth-apt.log)"
}
