import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../../src/errors';
import { readSnapOptions } from '../../../src/config';

const FIXTURE_DIR = resolve(__dirname, '../../fixtures/snapctl');
const KEYS = ['acme-home', 'acme-port', 'acme-staging', 'acme-domain'];
const COMMAND = 'snapctl get -d acme-home acme-port acme-staging acme-domain';

let dir: string;
let outputFile: string;
let argsFile: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-snapctl-'));
  outputFile = join(dir, 'output.json');
  argsFile = join(dir, 'args.txt');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The env handed to snapctl: the stand-in first on PATH; process.env is never touched. */
function fixtureEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${FIXTURE_DIR}:/usr/bin:/bin`,
    SNAPCTL_FIXTURE_OUTPUT: outputFile,
    SNAPCTL_FIXTURE_ARGS: argsFile,
    ...extra,
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('readSnapOptions()', () => {
  test('readSnapOptions() runs "snapctl get -d <keys>" and keeps only the options that are set', async () => {
    await writeFile(
      outputFile,
      JSON.stringify({ 'acme-port': 8080, 'acme-staging': true, 'acme-home': null, other: 'x' }),
    );
    await expect(readSnapOptions(KEYS, { env: fixtureEnv() })).resolves.toEqual({
      'acme-port': 8080,
      'acme-staging': true,
    });
    expect((await readFile(argsFile, 'utf8')).split('\n')).toEqual(['get', '-d', ...KEYS, '']);
  });

  test('readSnapOptions() returns {} for an empty document (nothing set)', async () => {
    await writeFile(outputFile, '{}\n');
    await expect(readSnapOptions(KEYS, { env: fixtureEnv() })).resolves.toEqual({});
  });

  test('readSnapOptions() keeps typed values such as lists as they are', async () => {
    await writeFile(outputFile, JSON.stringify({ 'acme-domain': ['a.example.com', 'b.example.com'] }));
    await expect(readSnapOptions(KEYS, { env: fixtureEnv() })).resolves.toEqual({
      'acme-domain': ['a.example.com', 'b.example.com'],
    });
  });

  test('readSnapOptions() does not run snapctl when no key is asked for', async () => {
    await expect(readSnapOptions([], { env: fixtureEnv() })).resolves.toEqual({});
    await expect(readFile(argsFile)).rejects.toThrow('ENOENT');
  });

  test.each<[string, Record<string, string>, string]>([
    [
      'a failing snapctl',
      { SNAPCTL_FIXTURE_EXIT: '1' },
      'error: snap "haproxy" has no "acme-home" configuration option',
    ],
    ['a snapctl that hangs', { SNAPCTL_FIXTURE_SLEEP: '5' }, 'no answer within 200 ms'],
    ['a missing snapctl', { PATH: '/nonexistent' }, 'snapctl was not found on PATH'],
  ])('readSnapOptions() turns %s into a ConfigError naming the command', async (_case, extra, detail) => {
    const failure = readSnapOptions(KEYS, { env: fixtureEnv(extra), timeoutMs: 200 });
    const error = await rejectionOf(failure);
    expect(error.message).toBe(`Cannot read snap options with "${COMMAND}": ${detail}`);
    expect(error.source).toBe('snapctl');
    // The cause is child_process's own error (another realm than jest's, so no toBeInstanceOf).
    expect(error.cause).toHaveProperty('message', expect.any(String));
  });

  test.each<[string, string]>([
    ['not json', 'the output is not JSON'],
    ['["acme-port"]', 'expected a JSON object'],
    ['null', 'expected a JSON object'],
    ['"text"', 'expected a JSON object'],
  ])('readSnapOptions() rejects the output %j', async (output, detail) => {
    await writeFile(outputFile, output);
    const error = await rejectionOf(readSnapOptions(KEYS, { env: fixtureEnv() }));
    expect(error.message).toBe(`Cannot read snap options with "${COMMAND}": ${detail}`);
  });
});
