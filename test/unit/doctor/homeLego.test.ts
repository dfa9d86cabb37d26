/** checkHomeModes() and scanHome() in a home lego shares with us (lego's --path was our --home). */
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHomeModes, scanHome, type HomeEntry } from '../../../src/doctor';
import { tallyHomeEntries } from '../../../src/doctor/checkHomeModes';

const HOME = '/var/snap/immich-distribution/common/acme';
const entry = (path: string, type: HomeEntry['type'], mode: number, uid = 0): HomeEntry => ({ path, type, mode, uid });
const OURS: HomeEntry[] = [
  entry('.', 'directory', 0o700),
  entry('certificates', 'directory', 0o700),
  entry('haproxy', 'directory', 0o700),
  entry('accounts', 'directory', 0o700),
  entry('accounts/acme-v02.api.letsencrypt.org_443', 'directory', 0o700),
];
/** lego's entries, as lego and the snap's wrapper leave them (lego writes certificates 0644 when run with a wide umask). */
const LEGO: HomeEntry[] = [
  entry('accounts/acme-v02.api.letsencrypt.org', 'directory', 0o700),
  entry('accounts/acme-v02.api.letsencrypt.org/admin@example.com', 'directory', 0o755),
  entry('accounts/acme-v02.api.letsencrypt.org/admin@example.com/account.json', 'file', 0o644),
  entry('accounts/acme-v02.api.letsencrypt.org/admin@example.com/keys', 'directory', 0o755, 1000),
  entry('certificates/photos.example.com.crt', 'file', 0o644),
  entry('certificates/photos.example.com.key', 'file', 0o644),
  entry('certificates/photos.example.com.issuer.crt', 'file', 0o644),
  entry('certificates/photos.example.com.json', 'file', 0o644),
  entry('haproxy/cert.crt', 'symlink', 0o777, 1000),
  entry('haproxy/cert.crt.key', 'symlink', 0o777, 1000),
];
const ADOPTED: HomeEntry[] = [
  entry('certificates/photos.example.com', 'symlink', 0o777),
  entry('haproxy/photos.example.com.pem', 'file', 0o600),
];
describe('checkHomeModes() with lego files in the home', () => {
  test.each<[string, HomeEntry[], { status: string; detail: string; fix: string | null }]>([
    [
      "lego's files (open modes, another owner): not judged, and not listed (the lego-adoption check says what they wait for)",
      [...OURS, ...LEGO],
      { status: 'ok', detail: '15 entries: directories 0700, files 0600, one owner (uid 0)', fix: null },
    ],
    [
      'lego certificates adopted: passes',
      [...OURS, ...LEGO, ...ADOPTED],
      { status: 'ok', detail: '17 entries: directories 0700, files 0600, one owner (uid 0)', fix: null },
    ],
    [
      'a lego wildcard certificate: passes',
      [
        ...OURS,
        entry('certificates/_.example.com.crt', 'file', 0o600),
        entry('certificates/_.example.com.key', 'file', 0o600),
      ],
      { status: 'ok', detail: '7 entries: directories 0700, files 0600, one owner (uid 0)', fix: null },
    ],
    [
      'one of our bundles open next to lego certificates: fails with the chmod only',
      [...OURS, ...LEGO, entry('haproxy/other.pem', 'file', 0o644)],
      {
        status: 'fail',
        detail: `open to group or others: "${HOME}/haproxy/other.pem"`,
        fix: `Run: chmod 600 "${HOME}/haproxy/other.pem"`,
      },
    ],
  ])('checkHomeModes() with %s', (_what, entries, expected) => {
    expect(checkHomeModes({ home: HOME, tally: tallyHomeEntries(entries), truncated: false })).toMatchObject(expected);
  });
});

describe('scanHome() with lego files in the home', () => {
  test("scanHome() reports lego's files and the wrapper's symlinks with lstat, never following them", async () => {
    const home = await fsp.mkdtemp(join(tmpdir(), 'haproxy-acme-scan-lego-'));
    try {
      await fsp.mkdir(join(home, 'certificates'), { mode: 0o700 });
      await fsp.mkdir(join(home, 'haproxy'), { mode: 0o700 });
      await fsp.writeFile(join(home, 'certificates', 'a.example.com.crt'), 'x', { mode: 0o600 });
      await fsp.symlink(join(home, 'certificates', 'a.example.com.crt'), join(home, 'haproxy', 'cert.crt'));
      await fsp.symlink('cert.crt.key', join(home, 'haproxy', 'cert.crt.key'));
      const entries: HomeEntry[] = [];
      const scan = await scanHome(home, { onEntry: (entry) => entries.push(entry) });
      expect(entries.map((e) => `${e.path} ${e.type}`)).toEqual([
        '. directory',
        'certificates directory',
        'haproxy directory',
        'certificates/a.example.com.crt file',
        'haproxy/cert.crt symlink',
        'haproxy/cert.crt.key symlink',
      ]);
      expect(checkHomeModes({ ...scan, tally: tallyHomeEntries(entries.map((e) => ({ ...e, uid: 0 }))) }).detail).toBe(
        '6 entries: directories 0700, files 0600, one owner (uid 0)',
      );
    } finally {
      await fsp.rm(home, { recursive: true, force: true });
    }
  });
});
