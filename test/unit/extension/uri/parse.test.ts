import * as assert from 'node:assert/strict';
import type { HostConfig, HostStatus } from '../../../../extension/hosts/host';
import { findLinkedHost, parseOpenLink } from '../../../../extension/uri/parse';

const error = (path: string, query: string) => {
  const parsed = parseOpenLink(path, query);
  assert.ok('error' in parsed, `${path}?${query} is refused`);
  return parsed.error;
};

describe('uri: parsing vscode://berth.berth/open links', () => {
  it('reads host, workspace and an optional owner', () => {
    assert.deepEqual(parseOpenLink('/open', 'host=Lab%20Host&workspace=web'), {
      link: { host: 'Lab Host', workspace: 'web' },
    });
    assert.deepEqual(parseOpenLink('/open', 'host=lab&workspace=train&owner=bob'), {
      link: { host: 'lab', workspace: 'train', owner: 'bob' },
    });
  });

  it('refuses another path, naming the form links take', () => {
    assert.match(error('/delete', 'host=lab&workspace=web'), /open\?host=HOST&workspace=NAME.*"\/delete" is not one/);
  });

  it('refuses a missing host or workspace', () => {
    assert.match(error('/open', 'workspace=web'), /must name a host and a workspace/);
    assert.match(error('/open', 'host=lab'), /must name a host and a workspace/);
  });

  it('refuses unknown and repeated parameters', () => {
    assert.match(error('/open', 'host=lab&workspace=web&command=rm'), /unknown parameter "command"/);
    assert.match(error('/open', 'host=lab&workspace=web&workspace=db'), /gives workspace more than once/);
  });

  it("checks the workspace and owner with the protocol's name rules", () => {
    assert.match(
      error('/open', 'host=lab&workspace=..%2F..%2Fetc'),
      /workspace "\.\.\/\.\.\/etc" must be 1–63 lowercase/,
    );
    assert.match(error('/open', 'host=lab&workspace=Web'), /must be 1–63 lowercase/);
    assert.match(error('/open', 'host=lab&workspace=web&owner=__proto__'), /owner "__proto__"/);
  });

  it('refuses a host with control characters or of absurd length, escaping what it shows', () => {
    const message = error('/open', 'host=lab%0A%1B%5B31m&workspace=web');
    assert.match(message, /host "lab\\n\\u001b\[31m" is not a host name/);
    assert.doesNotMatch(message, /\p{Cc}/u);
    assert.match(error('/open', `host=${'h'.repeat(101)}&workspace=web`), /is not a host name/);
  });
});

describe('uri: the host a link names', () => {
  const host = (id: string, label: string): HostConfig => ({ id, label, url: 'ws://127.0.0.1:7420' });
  const connected = (machine: string): HostStatus => ({
    kind: 'connected',
    welcome: { protocol: 1, agentVersion: '1', host: machine, user: { name: 'alice', admin: false } },
  });
  const hosts = [
    { host: host('lab-host', 'Lab Host'), status: connected('gpu-box-1') },
    { host: host('cloud', 'Cloud'), status: { kind: 'connecting' } as HostStatus },
  ];

  it('matches the id, then the label in any case, then the machine name of a connected agent', () => {
    assert.equal(findLinkedHost(hosts, 'cloud')?.host.id, 'cloud');
    assert.equal(findLinkedHost(hosts, 'lab host')?.host.id, 'lab-host');
    assert.equal(findLinkedHost(hosts, 'GPU-BOX-1')?.host.id, 'lab-host');
  });

  it('finds nothing for a host the user has not added', () => {
    assert.equal(findLinkedHost(hosts, 'elsewhere'), undefined);
  });
});
