/**
 * What must hold in a `--home` after any crash: every file parses, every version is complete with
 * a key that matches its certificate, the current link points at a complete version, and the
 * HAProxy bundle is one complete set (the one before the run, or the current version's).
 * Each check returns the problems it found as sentences, so one trial reports all of them.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { assertKeyMatchesCertificate, splitPemBlocks } from '../../../src/pem';

/** A temp name our atomic writes use (`.<base>.tmp-<hex>`), or a lock takeover claim. */
export const LEFTOVER_NAME = /^\..+\.(tmp-[0-9a-f-]+|takeover-\d+)$/;

/** One certificate as it stood before a trial: the bundle file's text and the current link. */
export interface CertificateSnapshot {
  bundle: string | undefined;
  link: string | undefined;
}

async function textOrUndefined(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}

/** Reads what a trial compares against afterwards. */
export async function snapshotCertificate(home: string, name: string): Promise<CertificateSnapshot> {
  const link = await readlink(join(home, 'certificates', name)).catch(() => undefined);
  return { bundle: await textOrUndefined(join(home, 'haproxy', `${name}.pem`)), link };
}

/** Every path under `home` (symlinks not followed), with leftovers reported and not entered. */
async function walk(home: string): Promise<{ files: string[]; links: string[]; leftovers: string[] }> {
  const found = { files: [] as string[], links: [] as string[], leftovers: [] as string[] };
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (depth > 8) return;
    for (const entry of await readdir(dir)) {
      const path = join(dir, entry);
      const stat = await lstat(path);
      if (LEFTOVER_NAME.test(entry)) found.leftovers.push(relative(home, path));
      else if (stat.isSymbolicLink()) found.links.push(path);
      else if (stat.isDirectory()) await visit(path, depth + 1);
      else found.files.push(path);
    }
  };
  await visit(home, 0);
  return found;
}

/** Why the text of `path` does not parse as what its name says, or undefined when it does. */
function parseProblem(path: string, text: string): string | undefined {
  try {
    if (path.endsWith('.json') || path.endsWith('/lock')) {
      JSON.parse(text);
      return undefined;
    }
    if (!path.endsWith('.pem') && !path.endsWith('.pem.next') && !path.endsWith('.pem.old')) return undefined;
    const blocks = splitPemBlocks(text);
    if (blocks.length === 0) return 'no PEM block';
    for (const block of blocks) {
      if (block.type === 'CERTIFICATE') new X509Certificate(block.pem);
      else createPrivateKey(block.pem);
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A version directory: all five files, key matching certificate, fullchain = cert + chain. */
async function versionProblems(dir: string): Promise<string[]> {
  const read = (file: string): Promise<string | undefined> => textOrUndefined(join(dir, file));
  const [cert, chain, fullchain, key, meta] = await Promise.all(
    ['cert.pem', 'chain.pem', 'fullchain.pem', 'privkey.pem', 'meta.json'].map(read),
  );
  if (cert === undefined || chain === undefined || fullchain === undefined || key === undefined || meta === undefined) {
    return [`version "${dir}" is incomplete`];
  }
  const problems: string[] = [];
  if (fullchain !== cert + chain) problems.push(`version "${dir}": fullchain.pem is not cert.pem + chain.pem`);
  try {
    assertKeyMatchesCertificate(cert, key);
  } catch (error) {
    problems.push(`version "${dir}": ${(error as Error).message}`);
  }
  const serial = new X509Certificate(cert).serialNumber.toUpperCase();
  if ((JSON.parse(meta) as { serial?: string }).serial !== serial)
    problems.push(`version "${dir}": meta.json does not name serial "${serial}"`);
  return problems;
}

/** The bundle a version directory stands for (leaf, chain, key), as the store writes it. */
export async function bundleOfVersion(dir: string): Promise<string> {
  const [cert, chain, key] = await Promise.all(
    ['cert.pem', 'chain.pem', 'privkey.pem'].map((f) => readFile(join(dir, f), 'utf8')),
  );
  return cert! + chain! + key!;
}

/** Options of checkHome(). */
export interface CheckHomeOptions {
  /** Certificates and how they stood before the run; the bundle must be that one or the current version's. */
  before: Map<string, CertificateSnapshot>;
  /** After a completed run nothing may be left over: no temp file, no lock file, bundle = current version. */
  settled: boolean;
}

/** Checks one certificate's link and bundle. */
async function certificateProblems(
  home: string,
  name: string,
  before: CertificateSnapshot | undefined,
  settled: boolean,
): Promise<string[]> {
  const linkPath = join(home, 'certificates', name);
  const link = await readlink(linkPath).catch(() => undefined);
  const bundle = await textOrUndefined(join(home, 'haproxy', `${name}.pem`));
  if (link === undefined) {
    if (settled) return [`certificate "${name}" has no current link`];
    return bundle === before?.bundle ? [] : [`certificate "${name}": no current link, yet the bundle changed`];
  }
  const dir = resolve(join(home, 'certificates'), link);
  const problems = (await versionProblems(dir)).map((p) => `current link of "${name}": ${p}`);
  if (problems.length > 0) return problems;
  const current = await bundleOfVersion(dir);
  if (bundle === current) return [];
  if (!settled && bundle === before?.bundle) return [];
  return [
    `bundle of "${name}" is neither the one before the run nor the current version's (${bundle === undefined ? 'missing' : 'different'})`,
  ];
}

/** Everything that is wrong with `home`; empty when it is consistent. */
export async function checkHome(home: string, options: CheckHomeOptions): Promise<string[]> {
  const { files, links, leftovers } = await walk(home);
  const problems: string[] = [];
  if (options.settled) problems.push(...leftovers.map((l) => `leftover "${l}" after a completed run`));
  for (const file of files) {
    if (options.settled && file === join(home, 'lock')) problems.push('lock file left after a completed run');
    const problem = parseProblem(file, await readFile(file, 'utf8'));
    if (problem !== undefined) problems.push(`"${relative(home, file)}" does not parse: ${problem}`);
  }
  const versionsRoot = join(home, 'certificates', '.versions');
  for (const name of await readdir(versionsRoot).catch(() => [] as string[])) {
    for (const version of await readdir(join(versionsRoot, name))) {
      if (!version.startsWith('.')) problems.push(...(await versionProblems(join(versionsRoot, name, version))));
    }
  }
  for (const link of links) {
    const target = await readlink(link);
    if ((await lstat(resolve(join(link, '..'), target)).catch(() => undefined)) === undefined)
      problems.push(`link "${relative(home, link)}" dangles`);
  }
  for (const [name, before] of options.before)
    problems.push(...(await certificateProblems(home, name, before, options.settled)));
  return problems;
}

/** Serial as the store writes it (upper-case hex, no leading zero bytes), for comparing with HAProxy. */
export function normaliseSerial(serial: string): string {
  return serial.toUpperCase().replace(/^(00)+(?=.)/, '');
}

/** The serial of the current version of `name`, or undefined when there is none. */
export async function currentSerial(home: string, name: string): Promise<string | undefined> {
  const meta = await textOrUndefined(join(home, 'certificates', name, 'meta.json'));
  return meta === undefined ? undefined : normaliseSerial((JSON.parse(meta) as { serial: string }).serial);
}
