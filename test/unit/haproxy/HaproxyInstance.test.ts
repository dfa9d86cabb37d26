import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyInstance } from '../../../src/haproxy';
import { CapturingLogger } from '../../../src/log';

const TRANSCRIPTS = join(__dirname, '..', '..', 'fixtures', 'haproxy', '2.6.12');

/** A unix socket that answers every connection with one captured HAProxy 2.6.12 reply, then closes. */
async function replayingSocket(path: string, transcript: string): Promise<Server> {
  const reply = await readFile(join(TRANSCRIPTS, transcript), 'utf8');
  const server = createServer((socket) => {
    socket.once('data', () => socket.end(reply));
  });
  await new Promise<void>((done) => server.listen(path, done));
  return server;
}

describe('HaproxyInstance', () => {
  let dir: string;
  let server: Server | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-instance-'));
  });
  afterEach(async () => {
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  test('servedCertificate() is undefined when HAProxy answers "Not found" for the path', async () => {
    const path = join(dir, 'admin.sock');
    server = await replayingSocket(path, 'show-ssl-cert-bare-name.severity.txt');
    const instance = new HaproxyInstance({ endpoint: { kind: 'unix', path }, logger: new CapturingLogger() });
    await expect(instance.servedCertificate('/srv/acme/haproxy/a.pem')).resolves.toBeUndefined();
  });

  test('servedCertificate() returns the serial and SHA-1 HAProxy reports', async () => {
    const path = join(dir, 'admin.sock');
    server = await replayingSocket(path, 'show-ssl-cert.severity.txt');
    const instance = new HaproxyInstance({ endpoint: { kind: 'unix', path }, logger: new CapturingLogger() });
    const served = await instance.servedCertificate('/srv/hap/certs/a.example.test.pem');
    expect(served).toEqual({
      serial: expect.stringMatching(/^[0-9A-F]+$/),
      sha1Fingerprint: expect.stringMatching(/^[0-9A-F]{40}$/),
    });
  });

  test.each([
    [0o600, []],
    [0o660, ['HAProxy runtime socket "%s" is accessible to other users (mode 0660)']],
    [0o666, ['HAProxy runtime socket "%s" is accessible to other users (mode 0666)']],
  ])('HaproxyInstance warns once when the unix socket has mode %o', async (mode, expected) => {
    const path = join(dir, 'admin.sock');
    server = await replayingSocket(path, 'show-ssl-cert-bare-name.severity.txt');
    await chmod(path, mode);
    const logger = new CapturingLogger();
    const instance = new HaproxyInstance({ endpoint: { kind: 'unix', path }, logger });
    await instance.servedCertificate('/a.pem');
    await instance.servedCertificate('/a.pem');
    const warnings = logger.records.filter((r) => r.level === 'warn').map((r) => r.message.split(':')[0]);
    expect(warnings).toEqual(expected.map((m) => m.replace('%s', path)));
  });
});
