/**
 * Many stored certificates without a CA server, for the renewal benchmark: a local EC root and
 * intermediate, and 90-day EC P-256 leaves signed in-process with @peculiar/x509 over WebCrypto
 * (about 1 ms each, where one openssl process per leaf would take minutes for 1000). Leaves carry
 * an AKI like Let's Encrypt's, so `ariCertId()` works on them. They are saved through
 * FileCertificateStore.saveCertificate, so the home has the real layout and metadata.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { CertificateStore } from '../../src/storage';

const DAY_MS = 86_400_000;
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

// @peculiar/x509 types its provider as the DOM's Crypto, which Node's webcrypto implements.
x509.cryptoProvider.set(webcrypto as never);

/** A local intermediate that signs the leaves. */
export interface LocalCa {
  intermediatePem: string;
  intermediate: x509.X509Certificate;
  intermediateKey: CryptoKey;
}

/** A positive serial with no leading zero byte, as hex (Let's Encrypt uses 18 random bytes). */
function randomSerial(): string {
  const bytes = randomBytes(18);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString('hex');
}

function generateKey(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const body = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

/** Creates a root and an intermediate, both valid from a day before `now` for a year. */
export async function createLocalCa(now: Date): Promise<LocalCa> {
  const [rootKeys, interKeys] = await Promise.all([generateKey(), generateKey()]);
  const validity = { notBefore: new Date(now.getTime() - DAY_MS), notAfter: new Date(now.getTime() + 365 * DAY_MS) };
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'O=haproxy-acme bench, CN=Bench Renewal Root',
    ...validity,
    keys: rootKeys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'O=haproxy-acme bench, CN=Bench Renewal Intermediate',
    issuer: root.subject,
    ...validity,
    publicKey: interKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(interKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  return { intermediatePem: intermediate.toString('pem'), intermediate, intermediateKey: interKeys.privateKey };
}

/** One leaf for `dnsName`: `lifetimeDays` long, starting `ageDays` before `now`. */
export async function createLocalLeaf(
  ca: LocalCa,
  dnsName: string,
  options: { now: Date; ageDays: number; lifetimeDays: number },
): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKey();
  const notBefore = new Date(options.now.getTime() - options.ageDays * DAY_MS);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${dnsName}`,
    issuer: ca.intermediate.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + options.lifetimeDays * DAY_MS - 1000),
    publicKey: keys.publicKey,
    signingKey: ca.intermediateKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: dnsName }]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.intermediate.publicKey),
    ],
  });
  return { certPem: leaf.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** Options of `storeLocalCertificates()`. */
export interface StoreLocalOptions {
  now: Date;
  /** Days since issuance. */
  ageDays: number;
  lifetimeDays: number;
  directoryUrl: string;
  /** Saves in flight at once. */
  parallel: number;
}

/** Creates and saves one leaf per name through `store.saveCertificate`; resolves with the names. */
export async function storeLocalCertificates(
  store: CertificateStore,
  ca: LocalCa,
  names: string[],
  options: StoreLocalOptions,
): Promise<string[]> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next]!;
      next += 1;
      const leaf = await createLocalLeaf(ca, name, options);
      await store.saveCertificate({
        name,
        ...leaf,
        chainPem: ca.intermediatePem,
        meta: { domains: [name], directoryUrl: options.directoryUrl },
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallel, names.length) }, worker));
  return names;
}
