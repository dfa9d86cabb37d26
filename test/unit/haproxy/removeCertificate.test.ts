/**
 * removeCertificate() against an imitation of HAProxy 2.6.12's `del ssl crt-list` / `del ssl cert`
 * whose replies are the transcripts captured from a real 2.6.12 (test/fixtures/haproxy/2.6.12/del-*),
 * behind a real unix socket.
 */
import { HaproxyError } from '../../../src/errors';
import { RuntimeClient, removeCertificate } from '../../../src/haproxy';
import { CapturingLogger } from '../../../src/log';
import { transcript } from '../../fixtures/haproxy';
import { startFakeSocket, type FakeSocket } from './_fakeSocket';

// The paths the transcripts were captured with.
const LIST = '/tmp/hapcap/crt-list.txt';
const A = '/tmp/hapcap/a.pem'; // `bind … crt /tmp/hapcap/a.pem`: used directly
const B = '/tmp/hapcap/b.pem'; // one crt-list line
const D = '/tmp/hapcap/d.pem'; // two crt-list lines

/** Certificates, crt-list lines (path by line number) and the one transaction of HAProxy 2.6. */
class DelHaproxy {
  readonly certs = new Set([A, B, D]);
  readonly direct = new Set([A]);
  readonly lists = new Map<string, Map<number, string>>([
    [
      LIST,
      new Map([
        [1, B],
        [2, D],
        [3, D],
      ]),
    ],
  ]);
  transaction: string | undefined;

  respond(request: string): string {
    const line = (request.split('\n')[0] ?? '').replace(/^set severity-output number; /, '');
    const words = line.split(' ');
    if (line === 'show ssl cert')
      return `\n${this.transaction ? `# transaction\n*${this.transaction}\n` : ''}# filename\n${[...this.certs].map((p) => `${p}\n`).join('')}\n`;
    if (line === 'show ssl crt-list') return `\n${[...this.lists.keys()].map((l) => `${l}\n`).join('')}\n`;
    if (line.startsWith('show ssl crt-list -n ')) {
      const entries = [...(this.lists.get(words[4] ?? '') ?? new Map<number, string>())];
      return `\n# ${words[4]}\n${entries.map(([n, p]) => `${p}:${n}\n`).join('')}\n`;
    }
    if (line.startsWith('del ssl crt-list ')) return this.delEntry(words[3] ?? '', words[4] ?? '');
    if (line.startsWith('del ssl cert ')) return this.delCert(words[3] ?? '');
    if (line.startsWith('abort ssl cert ')) {
      this.transaction = undefined;
      return `\n[5]: Transaction aborted for certificate '${words[3]}'!\n\n`;
    }
    return '\n[6]: Unknown command\n\n';
  }

  private delEntry(list: string, entry: string): string {
    const [path, lineNumber] = entry.split(':');
    const lines = this.lists.get(list)!;
    const matching = [...lines].filter(
      ([n, p]) => p === path && (lineNumber === undefined || n === Number(lineNumber)),
    );
    if (lineNumber === undefined && matching.length > 1) return transcript('del-ssl-crt-list-several.severity');
    if (matching.length === 0) return transcript('del-ssl-crt-list-unknown-cert.severity');
    lines.delete(matching[0]![0]);
    return path === B
      ? transcript('del-ssl-crt-list.severity')
      : `\n[5]: Entry '${path}' deleted in crtlist '${list}'!\n\n`;
  }

  private delCert(path: string): string {
    if (!this.certs.has(path)) return transcript('del-ssl-cert-unknown.severity');
    if (this.transaction === path)
      return `\n[3]: Can't remove the certificate: ongoing transaction for the certificate '${path}'\n\n`;
    if (this.direct.has(path) || [...this.lists.values()].some((l) => [...l.values()].includes(path))) {
      return `\n[3]: Can't remove the certificate: certificate '${path}' in use, can't be deleted!\n\n\n`;
    }
    this.certs.delete(path);
    return path === B ? transcript('del-ssl-cert.severity') : `\n[5]: Certificate '${path}' deleted!\n\n`;
  }
}

let fake: FakeSocket | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup() {
  const haproxy = new DelHaproxy();
  fake = await startFakeSocket((request) => haproxy.respond(request));
  const client = new RuntimeClient({
    endpoint: { kind: 'unix', path: fake.socketPath },
    logger: new CapturingLogger(),
  });
  return { haproxy, client, socket: fake };
}

describe('removeCertificate()', () => {
  test('removeCertificate() deletes the crt-list entry, then the certificate', async () => {
    const { haproxy, client, socket } = await setup();
    const result = await removeCertificate(client, { path: B });
    expect(result).toEqual({
      path: B,
      endpoint: `unix@${socket.socketPath}`,
      removedFrom: [LIST],
      deleted: true,
      abortedStaleTransaction: false,
    });
    expect(socket.commands()).toEqual([
      'show ssl cert',
      'show ssl crt-list',
      `show ssl crt-list -n ${LIST}`,
      `del ssl crt-list ${LIST} ${B}`,
      `del ssl cert ${B}`,
    ]);
    expect([haproxy.certs.has(B), [...haproxy.lists.get(LIST)!.values()]]).toEqual([false, [D, D]]);
  });

  test('removeCertificate() deletes duplicate lines by line number, the highest first', async () => {
    const { haproxy, client, socket } = await setup();
    await removeCertificate(client, { path: D });
    expect(socket.commands().slice(3)).toEqual([
      `del ssl crt-list ${LIST} ${D}:3`,
      `del ssl crt-list ${LIST} ${D}:2`,
      `del ssl cert ${D}`,
    ]);
    expect([...haproxy.lists.get(LIST)!.values()]).toEqual([B]);
  });

  test('removeCertificate() is a no-op for a path HAProxy does not know', async () => {
    const { client, socket } = await setup();
    const result = await removeCertificate(client, { path: '/tmp/hapcap/zzz.pem' });
    expect([result.deleted, result.removedFrom, socket.commands()]).toEqual([false, [], ['show ssl cert']]);
  });

  test('removeCertificate() aborts a transaction left open for its own path first', async () => {
    const { haproxy, client, socket } = await setup();
    haproxy.transaction = B;
    const result = await removeCertificate(client, { path: B });
    expect([result.abortedStaleTransaction, result.deleted, socket.commands()[1]]).toEqual([
      true,
      true,
      `abort ssl cert ${B}`,
    ]);
  });

  test('removeCertificate() explains that a certificate named by "crt" on a bind line cannot be removed at runtime', async () => {
    const { client } = await setup();
    const error = (await removeCertificate(client, { path: A }).catch((e: unknown) => e)) as HaproxyError;
    expect([error instanceof HaproxyError, error.message, error.command]).toEqual([
      true,
      `Cannot delete SSL cert "${A}": a bind line of HAProxy's configuration uses it directly ("crt ${A}"), which HAProxy cannot undo at runtime; ` +
        'remove it from the configuration and reload HAProxy, or list it in a crt-list instead',
      `del ssl cert ${A}`,
    ]);
  });

  test.each<[string, string, string]>([
    [
      'an unknown entry',
      'del-ssl-crt-list-unknown-cert.severity',
      `Cannot run "del ssl crt-list ${LIST} ${B}": HAProxy replied "Can't delete the entry: certificate '/tmp/hapcap/zzz.pem' does not exist!"`,
    ],
    [
      'an unknown list',
      'del-ssl-crt-list-unknown-list.severity',
      `Cannot run "del ssl crt-list ${LIST} ${B}": HAProxy replied "Can't delete the entry: crt-list '/tmp/hapcap/nolist.txt' does not exist!"`,
    ],
  ])(
    'removeCertificate() fails on the captured reply for %s, before deleting the certificate',
    async (_label, name, message) => {
      const { haproxy, client, socket } = await setup();
      const respond = haproxy.respond.bind(haproxy);
      haproxy.respond = (request) => (request.includes('del ssl crt-list') ? transcript(name) : respond(request));
      await expect(removeCertificate(client, { path: B })).rejects.toThrow(message);
      expect(socket.commands().some((c) => c.startsWith('del ssl cert'))).toBe(false);
    },
  );
});
