/** ExecSnapctl against the stand-in snapctl (test/fixtures/snap/snapctl) as a real process. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../../../src/errors';
import { ExecSnapctl } from '../../../src/snap';

const STAND_IN_DIR = resolve(__dirname, '../../fixtures/snap');

let root: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'haproxy-acme-execsnapctl-'));
  env = {
    PATH: [STAND_IN_DIR, dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter),
    SNAPCTL_STORE: join(root, 'store.json'),
    SNAPCTL_LOG: join(root, 'log'),
  };
  await writeFile(join(root, 'store.json'), JSON.stringify({ 'acme-port': 34000, 'acme-domain': 'example.com' }));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const calls = async (): Promise<string[][]> =>
  (await readFile(join(root, 'log'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as string[]);

describe('ExecSnapctl', () => {
  test('get() runs one "snapctl get -d" and leaves unset keys out', async () => {
    expect(await new ExecSnapctl({ env }).get(['acme-port', 'acme-email'])).toEqual({ 'acme-port': 34000 });
    expect(await calls()).toEqual([['get', '-d', 'acme-port', 'acme-email']]);
  });

  test('set() passes key=value pairs, which snapctl stores typed', async () => {
    await new ExecSnapctl({ env }).set({ 'acme-port': '34567' });
    expect(await calls()).toEqual([['set', 'acme-port=34567']]);
    expect(JSON.parse(await readFile(join(root, 'store.json'), 'utf8'))).toEqual({ 'acme-port': 34567, 'acme-domain': 'example.com' });
  });

  test('restart() names every service', async () => {
    await new ExecSnapctl({ env }).restart(['haproxy-acme.haproxy', 'haproxy-acme.renewer']);
    expect(await calls()).toEqual([['restart', 'haproxy-acme.haproxy', 'haproxy-acme.renewer']]);
  });

  test.each<[string, NodeJS.ProcessEnv | undefined, string]>([
    ['snapctl is not on PATH', { PATH: '/nonexistent' }, 'Cannot run "snapctl set a=1": snapctl was not found on PATH'],
    ['snapctl refuses', undefined, 'Cannot run "snapctl set a=1 =2": error: invalid configuration: "=2" (want key=value)'],
  ])('set() throws ConfigError when %s', async (_name, override, message) => {
    const snapctl = new ExecSnapctl({ env: { ...env, ...override } });
    const values: Record<string, string> = override === undefined ? { a: '1', '': '2' } : { a: '1' };
    const error = await snapctl.set(values).then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(ConfigError);
    expect([(error as ConfigError).message, (error as ConfigError).source]).toEqual([message, 'snapctl']);
  });
});
