import * as net from 'node:net';

import { CertificateError, HaproxyError } from '../../../src/errors';
import { RuntimeClient } from '../../../src/haproxy';
import { MAX_REPLY_BYTES } from '../../../src/haproxy/_socket';
import { CapturingLogger } from '../../../src/log';
import { certs } from '../../fixtures/certs';
import { transcript } from '../../fixtures/haproxy';
import { startFakeSocket, type FakeSocket } from './_fakeSocket';

const a = '/tmp/haproxy-acme-capture/certs/a.pem';
const b = '/tmp/haproxy-acme-capture/certs/b.pem';
const bundle = certs.ecLeaf + certs.ecIntermediate + certs.ecLeafKey;

let fake: FakeSocket | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function clientFor(
  respond: (request: string) => string | undefined,
  options: { timeoutMs?: number; bufferSize?: number } = {},
) {
  fake = await startFakeSocket(respond);
  const logger = new CapturingLogger();
  return {
    client: new RuntimeClient({ endpoint: { kind: 'unix', path: fake.socketPath }, logger, ...options }),
    logger,
    fake,
  };
}

describe('RuntimeClient', () => {
  test('execute() sends one prefixed line and returns the raw reply', async () => {
    const { client, fake } = await clientFor(() => transcript('show-version.severity'));
    await expect(client.execute('show version')).resolves.toBe('\n[6]: 2.6.12-1+deb12u4\n\n');
    expect(fake.requests).toEqual(['set severity-output number; show version\n']);
  });

  test('setSslCert() sends the sanitised payload and its terminating empty line', async () => {
    const { client, fake } = await clientFor(() => transcript('set-ssl-cert-created.severity'));
    await client.setSslCert(a, `Bag Attributes\r\n${bundle.replace(/\n/g, '\r\n\r\n')}`);
    expect(fake.requests).toEqual([`set severity-output number; set ssl cert ${a} <<\n${bundle}\n`]);
  });

  test('setSslCert() refuses a reply that names another certificate (HAProxy 2.6 bug)', async () => {
    const { client } = await clientFor(() => transcript('set-ssl-cert-other-path.severity'));
    await expect(client.setSslCert(b, bundle)).rejects.toThrow(
      expect.objectContaining({
        name: HaproxyError.name,
        command: `set ssl cert ${b}`,
        message: `Cannot set SSL cert "${b}": HAProxy put the payload into the open transaction of "${a}" (HAProxy 2.6 does not check the name); abort it before retrying`,
      }),
    );
  });

  test('setSslCert() checks the size before connecting', async () => {
    const { client, fake } = await clientFor(() => 'unexpected', { bufferSize: 1024 });
    await expect(client.setSslCert(a, bundle)).rejects.toThrow(
      /^Cannot send "set ssl cert \/tmp\/haproxy-acme-capture\/certs\/a.pem": the payload is \d+ bytes but HAProxy's buffer \(tune.bufsize\) is 1024; /,
    );
    expect(fake.requests).toEqual([]);
  });

  test('setSslCert() rejects a bundle without a key before connecting', async () => {
    const { client, fake } = await clientFor(() => 'unexpected');
    await expect(client.setSslCert(a, certs.ecLeaf)).rejects.toThrow(CertificateError);
    expect(fake.requests).toEqual([]);
  });

  test.each<[string, (c: RuntimeClient) => Promise<unknown>, string]>([
    ['commitSslCert', (c) => c.commitSslCert(a), 'commit-ssl-cert-inconsistent.severity'],
    ['abortSslCert', (c) => c.abortSslCert(a), 'abort-ssl-cert-none.severity'],
    ['newSslCert', (c) => c.newSslCert(a), 'new-ssl-cert-exists.severity'],
    ['showSslCert', (c) => c.showSslCert('a.pem'), 'show-ssl-cert-bare-name.severity'],
    ['addSslCrtList', (c) => c.addSslCrtList('/l', { path: a }), 'add-ssl-crt-list-unknown-cert.severity'],
    // A reply that is not an error but not the expected confirmation either.
    ['commitSslCert with a show reply', (c) => c.commitSslCert(a), 'show-version.severity'],
    ['abortSslCert with a commit reply', (c) => c.abortSslCert(a), 'commit-ssl-cert.severity'],
  ])('%s() throws a HaproxyError on a failure reply', async (_label, call, name) => {
    const { client } = await clientFor(() => transcript(name));
    await expect(call(client)).rejects.toThrow(
      expect.objectContaining({ name: HaproxyError.name, reply: transcript(name), endpoint: client.where }),
    );
  });

  test.each<[string, (c: RuntimeClient) => Promise<unknown>, string, unknown]>([
    [
      'showSslCert()',
      (c) => c.showSslCert(),
      'show-ssl-cert-list-transaction.severity',
      { transaction: a, certificates: [a, b, '/tmp/haproxy-acme-capture/default.pem'] },
    ],
    [
      'showSslCert(path)',
      (c) => c.showSslCert(a).then((i) => i.serial),
      'show-ssl-cert.severity',
      '7FB69016A6965EB00430',
    ],
    ['showVersion()', (c) => c.showVersion(), 'show-version.severity', '2.6.12-1+deb12u4'],
    ['showInfo()', (c) => c.showInfo().then((i) => i.version), 'show-info.severity', '2.6.12-1+deb12u4'],
    [
      'showSslCrtList()',
      (c) => c.showSslCrtList(),
      'show-ssl-crt-list.severity',
      ['/tmp/haproxy-acme-capture/crt-list.txt'],
    ],
    ['commitSslCert()', (c) => c.commitSslCert(a), 'commit-ssl-cert.severity', undefined],
  ])('%s resolves with the parsed reply', async (_label, call, name, expected) => {
    const { client } = await clientFor(() => transcript(name));
    await expect(call(client)).resolves.toEqual(expected);
  });

  test.each<[string, Parameters<RuntimeClient['addSslCrtList']>[1], string]>([
    ['the plain form', { path: a }, `set severity-output number; add ssl crt-list /l ${a}\n`],
    [
      'the payload form',
      { path: a, sni: ['a.example.test'], options: 'alpn h2' },
      `set severity-output number; add ssl crt-list /l <<\n${a} [alpn h2] a.example.test\n\n`,
    ],
  ])('addSslCrtList() uses %s', async (_label, line, request) => {
    const { client, fake } = await clientFor(() => transcript('add-ssl-crt-list.severity'));
    await client.addSslCrtList('/l', line);
    expect(fake.requests).toEqual([request]);
  });

  test('commitSslCert() sends the command again while the certificate lock is busy', async () => {
    const replies = [
      transcript('set-ssl-cert-locked.severity'),
      transcript('set-ssl-cert-locked.severity'),
      transcript('commit-ssl-cert.severity'),
    ];
    const { client, fake } = await clientFor(() => replies.shift());
    await client.commitSslCert(a);
    expect(fake.commands()).toEqual([`commit ssl cert ${a}`, `commit ssl cert ${a}`, `commit ssl cert ${a}`]);
  });

  test('commitSslCert() gives up after 5 busy replies with a retryable error', async () => {
    const { client, fake } = await clientFor(() => transcript('set-ssl-cert-locked.severity'));
    await expect(client.commitSslCert(a)).rejects.toThrow(expect.objectContaining({ retryable: true }));
    expect(fake.requests).toHaveLength(5);
  });

  test('execute() times out on a peer that never answers (retryable)', async () => {
    const { client } = await clientFor(() => undefined, { timeoutMs: 200 });
    await expect(client.execute('show version')).rejects.toThrow(
      expect.objectContaining({
        name: HaproxyError.name,
        retryable: true,
        command: 'show version',
        message: `Cannot run "show version" on HAProxy socket "${client.where}": no complete reply within 200 ms`,
      }),
    );
  });

  test('execute() stops reading a reply above MAX_REPLY_BYTES (a flooding peer) long before its timeout, not retryable', async () => {
    const { client } = await clientFor(() => 'A'.repeat(MAX_REPLY_BYTES + 1), { timeoutMs: 60_000 });
    await expect(client.execute('show ssl cert')).rejects.toThrow(
      expect.objectContaining({
        name: HaproxyError.name,
        retryable: false,
        command: 'show ssl cert',
        message: `Cannot run "show ssl cert" on HAProxy socket "${client.where}": the reply exceeded ${MAX_REPLY_BYTES} bytes; is this HAProxy's runtime socket?`,
      }),
    );
  });

  test('execute() reports a missing socket as retryable', async () => {
    const client = new RuntimeClient({
      endpoint: { kind: 'unix', path: '/nonexistent/admin.sock' },
      logger: new CapturingLogger(),
    });
    await expect(client.execute('show version')).rejects.toThrow(
      expect.objectContaining({
        retryable: true,
        message:
          'Cannot run "show version" on HAProxy socket "unix@/nonexistent/admin.sock": connect ENOENT /nonexistent/admin.sock; is HAProxy running with this "stats socket"?',
      }),
    );
  });

  test('a TCP peer that speaks something else gives a HaproxyError, not a hang', async () => {
    const server = net.createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const client = new RuntimeClient({
        endpoint: { kind: 'tcp', host: '127.0.0.1', port },
        logger: new CapturingLogger(),
        timeoutMs: 2000,
      });
      await expect(client.commitSslCert(a)).rejects.toThrow(
        `Cannot commit SSL cert "${a}": HAProxy replied "HTTP/1.1 400 Bad Request"`,
      );
    } finally {
      server.close();
    }
  });

  test.each<[string, string, unknown]>([
    ['only the terminating empty line (2.6 holding no certificate at all)', '\n', { certificates: [] }],
    ['only a severity-prefixed empty line', '\n[6]: \n\n', { certificates: [] }],
  ])('showSslCert() reads %j as an empty list', async (_what, reply, expected) => {
    const { client } = await clientFor(() => reply);
    await expect(client.showSslCert()).resolves.toEqual(expected);
  });

  test('showSslCert() still fails on a connection closed without a byte', async () => {
    const { client } = await clientFor(() => '');
    await expect(client.showSslCert()).rejects.toThrow('HAProxy closed the connection without a reply');
  });

  test('execute() refuses a command with a line break and logs no payload', async () => {
    const { client, logger } = await clientFor(() => transcript('set-ssl-cert-created.severity'));
    await expect(client.execute('show version\nshow info')).rejects.toThrow(HaproxyError);
    await client.setSslCert(a, bundle);
    expect(JSON.stringify(logger.records)).not.toContain('BEGIN');
    expect(logger.records.map((record) => record.fields.command)).toEqual([`set ssl cert ${a}`]);
  });
});
