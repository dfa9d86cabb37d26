/**
 * `acme haproxy-config` prints a configuration that the run's real HAProxy (2.6, 3.0) accepts with
 * `haproxy -c` and no warning at all.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCert } from '../peers';
import { checkHaproxyConfig } from './_support/haproxyCheck';
import { runAcme } from './_support/runAcme';

describe('acme haproxy-config', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-config-'));
    const cert = await generateCert(home, 'cert');
    await writeFile(join(home, 'haproxy-default.pem'), cert.bundle, { mode: 0o600 });
    await writeFile(join(home, 'crt-list.txt'), '');
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test.each<[string, string[], string]>([
    ['a TCP responder', ['--http-port', '34123'], 'server acme 127.0.0.1:34123'],
    ['an IPv6 responder', ['--http-address', '[::1]:34124'], 'server acme [::1]:34124'],
    [
      'a unix-socket responder',
      ['--http-address', 'unix:/run/haproxy-acme/http.sock'],
      'server acme unix@/run/haproxy-acme/http.sock',
    ],
  ])(
    'acme haproxy-config with %s prints a configuration that "haproxy -c" accepts without any warning, once the placeholder and crt-list exist',
    async (_what, flags, serverLine) => {
      const run = await runAcme([
        'haproxy-config',
        '--home',
        home,
        '--haproxy-socket',
        join(home, 'admin.sock'),
        ...flags,
      ]);
      expect([run.code, run.stderr]).toEqual([0, '']);
      expect(run.stdout.split('\n').filter((line) => /^ {4}(server acme|stats socket)/.test(line))).toEqual([
        `    stats socket ${join(home, 'admin.sock')} mode 600 level admin`,
        `    ${serverLine}`,
      ]);
      await writeFile(join(home, 'haproxy.cfg'), run.stdout);

      const checked = await checkHaproxyConfig(join(home, 'haproxy.cfg'));
      expect({ code: checked.code, warnings: checked.warnings, alerts: checked.alerts }).toEqual({
        code: 0,
        warnings: [],
        alerts: [],
      });
    },
  );
});
