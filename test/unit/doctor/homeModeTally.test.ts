import { checkHomeModes, type DoctorCheck, type HomeEntry } from '../../../src/doctor';
import { HomeModeTally, tallyHomeEntries } from '../../../src/doctor/checkHomeModes';
import { passed, problem, skipped } from '../../../src/doctor/DoctorCheck';

const HOME = '/var/lib/acme';
const entry = (path: string, type: HomeEntry['type'], mode: number, uid = 0): HomeEntry => ({ path, type, mode, uid });

/**
 * The check as it was written over the whole list of entries, before the scan tallied them: the
 * tally must say exactly what it says.
 */
function listCheck(entries: readonly HomeEntry[], scan: { truncated: boolean; error?: string }): DoctorCheck {
  const id = 'home-permissions';
  const title = `files under ${HOME}`;
  if (scan.error !== undefined) return skipped(id, title, `cannot read the home directory: ${scan.error}`);
  const isHook = (path: string): boolean => path === 'hooks' || path.startsWith('hooks/');
  const tooOpen = (e: HomeEntry): number | undefined => {
    if (e.type === 'symlink' || e.type === 'other') return undefined;
    const bits = isHook(e.path) ? e.mode & 0o022 : e.mode & 0o077;
    return bits === 0 ? undefined : bits;
  };
  const isLego = (e: HomeEntry): boolean => {
    if (/^accounts\/[^/]+\/[^/]*@[^/]*(\/|$)/.test(e.path)) return true;
    const [top, name, deeper] = e.path.split('/');
    if (deeper !== undefined || name === undefined || name.startsWith('.')) return false;
    return (top === 'certificates' && e.type === 'file') || (top === 'haproxy' && e.type === 'symlink');
  };
  const listed = (list: readonly HomeEntry[]): string => {
    const shown = list.slice(0, 5).map((e) => `"${e.path === '.' ? HOME : `${HOME}/${e.path}`}"`);
    return list.length > 5 ? `${shown.join(' ')} and ${list.length - 5} more` : shown.join(' ');
  };
  const owner = entries.find((e) => e.path === '.')?.uid;
  const ours = entries.filter((e) => !isLego(e));
  const open = ours.filter((e) => tooOpen(e) !== undefined);
  const foreign = owner === undefined ? [] : ours.filter((e) => e.uid !== owner);
  if (open.length === 0 && foreign.length === 0) {
    const counted = `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`;
    if (!scan.truncated)
      return passed(id, title, `${counted}: directories 0700, files 0600, one owner (uid ${owner ?? '?'})`);
    return problem(id, title, {
      status: 'warn',
      detail: `${counted} checked, then the scan stopped at its limit or an unreadable entry; the rest was not checked`,
      fix: 'Move unrelated files out of the acme home directory and check that acme can read all of it',
    });
  }
  const dirs = open.filter((e) => e.type === 'directory' && !isHook(e.path));
  const files = open.filter((e) => e.type === 'file' && !isHook(e.path));
  const hooks = open.filter((e) => isHook(e.path));
  const details = [
    ...(open.length > 0 ? [`open to group or others: ${listed(open)}`] : []),
    ...(foreign.length > 0 ? [`not owned by uid ${owner} (home's owner): ${listed(foreign)}`] : []),
  ];
  const fixes = [
    ...(dirs.length > 0 ? [`chmod 700 ${listed(dirs)}`] : []),
    ...(files.length > 0 ? [`chmod 600 ${listed(files)}`] : []),
    ...(hooks.length > 0 ? [`chmod go-w ${listed(hooks)}`] : []),
    ...(foreign.length > 0 ? [`chown -R ${owner} "${HOME}"`] : []),
  ];
  return problem(id, title, { status: 'fail', detail: details.join('; '), fix: `Run: ${fixes.join('; ')}` });
}

const dot = entry('.', 'directory', 0o700);
const many = (count: number, make: (n: number) => HomeEntry): HomeEntry[] =>
  Array.from({ length: count }, (_, n) => make(n + 1));

const CASES: Array<[string, HomeEntry[], { truncated: boolean; error?: string }]> = [
  ['an empty list', [], { truncated: false }],
  ['home alone', [dot], { truncated: false }],
  ['one entry that is not home', [entry('lock', 'file', 0o600)], { truncated: false }],
  ['an open home directory', [entry('.', 'directory', 0o755)], { truncated: false }],
  ['a healthy home cut short', [dot, entry('lock', 'file', 0o600)], { truncated: true }],
  ['an unreadable home', [], { truncated: false, error: 'EACCES: permission denied' }],
  ['seven open directories', [dot, ...many(7, (n) => entry(`d${n}`, 'directory', 0o750))], { truncated: false }],
  [
    'open directories, files and hooks, six of each, interleaved',
    [
      dot,
      ...Array.from({ length: 6 }, (_, n) => [
        entry(`d${n}`, 'directory', 0o705),
        entry(`d${n}/key.pem`, 'file', 0o640),
        entry(`hooks/post-renew.d/h${n}`, 'file', 0o777),
      ]).flat(),
    ],
    { truncated: false },
  ],
  ['a hooks directory that is group-writable', [dot, entry('hooks', 'directory', 0o775)], { truncated: false }],
  ['a 0755 hook and a 0750 hooks directory (fine)', [dot, entry('hooks', 'directory', 0o750)], { truncated: false }],
  [
    'eight entries of other owners',
    [dot, ...many(8, (n) => entry(`f${n}`, 'file', 0o600, 1000 + n))],
    { truncated: false },
  ],
  [
    'entries both open and of another owner, cut short',
    [dot, ...many(6, (n) => entry(`x${n}`, 'file', 0o666, 42))],
    { truncated: true },
  ],
  [
    'home listed after others: their owner is judged against it',
    [entry('a', 'file', 0o600, 7), entry('b', 'file', 0o644, 0), entry('.', 'directory', 0o700, 7)],
    { truncated: false },
  ],
  [
    'no home in the list: nobody is judged for the owner',
    [entry('a', 'file', 0o600, 7), entry('b', 'file', 0o600, 8)],
    { truncated: false },
  ],
  [
    "lego's account folders, certificates and the wrapper's symlinks, wide open and of another owner",
    [
      dot,
      entry('accounts/acme-v02.api.letsencrypt.org', 'directory', 0o755),
      entry('accounts/acme-v02.api.letsencrypt.org/admin@example.com', 'directory', 0o755, 1000),
      entry('accounts/acme-v02.api.letsencrypt.org/admin@example.com/keys/k.key', 'file', 0o644, 1000),
      entry('certificates/a.example.com.crt', 'file', 0o644, 1000),
      entry('certificates/.versions', 'directory', 0o755),
      entry('certificates/a.example.com/deeper', 'file', 0o644),
      entry('haproxy/cert.crt', 'symlink', 0o777, 1000),
      entry('haproxy/site.pem', 'file', 0o644),
    ],
    { truncated: false },
  ],
  [
    'sockets and other kinds',
    [dot, entry('run/s', 'other', 0o777, 5), entry('l', 'symlink', 0o777)],
    { truncated: false },
  ],
];

describe('HomeModeTally', () => {
  test.each(CASES)(
    'checkHomeModes() over the tally of %s says what the list-based check said',
    (_what, entries, scan) => {
      expect(checkHomeModes({ home: HOME, tally: tallyHomeEntries(entries), ...scan })).toEqual(
        listCheck(entries, scan),
      );
    },
  );

  test('HomeModeTally keeps the first five entries of each kind and counts the rest', () => {
    const tally = new HomeModeTally();
    tally.add(dot);
    for (let n = 0; n < 100_000; n += 1)
      tally.add(entry(`certificates/.versions/s${n}/privkey.pem`, 'file', 0o644, n % 2));
    expect({
      entries: tally.entries,
      open: [tally.open.count, tally.open.first.length],
      openFiles: [tally.openFiles.count, tally.openFiles.first.map((e) => e.path)],
      openDirectories: tally.openDirectories.count,
      foreign: [tally.foreign.count, tally.foreign.first.length],
    }).toEqual({
      entries: 100_001,
      open: [100_000, 5],
      openFiles: [100_000, [0, 1, 2, 3, 4].map((n) => `certificates/.versions/s${n}/privkey.pem`)],
      openDirectories: 0,
      foreign: [50_000, 5],
    });
  });
});
