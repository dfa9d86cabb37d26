/**
 * The self-signed certificate a TLS-ALPN-01 responder presents (RFC 8737 §3), written in DER by
 * hand with node:crypto: one P-256 key, one subjectAltName naming the identifier, and the critical
 * id-pe-acmeIdentifier extension holding the SHA-256 of the key authorization. No ASN.1 library:
 * the structure is fixed and small, and the whole certificate takes well under a millisecond.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/** RFC 8737 §6.1: id-pe-acmeIdentifier. */
export const ACME_IDENTIFIER_OID = '1.3.6.1.5.5.7.1.31';
const SUBJECT_ALT_NAME_OID = '2.5.29.17';
const COMMON_NAME_OID = '2.5.4.3';
const ECDSA_WITH_SHA256_OID = '1.2.840.10045.4.3.2';
/** How long before `now` the certificate starts: tolerates a validator whose clock is behind ours. */
const BACKDATE_MS = 60 * 60_000;
/** How long after `now` it ends: longer than any order takes. */
const LIFETIME_MS = 7 * 24 * 60 * 60_000;
const SUBJECT = 'haproxy-acme tls-alpn-01 challenge';

/** The name a TLS-ALPN-01 certificate is for: a DNS name, or an IP address (RFC 8738 §6). */
export interface AlpnIdentifier {
  readonly type: 'dns' | 'ip';
  readonly value: string;
}

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), content]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.concat([Buffer.from([tag, 0x80 | bytes.length, ...bytes]), content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const body = [40 * first + second];
  for (const arc of rest) {
    const septets: number[] = [];
    for (let value = arc; ; value = Math.floor(value / 128)) {
      septets.unshift((value % 128) | (septets.length === 0 ? 0 : 0x80));
      if (value < 128) break;
    }
    body.push(...septets);
  }
  return tlv(0x06, Buffer.from(body));
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(at: Date): Buffer {
  const iso = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return at.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${iso}Z`, 'ascii'));
}

/** A positive 16-byte serial (RFC 5280 §4.1.2.2: at most 20 octets). */
function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01;
  return tlv(0x02, bytes);
}

function ipBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.includes('::') ? address.split('::') : [address, ''];
  const groups = (text: string): string[] => (text === '' ? [] : text.split(':'));
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = [...groups(head), ...Array<string>(address.includes('::') ? missing : 0).fill('0'), ...groups(tail)];
  return Buffer.concat(all.map((group) => Buffer.from(group.padStart(4, '0'), 'hex')));
}

/** The subjectAltName: dNSName [2] or iPAddress [7] (RFC 5280 §4.2.1.6). */
function subjectAltName(identifier: AlpnIdentifier): Buffer {
  const name =
    identifier.type === 'ip' ? tlv(0x87, ipBytes(identifier.value)) : tlv(0x82, Buffer.from(identifier.value, 'ascii'));
  return sequence(oid(SUBJECT_ALT_NAME_OID), tlv(0x04, sequence(name)));
}

/**
 * RFC 8737 §3: the acmeIdentifier extension, critical, extnValue = DER OCTET STRING of
 * SHA-256(keyAuthorization). DER has one encoding, so a certificate proves `keyAuthorization`
 * exactly when its DER holds these bytes.
 */
export function acmeIdentifierExtension(keyAuthorization: string): Buffer {
  const digest = createHash('sha256').update(keyAuthorization, 'utf8').digest();
  return sequence(oid(ACME_IDENTIFIER_OID), tlv(0x01, Buffer.from([0xff])), tlv(0x04, tlv(0x04, digest)));
}

/**
 * Whether `identifier` may be put in a TLS-ALPN-01 certificate: an IPv4 or IPv6 literal for `ip`,
 * and for `dns` a name of letters, digits, dots and hyphens of at most 253 characters (no wildcard:
 * RFC 8737 §3 forbids TLS-ALPN-01 for one).
 */
export function isAlpnIdentifier(identifier: AlpnIdentifier): boolean {
  if (identifier.type === 'ip')
    return (
      isIPv4(identifier.value) ||
      (isIPv6(identifier.value) && !identifier.value.includes('%') && !identifier.value.includes('.'))
    );
  return /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i.test(identifier.value);
}

/**
 * Creates the TLS-ALPN-01 certificate for `identifier` and `keyAuthorization`: a fresh P-256 key,
 * self-signed, valid from an hour before `now` for a week. Returns the key (PKCS #8 PEM: never
 * write or log it) and the certificate as PEM. The caller checks the identifier with isAlpnIdentifier() first.
 */
export function createAlpnCertificate(
  identifier: AlpnIdentifier,
  keyAuthorization: string,
  now: Date,
): { keyPem: string; certPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const algorithm = sequence(oid(ECDSA_WITH_SHA256_OID));
  const name = sequence(tlv(0x31, sequence(oid(COMMON_NAME_OID), tlv(0x0c, Buffer.from(SUBJECT, 'utf8')))));
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    serialNumber(),
    algorithm,
    name,
    sequence(time(new Date(now.getTime() - BACKDATE_MS)), time(new Date(now.getTime() + LIFETIME_MS))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, sequence(subjectAltName(identifier), acmeIdentifierExtension(keyAuthorization))),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    certPem: `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`,
  };
}

/**
 * The TLS SNI name the CA sends for `identifier` (RFC 8737 §3; RFC 8738 §6 for IP addresses: the
 * reverse-mapping name, `4.3.2.1.in-addr.arpa` or the nibbles of an IPv6 address under `ip6.arpa`).
 */
export function sniNameOf(identifier: AlpnIdentifier): string {
  if (identifier.type === 'dns') return identifier.value.toLowerCase();
  if (isIPv4(identifier.value)) return `${identifier.value.split('.').reverse().join('.')}.in-addr.arpa`;
  return `${[...ipBytes(identifier.value).toString('hex')].reverse().join('.')}.ip6.arpa`;
}
