/** `acme haproxy-config` prints a configuration that the real HAProxy 2.6 accepts (`haproxy -c`). */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateCert } from '../peers';
import { requireBinary } from '../peers/_binaries';
import { runAcme } from './_support/runAcme';

const execFileAsync = promisify(execFile);

describe('acme haproxy-config', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-config-'));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('acme haproxy-config output passes "haproxy -c" once the placeholder and crt-list exist', async () => {
    const run = await runAcme(['haproxy-config', '--home', home, '--http-port', '34123', '--haproxy-socket', join(home, 'admin.sock')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('server acme 127.0.0.1:34123');
    expect(run.stdout).toContain(`stats socket ${join(home, 'admin.sock')} mode 600 level admin`);

    const cert = await generateCert(home, 'cert');
    await writeFile(join(home, 'haproxy-default.pem'), cert.bundle, { mode: 0o600 });
    await writeFile(join(home, 'crt-list.txt'), '');
    await writeFile(join(home, 'haproxy.cfg'), run.stdout);
    const checked = await execFileAsync(requireBinary('haproxy'), ['-c', '-f', join(home, 'haproxy.cfg')]).then(
      (r) => ({ ok: true, output: `${r.stdout}${r.stderr}` }),
      (e: { stdout: string; stderr: string }) => ({ ok: false, output: `${e.stdout}${e.stderr}` }),
    );
    expect(checked).toEqual({ ok: true, output: expect.stringContaining('Configuration file is valid') });
  });
});
