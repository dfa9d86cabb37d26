import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { FileDeployStateStore, checkNodeId } from '../../../src/storage';

const SOCKET = 'unix@/run/haproxy/admin.sock';
const ENTRY = { status: 'deployed' as const, serial: 'AB', method: 'swap' as const, at: '2026-11-27T00:00:00.000Z' };

describe('FileDeployStateStore', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'haproxy-acme-deploy-state-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  async function put(name: string, content: string): Promise<string> {
    await mkdir(join(home, 'deploy'), { recursive: true });
    const path = join(home, 'deploy', `${name}.json`);
    await writeFile(path, content);
    return path;
  }

  test('save() writes { endpoints, nodes: { <node>: { endpoints } } } in a 0600 file under deploy/, by sanitised name', async () => {
    const store = new FileDeployStateStore({ home, node: 'node-1' });
    await store.save('Site.Example', 'node-1', { endpoints: { [SOCKET]: ENTRY } });
    const path = join(home, 'deploy', 'site.example.json');
    expect([JSON.parse(await readFile(path, 'utf8')), (await stat(path)).mode & 0o777]).toEqual([
      { endpoints: { [SOCKET]: ENTRY }, nodes: { 'node-1': { endpoints: { [SOCKET]: ENTRY } } } },
      0o600,
    ]);
  });

  test("the top-level endpoints are this node's, whichever node saved last: what the previous release reads after a revert", async () => {
    const store = new FileDeployStateStore({ home, node: 'node-1' });
    await store.save('site', 'node-1', { endpoints: { [SOCKET]: ENTRY } });
    await store.save('site', 'node-2', { endpoints: { [SOCKET]: { ...ENTRY, serial: 'CD' } } });
    // The previous release's reader: `{ endpoints }`, other keys ignored.
    const previousRelease = z.object({ endpoints: z.record(z.string(), z.object({ serial: z.string() })) });
    const file = JSON.parse(await readFile(join(home, 'deploy', 'site.json'), 'utf8'));
    expect(previousRelease.parse(file)).toEqual({ endpoints: { [SOCKET]: { serial: 'AB' } } });
  });

  test("what the previous release writes back after a revert ({ endpoints } alone) reads as this node's state again", async () => {
    const store = new FileDeployStateStore({ home, node: 'node-1' });
    await store.save('site', 'node-1', { endpoints: {} });
    await put('site', JSON.stringify({ endpoints: { [SOCKET]: ENTRY } }));
    expect(await store.load('site', 'node-1')).toEqual({ endpoints: { [SOCKET]: ENTRY } });
  });

  test.each(['constructor', 'tostring', 'hasownproperty'])(
    'a node named %s (an Object.prototype member) has no state until one is saved',
    async (node) => {
      const store = new FileDeployStateStore({ home, node: 'node-1' });
      await store.save('site', 'node-1', { endpoints: { [SOCKET]: ENTRY } });
      expect(await store.load('site', node)).toEqual({ endpoints: {} });
      await store.save('site', node, { endpoints: { [SOCKET]: ENTRY } });
      expect(await store.load('site', node)).toEqual({ endpoints: { [SOCKET]: ENTRY } });
    },
  );

  test("a file of the previous layout ({ endpoints }) reads as this node's state and no other node's", async () => {
    await put('site', JSON.stringify({ endpoints: { [SOCKET]: ENTRY } }));
    const store = new FileDeployStateStore({ home, node: 'node-1' });
    expect([
      await store.load('site', 'node-1'),
      await store.load('site', 'node-2'),
      await store.loadAllNodes('site'),
    ]).toEqual([
      { endpoints: { [SOCKET]: ENTRY } },
      { endpoints: {} },
      { 'node-1': { endpoints: { [SOCKET]: ENTRY } } },
    ]);
  });

  test("save() of another node over a previous-layout file keeps this node's state", async () => {
    await put('site', JSON.stringify({ endpoints: { [SOCKET]: ENTRY } }));
    await new FileDeployStateStore({ home, node: 'node-1' }).save('site', 'node-2', { endpoints: {} });
    expect(JSON.parse(await readFile(join(home, 'deploy', 'site.json'), 'utf8'))).toEqual({
      endpoints: { [SOCKET]: ENTRY },
      nodes: { 'node-1': { endpoints: { [SOCKET]: ENTRY } }, 'node-2': { endpoints: {} } },
    });
  });

  test.each([
    ['not JSON', '{', 'it is not valid JSON'],
    ['a wrong shape', '{"endpoints":{"x":{"status":"maybe"}}}', 'Cannot read'],
    ['a node key that is not a node id', '{"nodes":{"__proto__":{"endpoints":{}}}}', 'Cannot read'],
    [
      'a "__proto__" key written with an escape',
      String.raw`{"nodes":{"\u005f_proto__":{"endpoints":{}}}}`,
      '__proto__',
    ],
    ['nodes that are not an object', '{"nodes":[]}', 'Cannot read'],
  ])(
    'load() of %s throws STORAGE_CORRUPT naming the file, and save() leaves it as it is',
    async (_label, content, message) => {
      const path = await put('site', content);
      const store = new FileDeployStateStore({ home, node: 'node-1' });
      const corrupt = { code: 'STORAGE_CORRUPT', message: expect.stringContaining(message), path };
      await expect(store.load('site', 'node-1')).rejects.toMatchObject(corrupt);
      await expect(store.save('site', 'node-1', { endpoints: {} })).rejects.toMatchObject(corrupt);
      expect(await readFile(path, 'utf8')).toBe(content);
    },
  );

  test('the constructor refuses a node id that is not one', () => {
    expect(() => new FileDeployStateStore({ home, node: 'Node 1' })).toThrow(
      'Cannot use node id "Node 1": expected 1 to 64 characters from a-z, 0-9, ".", "_" and "-", starting and ending with a letter or digit',
    );
  });
});

describe('checkNodeId()', () => {
  test.each(['a', 'node-1', 'haproxy-1.lan', 'a_b', '0', 'n'.repeat(64)])('accepts %p', (node) => {
    expect(checkNodeId(node)).toBe(node);
  });
  test.each(['', 'A', '.x', 'x.', '-x', 'x-', 'n'.repeat(65), 'a/b', 'a b', '__proto__', 'ﬀ', 'x\n'])(
    'refuses %p',
    (node) => {
      expect(() => checkNodeId(node)).toThrow(/^Cannot use node id /);
    },
  );
});
