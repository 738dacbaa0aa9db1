import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sshListening } from '../../../../agent/workspaces/ssh-probe';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
/** A /proc/net/tcp line: local address, remote address, state. */
const line = (local: string, remote: string, state: string) =>
  `   0: ${local} ${remote} ${state} 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n`;

describe('agent: sshd readiness without a connection', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'berth-proc-'));
    mkdirSync(path.join(root, '42', 'net'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const table = (name: string, text: string) => writeFileSync(path.join(root, '42', 'net', name), HEADER + text);

  it('is ready once a socket listens on port 22 (IPv4 or IPv6)', async () => {
    table('tcp', line('00000000:0016', '00000000:0000', '0A'));
    assert.equal(await sshListening(42, root), true);
    rmSync(path.join(root, '42', 'net', 'tcp'));
    table('tcp6', line('00000000000000000000000000000000:0016', '00000000000000000000000000000000:0000', '0A'));
    assert.equal(await sshListening(42, root), true);
  });

  it('is not ready with only other ports listening, or port 22 in another state', async () => {
    table('tcp', line('00000000:1F90', '00000000:0000', '0A') + line('0100007F:8AC2', '0100007F:0016', '01'));
    table('tcp6', '');
    assert.equal(await sshListening(42, root), false);
  });

  it('cannot tell when the tables are not readable (another pid namespace)', async () => {
    assert.equal(await sshListening(7, root), null);
  });
});
