/**
 * A home or crt-list that HAProxy could not read back is refused before anything is written: the built
 * CLI, pointed at real pebble and a real HAProxy 2.6 with a crt-list, exits 2 and leaves the crt-list
 * byte-identical, the home empty (no lock, no certificate) and a symbolic link and its target as they were.
 */
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { integrationPeers, startStandaloneHaproxy, type Peers, type StandaloneHaproxy } from '../peers';
import { runAcme } from './_support/runAcme';

/** A refusal happens at config load; without it the run would issue, which takes seconds, not a minute. */
const RUN_TIMEOUT_MS = 60_000;
const ONE_WORD = 'which HAProxy would not read as part of one word';
const HOME_FIX = 'choose a home of printable ASCII without spaces, "#", quotes, "\\", "$", "[" or "]"';

describe('acme issue refuses a home or crt-list HAProxy cannot read back', () => {
  let peers: Peers;
  let haproxy: StandaloneHaproxy;
  let root: string;
  let crtListBefore: Buffer;
  let counter = 0;

  beforeAll(async () => {
    peers = integrationPeers();
    haproxy = await startStandaloneHaproxy();
    root = await mkdtemp(join(tmpdir(), 'haproxy-acme-crt-list-input-'));
    crtListBefore = await readFile(haproxy.crtList);
  });
  afterAll(async () => {
    await haproxy?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  /** `acme issue` for a fresh name against pebble and the standalone HAProxy, with `home` and `crtList`. */
  async function issue(home: string, crtList: string): Promise<{ code: number | null; stderr: string }> {
    counter += 1;
    const args = ['issue', '-d', `crt-list-input-${process.pid}-${counter}.example.test`, '--home', home];
    args.push(
      '--directory',
      peers.directoryUrl,
      '--ca-bundle',
      peers.caBundlePath,
      '--http-port',
      String(peers.responderPort),
    );
    args.push('--haproxy-socket', haproxy.adminSocket, '--haproxy-crt-list', crtList);
    return runAcme(args, { timeoutMs: RUN_TIMEOUT_MS });
  }

  test.each<[string, string, string]>([
    ['a space', 'a b', `it contains a space, ${ONE_WORD}`],
    ['a newline followed by a crt-list line', 'x\n[verify none] x', `it contains a newline, ${ONE_WORD}`],
  ])('acme issue --home with %s exits 2 before writing the crt-list or the home', async (_case, name, problem) => {
    const home = join(root, name);
    await mkdir(home);
    const run = await issue(home, haproxy.crtList);
    const quoted = JSON.stringify(home);
    const bundles = JSON.stringify(join(home, 'haproxy', '<name>.pem'));
    expect(run.stderr).toContain(
      `Invalid --home ${quoted}: a bundle path under it (${bundles}) cannot go into HAProxy's crt-list: ${problem}; ${HOME_FIX}`,
    );
    expect(run.code).toBe(2);
    expect([(await readFile(haproxy.crtList)).equals(crtListBefore), await readdir(home)]).toEqual([true, []]);
  });

  test('acme issue with a symbolic link as --haproxy-crt-list exits 2 and leaves the link and its target alone', async () => {
    const home = join(root, 'linked');
    await mkdir(home);
    const link = join(root, 'crt-list-link.txt');
    await symlink(haproxy.crtList, link);
    const run = await issue(home, link);
    expect(run.stderr).toContain(
      `Invalid --haproxy-crt-list "${link}": it is a symbolic link to "${haproxy.crtList}", which an update would replace with a regular file; point --haproxy-crt-list at the real file "${haproxy.crtList}"`,
    );
    expect(run.code).toBe(2);
    expect([
      await readlink(link),
      (await readFile(haproxy.crtList)).equals(crtListBefore),
      await readdir(home),
    ]).toEqual([haproxy.crtList, true, []]);
  });
});
