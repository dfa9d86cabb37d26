import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { fixedClock } from '../../../src/clock';
import { runPostRenewHooks } from '../../../src/issuance';
import { CapturingLogger } from '../../../src/log';
import { FileCertificateStore } from '../../../src/storage';
import { certs, NO_SUBJECT_NAMES } from '../../fixtures/certs';
import { installFixtureHooks, tempDir } from '../deploy-hooks/_hooks';

describe('runPostRenewHooks()', () => {
  let work: string;
  beforeEach(async () => {
    work = await tempDir('post-renew');
  });
  afterEach(async () => {
    await fsp.rm(work, { recursive: true, force: true });
  });

  test('runPostRenewHooks() gives a hook the names, serial and paths of a certificate without a subject (SANs only)', async () => {
    const home = join(work, 'home');
    const bin = join(work, 'bin');
    await fsp.mkdir(bin, { mode: 0o700 });
    await installFixtureHooks(bin);
    const store = new FileCertificateStore({
      home,
      clock: fixedClock(new Date('2026-12-01T00:00:00Z')),
      logger: new CapturingLogger(),
    });
    await store.saveCertificate({
      name: 'example.net',
      certPem: certs.noSubjectLeaf,
      chainPem: certs.noSubjectIntermediate,
      keyPem: certs.noSubjectLeafKey,
      meta: { domains: NO_SUBJECT_NAMES, directoryUrl: 'https://ca.example.test/dir' },
    });
    const probe = join(work, 'env');

    const results = await runPostRenewHooks((await store.loadCertificate('example.net'))!, {
      home,
      commands: [[join(bin, 'probe-env.sh'), probe]],
      baseEnv: { PATH: '/usr/bin:/bin' },
      timeoutMs: 10_000,
      logger: new CapturingLogger(),
      paths: store.paths('example.net'),
    });

    expect(results).toEqual([expect.objectContaining({ ok: true, exitCode: 0 })]);
    const seen = Object.fromEntries(
      (await fsp.readFile(probe, 'utf8'))
        .split('\0')
        .filter(Boolean)
        .map((entry) => entry.split(/=(.*)/s).slice(0, 2)),
    );
    expect(seen).toMatchObject({
      ACME_HOOK_NAME: 'example.net',
      ACME_HOOK_DOMAINS: NO_SUBJECT_NAMES.join(' '),
      ACME_HOOK_SERIAL: '9ABCDEF0123456789ABC',
      ACME_HOOK_BUNDLE_PATH: join(home, 'haproxy', 'example.net.pem'),
    });
  });
});
