#!/usr/bin/env bash
# Makes this machine its own "remote" compute host for the remote-host tests (issue #6): a second,
# separate OpenSSH server on 127.0.0.1:2222 with its own config, host key and authorized keys, and
# two accounts that only it lets in:
#   berthremote  may use Docker (member of the docker group) and finds Node.js on its PATH
#   berthnonode  has a PATH without Node.js (sshd sets it), for the "no suitable Node.js" case
# Both accept one client key, made here: $DIR/client_key (root only; the tests run as root).
#
# Idempotent; run as root on Debian 12. A second run only checks that sshd answers (milliseconds).
# Environment: BERTH_TEST_SSHD_DIR (default /var/lib/berth-test-sshd), BERTH_TEST_SSHD_PORT (2222).
set -euo pipefail

DIR=${BERTH_TEST_SSHD_DIR:-/var/lib/berth-test-sshd}
PORT=${BERTH_TEST_SSHD_PORT:-2222}
USERS=(berthremote berthnonode)

log() { printf 'setup-test-sshd: %s\n' "$*"; }
die() {
	printf 'setup-test-sshd: error: %s\n' "$*" >&2
	exit 1
}
now() { date +%s; }
answers() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && head -c 4 <&3" 2>/dev/null | grep -q '^SSH-'; }

[ "$(id -u)" = 0 ] || die "run as root (it adds users and starts an sshd)"

# shellcheck source=scripts/lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
ensure_packages openssh-server

install -d -m 755 "$DIR" "$DIR/authorized_keys" /run/sshd
[ -f "$DIR/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C berth-test-sshd -f "$DIR/ssh_host_ed25519_key"
[ -f "$DIR/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C berth-test-client -f "$DIR/client_key"
chmod 600 "$DIR/client_key"

getent group docker >/dev/null || groupadd --system docker
for user in "${USERS[@]}"; do
	id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
	# '*' (not the locked '!' useradd leaves) so that sshd without PAM lets the account in by key.
	usermod -p '*' "$user"
	install -m 644 "$DIR/client_key.pub" "$DIR/authorized_keys/$user"
done
usermod -aG docker berthremote

# A directory with the tools a shell session needs, but no node: berthnonode's whole PATH.
install -d -m 755 "$DIR/nonode-bin"
for tool in sh bash cat uname id mkdir rm mv ls; do ln -sfn "$(command -v "$tool")" "$DIR/nonode-bin/$tool"; done

cat >"$DIR/sshd_config.new" <<EOF
# The remote-host tests' own sshd (scripts/setup-test-sshd.sh); the machine's sshd is not touched.
Port $PORT
ListenAddress 127.0.0.1
HostKey $DIR/ssh_host_ed25519_key
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys/%u
AllowUsers ${USERS[*]}
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
AllowAgentForwarding no
X11Forwarding no
PrintMotd no
Subsystem sftp internal-sftp
Match User berthnonode
  SetEnv PATH=$DIR/nonode-bin
EOF
if ! cmp -s "$DIR/sshd_config.new" "$DIR/sshd_config"; then
	mv "$DIR/sshd_config.new" "$DIR/sshd_config"
	if [ -f "$DIR/sshd.pid" ] && kill -0 "$(cat "$DIR/sshd.pid")" 2>/dev/null; then
		log "config changed: restarting the test sshd"
		kill "$(cat "$DIR/sshd.pid")"
		for _ in $(seq 50); do answers || break; sleep 0.1; done
	fi
else
	rm -f "$DIR/sshd_config.new"
fi

if answers; then
	log "sshd answers on 127.0.0.1:$PORT"
	exit 0
fi
/usr/sbin/sshd -t -f "$DIR/sshd_config" || die "sshd rejects $DIR/sshd_config"
/usr/sbin/sshd -f "$DIR/sshd_config" -E "$DIR/sshd.log"
for _ in $(seq 100); do
	if answers; then
		log "sshd started on 127.0.0.1:$PORT (users ${USERS[*]}, client key $DIR/client_key)"
		exit 0
	fi
	sleep 0.1
done
die "sshd did not answer on 127.0.0.1:$PORT within 10 s; see $DIR/sshd.log"
