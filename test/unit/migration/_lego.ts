/** The lego directory captured from real lego 4.9.1 + pebble (test/fixtures/lego), as snapshots and temp copies. */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertificateDelivery, HaproxyEndpoint, ServedCertificate } from '../../../src/issuance';
import type { LegoAccountFiles, LegoCertificateFiles, LegoFile, LegoSnapshot } from '../../../src/migration';

/** The fixture directory written by lego. */
export const LEGO_FIXTURE = join(__dirname, '..', '..', 'fixtures', 'lego', 'pebble-4.9.1');
/** The pebble directory URL lego ran against; its server folder is `127.0.0.1_33595`. */
export const LEGO_DIRECTORY = 'https://127.0.0.1:33595/dir';
export const LEGO_SERVER = '127.0.0.1_33595';
/** Before every fixture certificate expires (2031-11-27). */
export const LEGO_NOW = new Date('2026-11-27T03:00:00Z');
export const ADMIN_ACCOUNT_URL = 'https://127.0.0.1:33595/my-account/4cfbd2d11b75baf1';
export const OTHER_ACCOUNT_URL = 'https://127.0.0.1:33595/my-account/59efa729fe9a5839';
export const ONE_SERIAL = '11A7BCC9AF5E90C8';
export const TWO_SERIAL = '055AFBACC785DA4F';
export const WILD_SERIAL = '0AFBA6DA525BE81B';

/** One fixture file as the reader returns it. */
export function legoFile(path: string): LegoFile {
  return { path, text: readFileSync(join(LEGO_FIXTURE, ...path.split('/')), 'utf8') };
}

/** A fixture file from test/fixtures/lego/extra. */
export function extraFile(name: string, path: string): LegoFile {
  return { path, text: readFileSync(join(__dirname, '..', '..', 'fixtures', 'lego', 'extra', name), 'utf8') };
}

/** The files of one fixture account folder. */
export function accountFiles(folder: 'admin@example.test' | 'other@example.test'): LegoAccountFiles {
  const dir = `accounts/${LEGO_SERVER}/${folder}`;
  return {
    server: LEGO_SERVER,
    folder,
    accountJson: legoFile(`${dir}/account.json`),
    key: legoFile(`${dir}/keys/${folder}.key`),
  };
}

/** The files of one fixture certificate, by lego file base. */
export function certificateFiles(
  base: 'one.example.test' | 'two.example.test' | '_.wild.example.test',
): LegoCertificateFiles {
  const file = (suffix: string): LegoFile => legoFile(`certificates/${base}${suffix}`);
  return { base, crt: file('.crt'), key: file('.key'), issuer: file('.issuer.crt'), json: file('.json') };
}

/** The whole fixture as a snapshot, as LegoDirectoryReader reads it. */
export function fixtureSnapshot(): LegoSnapshot {
  return {
    root: '/srv/lego',
    accounts: [accountFiles('admin@example.test'), accountFiles('other@example.test')],
    certificates: [
      certificateFiles('_.wild.example.test'),
      certificateFiles('one.example.test'),
      certificateFiles('two.example.test'),
    ],
    problems: [],
    ignored: ['certificates/two.example.test.pem'],
  };
}

/** A writable temp copy of the fixture; the caller removes it. */
export function copyFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'haproxy-acme-lego-'));
  const copy = join(dir, 'lego');
  cpSync(LEGO_FIXTURE, copy, { recursive: true });
  return copy;
}

/** Replaces the JSON of a file in a snapshot entry. */
export function withJson(file: LegoFile | undefined, change: (value: Record<string, unknown>) => unknown): LegoFile {
  const value = JSON.parse(file!.text) as Record<string, unknown>;
  return { path: file!.path, text: JSON.stringify(change(value)) };
}

/** An in-memory HAProxy that adds what it does not know. */
export class FakeHaproxy implements HaproxyEndpoint {
  readonly served = new Map<string, ServedCertificate>();
  readonly commands: string[] = [];
  constructor(readonly label: string) {}
  async servedCertificate(path: string): Promise<ServedCertificate | undefined> {
    return this.served.get(path);
  }
  async swapCertificate(delivery: CertificateDelivery): Promise<void> {
    this.commands.push(`swap ${delivery.path}`);
    this.served.set(delivery.path, { serial: delivery.expectedSerial, sha1Fingerprint: delivery.expectedSha1 });
  }
  async addCertificate(delivery: CertificateDelivery): Promise<void> {
    this.commands.push(`add ${delivery.path}`);
    this.served.set(delivery.path, { serial: delivery.expectedSerial, sha1Fingerprint: delivery.expectedSha1 });
  }

  /** This HAProxy lists every certificate it serves, so there is never one to list again. */
  async ensureListed(): Promise<boolean> {
    return false;
  }
}
