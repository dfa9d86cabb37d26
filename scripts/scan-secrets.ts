/**
 * Secrets scan over everything the test suite made the CLI print.
 *
 * Writers: `runAcme()` (integration, the built CLI's stdout and stderr) and `cliHarness()` (unit,
 * captured stdout, stderr and log lines) call `appendTranscript()`, one file per test file, in the
 * directory named by ACME_TEST_TRANSCRIPTS. Reader: `npx tsx scripts/scan-secrets.ts [dir]`, run by
 * scripts/test.sh after jest; it exits 1 when a transcript holds a PEM private key, a JWK private
 * member, an EAB HMAC key used by the tests, or a key authorization. Findings name the place and
 * the kind only: printing the secret would leak it into the CI log.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, relative, resolve } from 'node:path';

/** The environment variable naming the transcript directory; scripts/test.sh sets it for the whole jest run. */
export const TRANSCRIPTS_ENV = 'ACME_TEST_TRANSCRIPTS';

const ROOT = resolve(__dirname, '..');
const MAX_TEST_NAME_CHARS = 200;

/** The transcript directory: $ACME_TEST_TRANSCRIPTS, else `<tmpdir>/haproxy-acme-transcripts-<uid>`. */
export function transcriptDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[TRANSCRIPTS_ENV];
  if (configured !== undefined && configured.trim() !== '') return resolve(configured);
  let uid: number | string;
  try {
    uid = userInfo().uid;
  } catch {
    uid = 'user';
  }
  return join(tmpdir(), `haproxy-acme-transcripts-${uid}`);
}

/** One piece of output to keep: which test produced it, on which stream, and the text as printed. */
export interface TranscriptEntry {
  /** Absolute path of the test file (jest's `expect.getState().testPath`); names the transcript file. */
  testPath: string | undefined;
  /** Jest's `expect.getState().currentTestName`; undefined outside a test. */
  testName: string | undefined;
  /** `stdout`, `stderr` or `log`. */
  stream: string;
  text: string;
}

/** The transcript file of a test file: its path under the repository with `/` written as `__`. */
export function transcriptFileOf(testPath: string | undefined, directory: string): string {
  const name =
    testPath === undefined ? `outside-jest-${process.pid}` : relative(ROOT, testPath).replace(/[\\/]/g, '__');
  return join(directory, `${name}.log`);
}

const createdDirectories = new Set<string>();

/**
 * Appends one entry under a `### <test name> [<stream>]` header (synchronously, so nothing is lost when
 * a worker exits). Jest runs one test file per worker at a time, so a file has a single writer.
 */
export function appendTranscript(entry: TranscriptEntry, env: NodeJS.ProcessEnv = process.env): void {
  if (entry.text === '') return;
  const directory = transcriptDirectory(env);
  if (!createdDirectories.has(directory)) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    createdDirectories.add(directory);
  }
  const name = (entry.testName ?? '(outside a test)').slice(0, MAX_TEST_NAME_CHARS).replace(/\n/g, ' ');
  const body = entry.text.endsWith('\n') ? entry.text : `${entry.text}\n`;
  appendFileSync(transcriptFileOf(entry.testPath, directory), `### ${name} [${entry.stream}]\n${body}`, {
    mode: 0o600,
  });
}

/** What a finding is; never the secret itself. */
export type SecretKind = 'pem-private-key' | 'jwk-private-member' | 'eab-hmac-key' | 'key-authorization';

/** Where a secret was found: 1-based line and column. */
export interface Finding {
  file: string;
  line: number;
  column: number;
  kind: SecretKind;
}

/** The base64url alphabet, for character classes (the hyphen escaped so more may follow). */
const B64 = 'A-Za-z0-9_\\-';
const PATTERNS: readonly [SecretKind, RegExp][] = [
  // Any PEM private key: PKCS#8, "EC", "RSA", "ENCRYPTED", "OPENSSH". The redactor leaves none of these.
  ['pem-private-key', /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/g],
  // RFC 7517/7518 private members, also inside JSON written as a string (\"d\"). 43 characters is the
  // shortest of them (P-256 "d"); "[redacted]" never matches.
  ['jwk-private-member', new RegExp(`\\\\?"(?:d|p|q|dp|dq|qi|k)\\\\?"\\s*:\\s*\\\\?"[${B64}]{43,}`, 'g')],
  // EAB keys given by name, whatever their value.
  ['eab-hmac-key', new RegExp(`(?:ACME_EAB_HMAC_KEY=|\\\\?"hmacKey\\\\?"\\s*:\\s*\\\\?")[${B64}]{16,}`, 'g')],
  // RFC 8555 §8.1: token "." base64url(SHA-256 JWK thumbprint), 43 characters. The boundaries keep out
  // dotted host names and JWS compact serialisations (header.payload.signature).
  ['key-authorization', new RegExp(`(?<![${B64}.])[${B64}]{22,128}\\.[${B64}]{43}(?![${B64}]|\\.[${B64}])`, 'g')],
];

function positionOf(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < index; at = text.indexOf('\n', at + 1)) {
    line += 1;
    lineStart = at + 1;
  }
  return { line, column: index - lineStart + 1 };
}

/** Options of scanText() and scanTranscripts(). */
export interface ScanOptions {
  /** Exact secrets to look for besides the patterns: the EAB HMAC keys of the tests. Default: none. */
  eabKeys?: readonly string[];
}

/** Every secret in `text` (pure), in order of position; `file` is copied into each finding. */
export function scanText(text: string, file: string, options: ScanOptions = {}): Finding[] {
  const hits: { index: number; kind: SecretKind }[] = [];
  for (const [kind, pattern] of PATTERNS) {
    for (const match of text.matchAll(pattern)) hits.push({ index: match.index, kind });
  }
  for (const key of options.eabKeys ?? []) {
    for (let at = text.indexOf(key); at !== -1; at = text.indexOf(key, at + 1))
      hits.push({ index: at, kind: 'eab-hmac-key' });
  }
  const unique = new Map(hits.map((hit) => [`${hit.index} ${hit.kind}`, hit]));
  return [...unique.values()]
    .sort((a, b) => a.index - b.index)
    .map((hit) => ({ file, ...positionOf(text, hit.index), kind: hit.kind }));
}

/** Files that name an HMAC key: their long base64url literals are taken as EAB keys. */
const MENTIONS_HMAC = /hmac/i;
/** A quoted base64url literal of 32+ characters: at least 24 bytes, the size of key CAs and pebble hand out. */
const LONG_LITERAL = new RegExp(`['"\`]([${B64}]{32,})['"\`]`, 'g');

/** The EAB HMAC keys written in test sources (pure): long base64url literals in files that mention "hmac". */
export function eabKeysIn(sources: readonly string[]): string[] {
  const keys = sources
    .filter((source) => MENTIONS_HMAC.test(source))
    .flatMap((source) => [...source.matchAll(LONG_LITERAL)].map((m) => m[1] as string));
  return [...new Set(keys)].sort();
}

function filesUnder(directory: string, suffix: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return filesUnder(path, suffix);
    return entry.isFile() && entry.name.endsWith(suffix) ? [path] : [];
  });
}

/** What one scan covered and found. */
export interface ScanResult {
  files: number;
  lines: number;
  findings: Finding[];
}

/** Scans every file in `directory` (recursively). */
export function scanTranscripts(directory: string, options: ScanOptions = {}): ScanResult {
  const result: ScanResult = { files: 0, lines: 0, findings: [] };
  for (const file of filesUnder(directory, '').sort()) {
    const text = readFileSync(file, 'utf8');
    result.files += 1;
    result.lines += text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    result.findings.push(...scanText(text, relative(directory, file), options));
  }
  return result;
}

/** The report scan-secrets prints: totals, then one line per finding (place and kind only). */
export function formatReport(directory: string, result: ScanResult, eabKeyCount: number): string {
  const head = `Secrets scan: ${result.files} transcript files, ${result.lines} lines in "${directory}" (${eabKeyCount} EAB test keys known)`;
  if (result.findings.length === 0) return `${head}: no secrets found\n`;
  const where = result.findings.map((f) => `  ${f.file}:${f.line}:${f.column} ${f.kind}`);
  return [`${head}: ${result.findings.length} secrets found (values not shown)`, ...where, ''].join('\n');
}

function main(argv: readonly string[]): number {
  const directory = argv[0] === undefined ? transcriptDirectory() : resolve(argv[0]);
  let exists = false;
  try {
    exists = statSync(directory).isDirectory();
  } catch {
    exists = false;
  }
  if (!exists) {
    process.stderr.write(
      `Cannot scan test transcripts in "${directory}": the directory does not exist; run the tests with ${TRANSCRIPTS_ENV} set\n`,
    );
    return 1;
  }
  const eabKeys = eabKeysIn(filesUnder(join(ROOT, 'test'), '.ts').map((file) => readFileSync(file, 'utf8')));
  const result = scanTranscripts(directory, { eabKeys });
  if (result.files === 0) {
    process.stderr.write(
      `Cannot scan test transcripts in "${directory}": the directory is empty; did the tests run with ${TRANSCRIPTS_ENV} set?\n`,
    );
    return 1;
  }
  const report = formatReport(directory, result, eabKeys.length);
  (result.findings.length === 0 ? process.stdout : process.stderr).write(report);
  return result.findings.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
