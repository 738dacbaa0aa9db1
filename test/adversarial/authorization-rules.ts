import * as assert from 'node:assert/strict';
import type { ErrorCode } from '../../protocol';
import { SMALL, freshPublicKey } from './support';

/** A user of the matrix with everything of theirs the methods act on. */
export interface Party {
  name: string;
  admin: boolean;
  token: string;
  tokenId: string;
  /** A token of theirs that the "own" revocation may spend. */
  spareTokenId: string;
  keyFingerprint: string;
  /** A key of theirs that the "own" removal may spend. */
  spareKeyFingerprint: string;
  /** Workspaces: one that stays running, one to stop, one to delete. */
  ws: { main: string; stop: string; del: string };
  /** The id of a home of theirs kept after its workspace was deleted. */
  home: string;
  /** The name of a named volume of theirs that no workspace names (kept by that delete). */
  volume: string;
}

/** A request aimed at another user's things: what a non-admin gets, and what an admin gets. */
export interface Variant {
  params: unknown;
  /** The refusal a non-admin gets. */
  refused: ErrorCode;
  /** What an admin gets: allowed, or (where nobody may do it) an error code. */
  admin: 'allowed' | ErrorCode;
}

/**
 * The authorization rule of one method, as agent/server/handlers.ts and user-handlers.ts implement
 * it: every authenticated user may use it on their own things (unless `adminOnly`), only admins on
 * another user's, and results never show a non-admin anything of another user.
 */
export interface Rule {
  adminOnly?: boolean;
  /** Params acting on the caller's own things (`unique` keeps names of new things apart). */
  own(caller: Party, unique: string): unknown;
  /** Params aimed at `victim`'s things. Absent: the method names no other user; its result is checked instead. */
  others?(victim: Party, caller: Party): Variant[];
  /** Params that only admins may send even about their own things (pinned GPUs). */
  adminParams?(caller: Party, unique: string): unknown[];
  /** Checks a successful result: what a non-admin may see of it. */
  check?(result: Record<string, unknown>, caller: Party): void;
  /**
   * The request waits for a streamed input (workspace.restore): a bare request is never answered, so
   * its own use is checked where a file is streamed (test/integration/backup.test.ts), not here.
   */
  input?: true;
}

/** A published feature tarball (a .tgz of devcontainer-feature.json {"id":"authz"} and install.sh), base64. */
const FEATURE_TGZ =
  'H4sIAAAAAAACA+3TsQrCMBRA0cx+hcZVayqtAf+maqSRkkKSdlD8d6OLKLhpQb1neeEtb8ndmX7bulhZZ/x8b6rYeZMdQuvE+6hkVRS3mTxPpYr8/r7u86UuSjFWYgBdiJVP58V/Okm7k2tZdbE+ypnsjQ+2dWmTZypT8jwS+GXWpf/fNFmoP3fjGrUuy9f95/qxf6V1qeh/CNPJYmPdItSj6DtD7QAAAAAAAAAAAAAAAN/mAqjGQQEAKAAA';
/** The one ref the matrix imports and then removes (the admin's import runs before its removal: METHODS order). */
const FEATURE_REF = 'ghcr.io/berth-authz/features/authz:1';

const FAKE_GPU = 'GPU-00000000-0000-0000-0000-000000000000';

/** A rebuild onto the stock image, recording a build made nowhere (the matrix needs no real build). */
const REBUILD = {
  image: 'berth-workspace:latest',
  build: { context: '/nonexistent', dockerfile: 'Dockerfile', args: {}, hash: 'c'.repeat(64) },
};

/** The usual pair of refusals of a workspace method: naming the owner (forbidden) and not (not found). */
const workspaceVariants =
  (pick: (p: Party) => string, extra: Record<string, unknown> = {}) =>
  (victim: Party): Variant[] => [
    { params: { name: pick(victim), owner: victim.name, ...extra }, refused: 'forbidden', admin: 'allowed' },
    // Without an owner a name is looked up among the caller's own: another user's stays invisible.
    { params: { name: pick(victim), ...extra }, refused: 'not_found', admin: 'not_found' },
  ];

const ownedOnly = (what: string) => (result: Record<string, unknown>, caller: Party) => {
  if (caller.admin) return;
  const items = result[what] as { owner?: string; user?: string }[];
  for (const item of items) assert.equal(item.owner ?? item.user, caller.name, `a ${what} entry of another user`);
};

/** One rule per method of protocol/methods.ts; a method missing here fails every column of the matrix. */
export const RULES: Partial<Record<string, Rule>> = {
  'host.info': {
    own: () => ({}),
    check: (result, caller) => {
      if (!caller.admin) assert.deepEqual(result.orphans, [], 'orphans are for admins');
    },
  },
  'host.images': { own: () => ({}) },
  'workspace.list': { own: () => ({}), check: ownedOnly('workspaces') },
  'workspace.get': { own: (p) => ({ name: p.ws.main }), others: workspaceVariants((v) => v.ws.main) },
  'workspace.create': {
    own: (p, unique) => ({ name: `${p.name}-new-${unique}`, ...SMALL }),
    // Nobody creates a workspace for someone else: there is no owner field.
    others: (victim, caller) => [
      {
        params: { name: `${caller.name}-for-${victim.name}`, owner: victim.name, ...SMALL },
        refused: 'invalid_params',
        admin: 'invalid_params',
      },
      // Nobody reattaches another user's home, not even an admin.
      {
        params: { name: `${caller.name}-home-of-${victim.name}`, home: victim.home, ...SMALL },
        refused: 'forbidden',
        admin: 'forbidden',
      },
    ],
    adminParams: (p, unique) => [{ name: `${p.name}-pin-${unique}`, ...SMALL, gpus: 1, gpuUuids: [FAKE_GPU] }],
  },
  'workspace.start': { own: (p) => ({ name: p.ws.main }), others: workspaceVariants((v) => v.ws.main) },
  'workspace.stop': { own: (p) => ({ name: p.ws.stop }), others: workspaceVariants((v) => v.ws.stop) },
  'workspace.restart': { own: (p) => ({ name: p.ws.main }), others: workspaceVariants((v) => v.ws.main) },
  'workspace.delete': {
    own: (p) => ({ name: p.ws.del, deleteData: true }),
    others: workspaceVariants((v) => v.ws.del, { deleteData: true }),
  },
  'workspace.update': {
    own: (p) => ({ name: p.ws.main, changes: { idleTimeout: 7200 } }),
    others: workspaceVariants((v) => v.ws.main, { changes: { idleTimeout: 5400 } }),
    // An image that is not here: the admin's pin passes the rights check and then fails, changing
    // nothing (a pinned GPU the host lacks would keep the workspace from starting again: unarchive).
    adminParams: (p) => [
      { name: p.ws.stop, changes: { gpus: 1, gpuUuids: [FAKE_GPU], image: 'berth-test-absent:never' } },
    ],
  },
  'workspace.logs': {
    own: (p) => ({ name: p.ws.main, tail: 5 }),
    others: workspaceVariants((v) => v.ws.main, { tail: 5 }),
  },
  'workspace.activity': { own: (p) => ({ name: p.ws.main }), others: workspaceVariants((v) => v.ws.main) },
  'workspace.keepalive': {
    own: (p) => ({ name: p.ws.main, seconds: 60 }),
    others: workspaceVariants((v) => v.ws.main, { seconds: 60 }),
  },
  'workspace.exec': {
    own: (p) => ({ name: p.ws.main, command: ['true'] }),
    others: workspaceVariants((v) => v.ws.main, { command: ['true'] }),
  },
  'idle.status': { own: () => ({}), check: ownedOnly('workspaces') },
  'workspace.usage': { own: (p) => ({ name: p.ws.main }), others: workspaceVariants((v) => v.ws.main) },
  'user.addKey': {
    own: () => ({ key: freshPublicKey() }),
    others: (victim) => [
      { params: { user: victim.name, key: freshPublicKey() }, refused: 'forbidden', admin: 'allowed' },
    ],
  },
  'user.keys': {
    own: () => ({}),
    others: (victim) => [{ params: { user: victim.name }, refused: 'forbidden', admin: 'allowed' }],
  },
  'user.removeKey': {
    own: (p) => ({ fingerprint: p.spareKeyFingerprint }),
    others: (victim) => [
      {
        params: { user: victim.name, fingerprint: victim.spareKeyFingerprint },
        refused: 'forbidden',
        admin: 'allowed',
      },
    ],
  },
  'user.tokens': {
    own: () => ({}),
    others: (victim) => [{ params: { user: victim.name }, refused: 'forbidden', admin: 'allowed' }],
    check: ownedOnly('tokens'),
  },
  'user.revokeToken': {
    own: (p) => ({ id: p.spareTokenId }),
    others: (victim) => [
      { params: { id: victim.spareTokenId }, refused: 'forbidden', admin: 'allowed' },
      { params: { user: victim.name, all: true }, refused: 'forbidden', admin: 'allowed' },
    ],
  },
  'user.list': {
    adminOnly: true,
    own: () => ({}),
    // Every user's names, tokens and workspaces: no one but an admin sees any of it.
    others: () => [{ params: {}, refused: 'forbidden', admin: 'allowed' }],
  },
  'user.setQuota': {
    adminOnly: true,
    own: (p) => ({ user: p.name, gpus: 1 }),
    others: (victim) => [{ params: { user: victim.name, gpus: 2 }, refused: 'forbidden', admin: 'allowed' }],
  },
  'home.list': { own: () => ({}), check: ownedOnly('homes') },
  'home.delete': {
    own: (p) => ({ id: p.home }),
    others: (victim) => [{ params: { id: victim.home }, refused: 'forbidden', admin: 'allowed' }],
  },
  // Named volumes: each party's own is named after them, so that without an owner another's is not found.
  'volume.list': { own: () => ({}), check: ownedOnly('volumes') },
  'volume.delete': {
    own: (p) => ({ name: p.volume }),
    others: (victim) => [
      { params: { name: victim.volume }, refused: 'not_found', admin: 'not_found' },
      { params: { name: victim.volume, owner: victim.name }, refused: 'forbidden', admin: 'allowed' },
    ],
  },
  // Builds are the caller's own (tagged and looked up by the caller's name): no other user to name.
  'image.build': { own: () => ({ hash: 'b'.repeat(64), size: 1024, probe: true }) },
  'workspace.rebuild': {
    own: (p) => ({ name: p.ws.main, ...REBUILD }),
    others: workspaceVariants((v) => v.ws.main, REBUILD),
  },
  // Secrets: per user, admins included; no method names another user, so naming one is refused.
  'secret.set': {
    own: (_p, unique) => ({ name: `AUTHZ_${unique}`, value: 'authz-value' }),
    others: (victim) => [
      {
        params: { name: 'AUTHZ_THEIRS', value: 'v', user: victim.name },
        refused: 'invalid_params',
        admin: 'invalid_params',
      },
    ],
    check: (result) => assert.ok(!JSON.stringify(result).includes('authz-value'), 'the reply shows the value'),
  },
  'secret.list': {
    own: () => ({}),
    check: (result) => {
      for (const entry of result.secrets as Record<string, unknown>[]) {
        assert.deepEqual(Object.keys(entry).sort(), ['createdAt', 'name', 'updatedAt', 'usedBy'], 'a value listed');
      }
    },
  },
  'secret.delete': {
    own: (_p, unique) => ({ name: `AUTHZ_${unique}`, ifExists: true }),
    others: (victim) => [
      { params: { name: 'AUTHZ_THEIRS', user: victim.name }, refused: 'invalid_params', admin: 'invalid_params' },
    ],
  },
  // Archive: the stop workspace is archived (again: a no-op), then brought back.
  'workspace.archive': { own: (p) => ({ name: p.ws.stop }), others: workspaceVariants((v) => v.ws.stop) },
  'workspace.unarchive': { own: (p) => ({ name: p.ws.stop }), others: workspaceVariants((v) => v.ws.stop) },
  // Trash: workspace.delete (before these) put the del workspace's home in its owner's trash.
  'trash.list': { own: () => ({}), check: ownedOnly('entries') },
  'trash.restore': {
    own: (p) => ({ name: p.ws.del }),
    // Nobody restores another user's trashed home, not even an admin: it is not found among their own.
    others: (victim) => [
      { params: { name: victim.ws.del }, refused: 'not_found', admin: 'not_found' },
      { params: { id: victim.home }, refused: 'not_found', admin: 'not_found' },
    ],
  },
  'trash.empty': {
    own: () => ({}),
    check: ownedOnly('removed'),
    others: () => [{ params: { all: true }, refused: 'forbidden', admin: 'allowed' }],
  },
  // Backup and restore (issue 14): a backup reads another's workspace only as an admin; a restore
  // always makes the caller's own.
  'workspace.backup': {
    own: (p) => ({ name: p.ws.main, live: true }),
    others: workspaceVariants((v) => v.ws.main, { live: true }),
  },
  'workspace.restore': { input: true, own: () => ({ bytes: 1024 }) },
  // Clone on create: the matrix's workspaces have no repository, so a clone does nothing, but only
  // for whoever may use the workspace.
  // Settings: each caller's own; no method names another user.
  'settings.get': { own: () => ({}) },
  'settings.set': { own: () => ({ dotfiles: null }) },
  'workspace.clone': { own: (p) => ({ name: p.ws.main }), others: workspaceVariants((v) => v.ws.main) },
  // Admission (berth move's check of the target): always about the caller's own workspace; the name
  // of another user's workspace is free for the caller.
  'workspace.admit': { own: (p) => ({ spec: { name: `${p.ws.main}-moved` } }) },
  // The host's feature store (devcontainer features): filled and emptied by admins, read by everyone.
  'feature.import': {
    adminOnly: true,
    own: () => ({ ref: FEATURE_REF, tarball: FEATURE_TGZ }),
    // The store is the host's, shared by every user: only an admin changes it.
    others: () => [{ params: { ref: FEATURE_REF, tarball: FEATURE_TGZ }, refused: 'forbidden', admin: 'allowed' }],
  },
  'feature.list': { own: () => ({}) },
  'feature.remove': {
    adminOnly: true,
    own: () => ({ ref: FEATURE_REF }),
    // The admin's own removal runs first: the second finds nothing.
    others: () => [{ params: { ref: FEATURE_REF }, refused: 'forbidden', admin: 'not_found' }],
  },
  'feature.get': { own: () => ({ ref: FEATURE_REF }) },
};
