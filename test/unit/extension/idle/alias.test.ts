import * as assert from 'node:assert/strict';
import { connectedWorkspace, parseAlias, parseAuthority } from '../../../../extension/idle/alias';
import { aliasPart } from '../../../../extension/hosts/host';

/** How Remote-SSH writes a host that is not a plain name: hex of `{"hostName": …}`. */
const hexAuthority = (hostName: string) =>
  `ssh-remote+${Buffer.from(JSON.stringify({ hostName }), 'utf8').toString('hex')}`;

describe('extension idle: the Berth workspace behind a Remote-SSH window', () => {
  it('reads host id and workspace from the alias the SSH config sync writes (berth.<aliasPart(host id)>.<name>)', () => {
    for (const hostId of ['lab-host', 'Lab Host', 'gpu.box-2', 'host']) {
      assert.deepEqual(parseAlias(`berth.${aliasPart(hostId)}.made-in-ui`), {
        hostId: aliasPart(hostId),
        name: 'made-in-ui',
      });
    }
  });

  it('reads the authority that "Connect" opens, ssh-remote+<alias>', () => {
    assert.deepEqual(parseAuthority('ssh-remote+berth.lab-2.web'), { hostId: 'lab-2', name: 'web' });
  });

  it('reads the hex-encoded JSON form of the authority', () => {
    assert.deepEqual(parseAuthority(hexAuthority('berth.gpu-box.train')), { hostId: 'gpu-box', name: 'train' });
    assert.equal(parseAuthority(hexAuthority('build-server')), undefined);
  });

  it('refuses authorities that are not a Berth workspace over Remote-SSH', () => {
    for (const authority of [
      'ssh-remote+build-server',
      'ssh-remote+berth.lab',
      'ssh-remote+berth.lab.web.extra',
      'ssh-remote+berth.lab.9web',
      'ssh-remote+berth..web',
      'ssh-remote+7b226e6f74',
      'wsl+berth.lab.web',
      'dev-container+7b7d@ssh-remote+berth.lab.web',
      'berth.lab.web',
    ]) {
      assert.equal(parseAuthority(authority), undefined, authority);
    }
  });

  it('finds the workspace only in a Remote-SSH window, from the first folder that names one', () => {
    const authorities = ['ssh-remote+other-host', 'ssh-remote+berth.lab.web', 'ssh-remote+berth.lab.api'];
    assert.deepEqual(connectedWorkspace('ssh-remote', authorities), { hostId: 'lab', name: 'web' });
    assert.equal(connectedWorkspace(undefined, authorities), undefined);
    assert.equal(connectedWorkspace('wsl', authorities), undefined);
    assert.equal(connectedWorkspace('ssh-remote', []), undefined);
  });
});
