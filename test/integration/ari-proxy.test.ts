/**
 * ARI (RFC 9773), ACME profiles and IP identifiers (RFC 8738) through AcmeService against the
 * run's REAL pebble, behind the ARI proxy (test/peers/_ari-proxy.ts) that serves the `renewalInfo`
 * windows a test sets, lists profiles (Let's Encrypt's in front of pebble 2.4, pebble 2.7's own)
 * and records every newOrder payload. Pebble 2.4 ignores `replaces` and `profile`; pebble 2.7
 * checks `replaces` against the certificates it issued, refuses a second replacement of one
 * certificate, and issues with the profile's lifetime. HTTP-01 is validated by pebble's VA through
 * the real HAProxy of the peers into our ChallengeResponder, as in issuance.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import {
  AcmeService,
  createAccountKey,
  createCertificateKey,
  createCsr,
  type NewOrderOptions,
  type PlacedOrder,
} from '../../src/acme';
import { ChallengeResponder } from '../../src/challenge';
import { AcmeError } from '../../src/errors';
import { ariCertId } from '../../src/pem';
import { CapturingLogger } from '../../src/log';
import {
  LETS_ENCRYPT_PROFILES,
  bridgeIpv6Loopback,
  hasIpv6Loopback,
  startAriProxy,
  startPeers,
  type AriProxy,
  type Peers,
} from '../peers';

/** RFC 9773 §4.1's example CertID (AKI 69:88:5B:6B:…, serial 0x87654321 with its 00 sign byte). */
const EXAMPLE_CERT_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE';
const ERR = 'urn:ietf:params:acme:error:';
/** pebble 2.7's profiles, as test/peers/_configs.ts configures them: name → [description, validity in seconds]. */
const PEBBLE_PROFILES = { default: ['90 days', 7_776_000], shortlived: ['6 days', 518_400] } as const;
/** pebble 2.4's one validity period (its default `certificateValidityPeriod`: 5 years). */
const PEBBLE_2_4_VALIDITY_S = 157_766_400;

/** Validity of `leaf` in seconds, as RFC 5280 counts it (notAfter is inclusive). */
function validitySeconds(leaf: X509Certificate): number {
  return (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 1000 + 1;
}

let counter = 0;
function uniqueDomain(label: string): string {
  counter += 1;
  return `${label}-${process.pid}-${counter}.example.test`;
}

if (!hasIpv6Loopback)
  console.warn('Skipping the ::1 issuance in ari-proxy.test.ts: this machine has no IPv6 loopback address');
// STYLE §5: a machine without what the test needs skips it with a message.
const testIfIpv6 = hasIpv6Loopback ? test : test.skip;

describe('AcmeService through the ARI proxy in front of pebble', () => {
  let peers: Peers;
  let proxy: AriProxy;
  let acme: AcmeService;
  let responder: ChallengeResponder;
  let certificateKey: string;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    peers = await startPeers();
    proxy = await startAriProxy(peers);
    const caBundlePem = await fs.readFile(peers.caBundlePath, 'utf8');
    acme = new AcmeService(await createAccountKey(), { directoryUrl: proxy.directoryUrl, caBundlePem, logger });
    responder = new ChallengeResponder({
      address: { kind: 'tcp', host: '127.0.0.1', port: peers.responderPort },
      logger,
    });
    await acme.ensureAccount();
    certificateKey = await createCertificateKey('ec256');
  });

  afterAll(async () => {
    acme?.close();
    await proxy?.stop();
    await peers?.stop();
  });

  /** The issuance steps of src/issuance: order → publish tokens → validate → finalize; returns the order and the leaf. */
  async function issue(
    names: string[],
    options?: NewOrderOptions,
  ): Promise<{ order: PlacedOrder; pem: string; leaf: X509Certificate; challenged: string[] }> {
    const release = await responder.acquire();
    try {
      const order = await acme.newOrder(names, options);
      const challenges = await acme.http01Challenges(order);
      await Promise.all(challenges.map((c) => responder.present(c.token, c.keyAuthorization)));
      for (const challenge of challenges) {
        await acme.answerChallenge(challenge);
        await acme.waitForAuthorization(challenge);
      }
      const pem = await acme.finalize(order, await createCsr(names, certificateKey));
      return {
        order,
        pem,
        leaf: new X509Certificate(pem),
        challenged: challenges.map((c) => `${c.identifierType} ${c.domain}`),
      };
    } finally {
      await release();
    }
  }

  test("directoryMeta() shows the proxied profiles (pebble 2.7: its own) and hasRenewalInfo next to pebble's own meta", async () => {
    const pebbleProfiles = { default: PEBBLE_PROFILES.default[0], shortlived: PEBBLE_PROFILES.shortlived[0] };
    expect(await acme.directoryMeta()).toEqual({
      externalAccountRequired: false,
      termsOfService: 'data:text/plain,Do%20what%20thou%20wilt',
      profiles: peers.versions.pebble.profiles ? pebbleProfiles : LETS_ENCRYPT_PROFILES,
      hasRenewalInfo: true,
    });
  });

  test('renewalInfo() returns the window the test set, its explanation URL and Retry-After', async () => {
    const start = new Date('2030-01-02T04:00:00Z');
    const end = new Date('2030-01-03T04:00:00Z');
    proxy.setWindow(
      EXAMPLE_CERT_ID,
      { start, end },
      { retryAfterSeconds: 3600, explanationUrl: 'https://ca.example.test/why' },
    );
    const asked = proxy.renewalInfoRequests.length;
    expect(await acme.renewalInfo(EXAMPLE_CERT_ID)).toEqual({
      window: { start, end },
      explanationUrl: 'https://ca.example.test/why',
      retryAfterMs: 3_600_000,
    });
    expect(proxy.renewalInfoRequests.slice(asked)).toEqual([EXAMPLE_CERT_ID]);
  });

  test('renewalInfo() rejects a window that ends before it starts, naming the URL', async () => {
    const certId = 'AAAA.AQ';
    const body = JSON.stringify({ suggestedWindow: { start: '2030-01-03T00:00:00Z', end: '2030-01-02T00:00:00Z' } });
    proxy.setRenewalInfoResponse(certId, { status: 200, body, headers: { 'Content-Type': 'application/json' } });
    const url = `${new URL(proxy.directoryUrl).origin}/renewal-info/${certId}`;
    const failure = acme.renewalInfo(certId);
    await expect(failure).rejects.toThrow(AcmeError);
    await expect(failure).rejects.toThrow(
      `Cannot read the renewal information at "${url}": the window ends ("2030-01-02T00:00:00.000Z") before or when it starts ("2030-01-03T00:00:00.000Z")`,
    );
  });

  test("newOrder() sends replaces and profile to the CA, and the order is issued (pebble 2.7: for the profile's lifetime)", async () => {
    const name = uniqueDomain('replacing');
    const replaces = ariCertId((await issue([name])).pem);
    const before = proxy.orders.length;
    const { order, leaf, challenged } = await issue([name], { replaces, profile: 'shortlived' });
    expect(proxy.orders.slice(before)).toEqual([
      { identifiers: [{ type: 'dns', value: name }], replaces, profile: 'shortlived' },
    ]);
    // The same account validated this name moments ago; pebble (2.4 and 2.7) now and then hands
    // that valid authorization back (seen about once in a hundred orders, PEBBLE_AUTHZREUSE=0 or
    // not), and then there is nothing to challenge. Either way, only this name is ever challenged.
    expect([order.replacesAccepted, leaf.subjectAltName]).toEqual([true, `DNS:${name}`]);
    expect([[], [`dns ${name}`]]).toContainEqual(challenged);
    // pebble 2.4 ignores the profile (its certificates last 5 years); pebble 2.7 issues for 6 days.
    expect(validitySeconds(leaf)).toBe(
      peers.versions.pebble.profiles ? PEBBLE_PROFILES.shortlived[1] : PEBBLE_2_4_VALIDITY_S,
    );
  });

  test('a second order replacing the same certificate: pebble 2.7 refuses it itself (HTTP 409) and the order is placed again without replaces; pebble 2.4 accepts it', async () => {
    const name = uniqueDomain('twice');
    const replaces = ariCertId((await issue([name])).pem);
    expect((await issue([name], { replaces })).order.replacesAccepted).toBe(true);
    const before = proxy.orders.length;
    const again = await issue([name], { replaces });
    const sent = { identifiers: [{ type: 'dns', value: name }] };
    const refused = peers.versions.pebble.ari;
    expect(proxy.orders.slice(before)).toEqual(refused ? [{ ...sent, replaces }, sent] : [{ ...sent, replaces }]);
    expect(again.order.replacesAccepted).toBe(!refused);
  });

  test('renewing a pebble certificate: its CertID fetches the window and reaches the CA as replaces', async () => {
    const name = uniqueDomain('renewed');
    const first = await issue([name]);
    const certId = ariCertId(first.pem);
    const window = { start: new Date(Date.now() - 60_000), end: new Date(Date.now() + 3_600_000) };
    proxy.setWindow(certId, window, { retryAfterSeconds: 60 });
    expect(await acme.renewalInfo(certId)).toEqual({ window, retryAfterMs: 60_000 });
    const before = proxy.orders.length;
    const second = await issue([name], { replaces: certId });
    expect(proxy.orders.slice(before)).toEqual([{ identifiers: [{ type: 'dns', value: name }], replaces: certId }]);
    expect([
      proxy.renewalInfoRequests.at(-1),
      second.order.replacesAccepted,
      second.leaf.serialNumber !== first.leaf.serialNumber,
    ]).toEqual([certId, true, true]);
  });

  test('a CertID whose serial carries a leading zero byte: pebble 2.7 cannot look it up (HTTP 500 serverInternal) and the order is placed again without replaces; pebble 2.4 ignores it', async () => {
    const name = uniqueDomain('padded');
    // DER writes a zero byte before a serial whose first byte is 0x80 or more (RFC 9773 §4.1 takes
    // those bytes); pebble 2.7 looks the certificate up by the hex of the bytes as sent. Adding the
    // byte to a real certificate's CertID reproduces what one pebble certificate in 256 gets.
    const [keyId, serial] = ariCertId((await issue([name])).pem).split('.') as [string, string];
    const replaces = `${keyId}.${Buffer.concat([Buffer.alloc(1), Buffer.from(serial, 'base64url')]).toString('base64url')}`;
    const before = proxy.orders.length;
    const { order } = await issue([name], { replaces });
    const sent = { identifiers: [{ type: 'dns', value: name }] };
    const refused = peers.versions.pebble.ari;
    expect(proxy.orders.slice(before)).toEqual(refused ? [{ ...sent, replaces }, sent] : [{ ...sent, replaces }]);
    expect(order.replacesAccepted).toBe(!refused);
  });

  test('newOrder() retries exactly once without replaces when the CA rejects it, and the order is issued', async () => {
    const name = uniqueDomain('rejected');
    const before = proxy.orders.length;
    proxy.rejectNextOrder({
      status: 409,
      type: `${ERR}conflict`,
      detail:
        'cannot indicate an order replaces certificate with serial "87654321", which already has a replacement order',
    });
    const { order, leaf } = await issue([name], { replaces: EXAMPLE_CERT_ID, profile: 'shortlived' });
    expect(proxy.orders.slice(before)).toEqual([
      { identifiers: [{ type: 'dns', value: name }], replaces: EXAMPLE_CERT_ID, profile: 'shortlived' },
      { identifiers: [{ type: 'dns', value: name }], profile: 'shortlived' },
    ]);
    expect([order.replacesAccepted, leaf.subjectAltName]).toEqual([false, `DNS:${name}`]);
    expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.message)).toContain(
      'The CA refused "replaces"; creating the order again without it',
    );
  });

  test('newOrder() with a profile the CA does not offer fails before any order is created', async () => {
    const before = proxy.orders.length;
    const failure = acme.newOrder([uniqueDomain('profile')], { profile: 'longlived' });
    await expect(failure).rejects.toThrow(AcmeError);
    const offered = peers.versions.pebble.profiles ? '"default", "shortlived"' : '"classic", "tlsserver", "shortlived"';
    await expect(failure).rejects.toThrow(`Cannot create an order with profile "longlived": the CA offers ${offered}`);
    expect(proxy.orders.length).toBe(before);
  });

  test('an IPv4 certificate for 127.0.0.1 issues: identifier type ip, IP SAN, validated through HAProxy', async () => {
    const before = proxy.orders.length;
    const { leaf, challenged } = await issue(['127.0.0.1'], { profile: 'shortlived' });
    expect(proxy.orders.slice(before)).toEqual([
      { identifiers: [{ type: 'ip', value: '127.0.0.1' }], profile: 'shortlived' },
    ]);
    expect(challenged).toEqual(['ip 127.0.0.1']);
    expect([leaf.subjectAltName, leaf.checkIP('127.0.0.1')]).toEqual(['IP Address:127.0.0.1', '127.0.0.1']);
  });

  testIfIpv6(
    'an IPv6 certificate for ::1 issues: canonical identifier, IP SAN, validated through HAProxy',
    async () => {
      const bridge = await bridgeIpv6Loopback(Number(new URL(peers.haproxyHttpUrl).port));
      try {
        const before = proxy.orders.length;
        const { leaf, challenged } = await issue(['0:0:0:0:0:0:0:1']);
        expect(proxy.orders.slice(before)).toEqual([{ identifiers: [{ type: 'ip', value: '::1' }] }]);
        // pebble's VA dialled [::1]:<HTTP port>: only the bridge listens there.
        expect([challenged, bridge.connections > 0]).toEqual([['ip ::1'], true]);
        expect([leaf.subjectAltName, leaf.checkIP('::1')]).toEqual(['IP Address:0:0:0:0:0:0:0:1', '::1']);
      } finally {
        await new Promise<void>((resolve) => bridge.server.close(() => resolve()));
      }
    },
  );
});
