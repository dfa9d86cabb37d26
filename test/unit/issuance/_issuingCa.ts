/**
 * An in-memory ACME CA that really issues: it signs each CSR with a local intermediate
 * (@peculiar/x509 over WebCrypto) into a leaf as Let's Encrypt issues today (empty subject, the
 * CSR's DNS and IP names as SANs, no AIA), and counts its orders. For the use cases that must
 * finish what the CA issued without ordering again.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import type { Order, PendingChallenge } from '../../../src/acme';
import type { AcmeOrderClient } from '../../../src/issuance';

x509.cryptoProvider.set(webcrypto as never);

const DAY_MS = 86_400_000;
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** What one order asked for. */
export interface IssuedOrder {
  domains: string[];
  profile?: string;
  replaces?: string;
}

/** Options of IssuingCa. */
export interface IssuingCaOptions {
  /** Validity of each leaf, from `now()`. Default: 90 days. */
  lifetimeDays?: number;
  /** Default: the system clock. */
  now?: () => Date;
}

/** A CA with one intermediate; `client()` gives the ACME view of it that issuance drives. */
export class IssuingCa {
  /** Every newOrder, in order. */
  readonly orders: IssuedOrder[] = [];
  /** Every full chain sent, as sent. */
  readonly issued: string[] = [];
  /** Applied to the full chain before it is sent (e.g. to send something unreadable). Default: none. */
  tamper: ((fullchainPem: string) => string) | undefined;
  private intermediate: x509.X509Certificate | undefined;
  private intermediateKey: webcrypto.CryptoKey | undefined;

  constructor(private readonly options: IssuingCaOptions = {}) {}

  /** The ACME client issuance uses; every account key gets the same account. */
  client(): AcmeOrderClient {
    return {
      ensureAccount: async () => 'https://ca.example.test/acct/1',
      lookupAccount: async () => 'https://ca.example.test/acct/1',
      directoryMeta: async () => ({ hasRenewalInfo: false, profiles: { shortlived: '6 days' } }),
      renewalInfo: async () => undefined,
      newOrder: async (domains, options = {}) => {
        this.orders.push({ domains: [...domains], ...options });
        return { url: `https://ca.example.test/order/${this.orders.length}` } as Order;
      },
      pendingChallenges: async () => [] as PendingChallenge[],
      answerChallenge: async () => undefined,
      waitForAuthorization: async () => undefined,
      finalize: async (_order, csrPem) => {
        const chain = await this.sign(csrPem);
        this.issued.push(chain);
        return this.tamper === undefined ? chain : this.tamper(chain);
      },
    };
  }

  private async sign(csrPem: string): Promise<string> {
    const { intermediate, key } = await this.ensureIntermediate();
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    const san = csr.extensions.find(
      (e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension,
    );
    const names = san?.names.toJSON() ?? [];
    const now = (this.options.now ?? (() => new Date()))();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: '',
      issuer: intermediate.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + (this.options.lifetimeDays ?? 90) * DAY_MS),
      publicKey: csr.publicKey,
      signingKey: key,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          names.map((name) => ({ type: isIP(name.value) === 0 ? 'dns' : 'ip', value: name.value })),
          true,
        ),
        await x509.AuthorityKeyIdentifierExtension.create(intermediate.publicKey),
      ],
    });
    return leaf.toString('pem') + '\n' + intermediate.toString('pem') + '\n';
  }

  private async ensureIntermediate(): Promise<{ intermediate: x509.X509Certificate; key: webcrypto.CryptoKey }> {
    if (this.intermediate === undefined || this.intermediateKey === undefined) {
      const [rootKeys, keys] = (await Promise.all([generate(), generate()])) as [
        webcrypto.CryptoKeyPair,
        webcrypto.CryptoKeyPair,
      ];
      const validity = {
        notBefore: new Date(Date.now() - 365 * DAY_MS),
        notAfter: new Date(Date.now() + 3650 * DAY_MS),
      };
      this.intermediate = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: 'O=haproxy-acme test, CN=Issuing CA E9',
        issuer: 'O=haproxy-acme test, CN=Issuing Root',
        ...validity,
        publicKey: keys.publicKey,
        signingKey: rootKeys.privateKey,
        signingAlgorithm: SIGNING,
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
          await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
        ],
      });
      this.intermediateKey = keys.privateKey;
    }
    return { intermediate: this.intermediate, key: this.intermediateKey };
  }
}

function generate(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString('hex');
}
