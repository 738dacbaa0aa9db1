import * as assert from 'node:assert/strict';
import { age, formatSize, parseSize, table } from '../../../cli/format';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('cli: sizes', () => {
  const sizes: [string, number][] = [
    ['512m', 512 * MiB],
    ['8g', 8 * GiB],
    ['8GiB', 8 * GiB],
    ['8GB', 8 * GiB],
    ['1.5G', 1.5 * GiB],
    ['64k', 64 * KiB],
    ['1t', 1024 * GiB],
    ['4096', 4096],
    [' 2 g ', 2 * GiB],
  ];
  for (const [text, bytes] of sizes) {
    it(`reads ${JSON.stringify(text)} as ${bytes} bytes (binary units, like Docker)`, () => {
      assert.equal(parseSize(text), bytes);
    });
  }

  for (const text of ['bad', '', 'g', '-1g', '8x', '1.g', '8 gigs']) {
    it(`refuses ${JSON.stringify(text)} with null`, () => {
      assert.equal(parseSize(text), null);
    });
  }

  const formatted: [number, string][] = [
    [512, '512 B'],
    [1024, '1 KiB'],
    [512 * MiB, '512 MiB'],
    [1.5 * GiB, '1.5 GiB'],
    [4 * GiB, '4 GiB'],
    [2048 * GiB, '2 TiB'],
  ];
  for (const [bytes, text] of formatted) {
    it(`writes ${bytes} bytes as ${JSON.stringify(text)}`, () => {
      assert.equal(formatSize(bytes), text);
    });
  }

  it('writes back what it reads for whole units', () => {
    for (const text of ['512 MiB', '8 GiB', '3 KiB']) assert.equal(formatSize(parseSize(text)!), text);
  });
});

describe('cli: tables', () => {
  it('pads every column but the last to its widest cell, two spaces apart', () => {
    const text = table(
      ['NAME', 'STATE', 'MESSAGE'],
      [
        ['web', 'running', ''],
        ['a-long-name', 'stopped', 'stopped outside Berth'],
      ],
    );
    assert.equal(
      text,
      ['NAME         STATE    MESSAGE', 'web          running', 'a-long-name  stopped  stopped outside Berth'].join(
        '\n',
      ),
    );
  });

  it('prints only the header when there are no rows', () => {
    assert.equal(table(['NAME', 'STATE'], []), 'NAME  STATE');
  });
});

describe('cli: ages', () => {
  const now = Date.parse('2025-01-10T12:00:00Z');
  const ages: [string, string][] = [
    ['2025-01-10T11:59:55Z', '5s'],
    ['2025-01-10T11:57:00Z', '3m'],
    ['2025-01-10T10:00:00Z', '2h'],
    ['2025-01-06T12:00:00Z', '4d'],
    ['2025-01-10T12:00:30Z', '0s'],
  ];
  for (const [iso, text] of ages) {
    it(`says ${text} for ${iso}`, () => {
      assert.equal(age(iso, now), text);
    });
  }
});
