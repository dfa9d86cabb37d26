/**
 * A user other than root who can change any step of a hook's path decides what runs as root. Here
 * a real unprivileged user (nobody, uid 65534) owns the hook directory and a real process of its
 * own flips the hook's link between a root-owned program and its own script, as fast as it can,
 * while hooks are run again and again as root. Nothing of nobody's may ever run, and the CLI must
 * refuse to start at all, with the fix.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDeployHooks } from '../../src/deploy-hooks';
import { CapturingLogger } from '../../src/log';
import { runAcme } from './_support/runAcme';

const NOBODY = 65534;
/** How long the racer flips the link at most; it is killed when the test ends sooner. */
const RACE_LIMIT_MS = 30_000;
/** Hook runs under race: the unchecked code ran nobody's script in about a third of them. */
const RUNS = 40;

/** Flips `link` between `a` and `b` with rename() (atomic) until killed or `limitMs` pass; runs as `uid`. */
function startRacer(link: string, a: string, b: string, limitMs: number): ChildProcess {
  const code = `
    const fs = require('node:fs');
    const [link, a, b, limit] = process.argv.slice(1);
    const until = Date.now() + Number(limit);
    for (let i = 0; Date.now() < until; i += 1) {
      const temp = link + '.' + (i % 2);
      try { fs.unlinkSync(temp); } catch {}
      fs.symlinkSync(i % 2 ? a : b, temp);
      fs.renameSync(temp, link);
    }`;
  return spawn(process.execPath, ['-e', code, link, a, b, String(limitMs)], {
    uid: NOBODY,
    gid: NOBODY,
    stdio: 'ignore',
  });
}

describe('post-renew hooks in a directory another user owns', () => {
  let work: string;
  let home: string;
  let hooksDir: string;
  let probe: string;
  let racer: ChildProcess | undefined;

  beforeAll(async () => {
    work = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-hook-race-'));
    await fsp.chmod(work, 0o755);
    home = join(work, 'home');
    hooksDir = join(home, 'hooks', 'post-renew.d');
    await fsp.mkdir(hooksDir, { recursive: true, mode: 0o755 });
    await fsp.chmod(home, 0o755);
    await fsp.chmod(join(home, 'hooks'), 0o755);
    // The mistake under test: the hook directory belongs to an unprivileged user.
    await fsp.chown(hooksDir, NOBODY, NOBODY);
    // nobody's own script, in a directory of its own; only root can write the probe's directory.
    const evilDir = join(work, 'evil');
    await fsp.mkdir(evilDir, { mode: 0o755 });
    probe = join(work, 'ran-as-root');
    await fsp.writeFile(join(evilDir, 'evil.sh'), `#!/bin/sh\nid -u >> ${probe}\n`, { mode: 0o755 });
    await fsp.chown(join(evilDir, 'evil.sh'), NOBODY, NOBODY);
    await fsp.chown(evilDir, NOBODY, NOBODY);
    await fsp.symlink('/bin/true', join(hooksDir, '10-reload'));
    await fsp.lchown(join(hooksDir, '10-reload'), NOBODY, NOBODY);
    racer = startRacer(join(hooksDir, '10-reload'), '/bin/true', join(evilDir, 'evil.sh'), RACE_LIMIT_MS);
  });

  afterAll(async () => {
    racer?.kill('SIGKILL');
    await fsp.rm(work, { recursive: true, force: true });
  });

  test("runDeployHooks() never runs the racing user's script as root, in any of 40 runs under race", async () => {
    const results = [];
    for (let run = 0; run < RUNS; run += 1) {
      const [result] = await runDeployHooks([{ label: '10-reload', argv: [join(hooksDir, '10-reload')] }], {
        env: { PATH: '/usr/bin:/bin' },
        logger: new CapturingLogger(),
        timeoutMs: 5_000,
      });
      results.push(result!);
    }
    expect(racer?.exitCode).toBeNull();
    expect(existsSync(probe)).toBe(false);
    expect(new Set(results.map((r) => r.ok))).toEqual(new Set([false]));
    expect(results[0]!.error).toBe(
      `Cannot run deploy hook "${hooksDir}/10-reload": its directory "${hooksDir}" is owned by uid ${NOBODY}, which is neither root nor the current user (uid 0); fix with "chown root ${hooksDir}"`,
    );
  });

  test('acme renew refuses to start, exit 2, naming the directory and the fix', async () => {
    const run = await runAcme(['renew', '--home', home, '--directory', 'https://127.0.0.1:9/dir']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `Refusing to start: Cannot run post-renew hooks from "${hooksDir}": "${hooksDir}" is owned by uid ${NOBODY}, which is neither root nor the current user (uid 0); fix with "chown root ${hooksDir}"`,
    );
    expect(existsSync(join(home, 'lock'))).toBe(false);
    expect(existsSync(probe)).toBe(false);
  });

  test('acme issue refuses a --deploy-hook whose directory another user owns, before ordering anything', async () => {
    const theirs = join(work, 'theirs');
    await fsp.mkdir(theirs, { recursive: true, mode: 0o755 });
    await fsp.copyFile('/bin/true', join(theirs, 'reload'));
    await fsp.chmod(join(theirs, 'reload'), 0o755);
    await fsp.chown(theirs, NOBODY, NOBODY);
    const fresh = join(work, 'fresh-home');
    const run = await runAcme([
      'issue',
      '-d',
      'race.example.test',
      '--home',
      fresh,
      '--directory',
      'https://127.0.0.1:9/dir',
      '--deploy-hook',
      join(theirs, 'reload'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `Refusing to start: Cannot run deploy hook "${theirs}/reload": its directory "${theirs}" is owned by uid ${NOBODY}`,
    );
    expect(existsSync(join(fresh, 'accounts'))).toBe(false);
  });
});
