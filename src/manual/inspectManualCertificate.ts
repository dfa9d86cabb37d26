import { messageOf } from '../errors';
import {
  assertKeyMatchesCertificate,
  parseCertificate,
  splitPemBlocks,
  type CertificateInfo,
  type PemBlock,
} from '../pem';

/** One manual certificate as `acme list` and `acme doctor` show it. Never holds key material. */
export interface ManualCertificate {
  /** The certificate file, e.g. `<home>/haproxy/cert.crt`. */
  path: string;
  /** DNS then IP subjectAltNames; the subject's CN when it has none (HAProxy then matches SNI on the CN). Empty when it does not parse. */
  names: string[];
  /** Upper-case hex as HAProxy prints it; null when it does not parse. */
  serial: string | null;
  /** ISO 8601; null when it does not parse. */
  notBefore: string | null;
  /** ISO 8601; null when it does not parse. */
  notAfter: string | null;
  /** The file the key is read from: `path` itself, or its companion `<path>.key`; null when there is none. */
  keyPath: string | null;
  /** Why HAProxy could not load it (unreadable, not a certificate, no key, key unusable or not matching); null when it can. */
  problem: string | null;
}

/** Text read from a file, or why it could not be read (`missing` for a file that does not exist). */
export type ReadResult = { text: string } | { error: string; missing: boolean };

/** What the reader read for one manual certificate. */
export interface ManualFiles {
  path: string;
  file: ReadResult;
  /** `<path>.key`, read only when the file holds no private key (HAProxy loads it only then). */
  companion?: { path: string } & ReadResult;
}

const isKeyBlock = (block: PemBlock): boolean => block.type.endsWith('PRIVATE KEY');

/**
 * The first private key block of a PEM text (as HAProxy takes the first key of a crt file), or
 * undefined when it holds none or is not PEM.
 */
export function firstKeyBlock(text: string): PemBlock | undefined {
  try {
    return splitPemBlocks(text).find(isKeyBlock);
  } catch {
    return undefined;
  }
}

function namesOf(info: CertificateInfo): string[] {
  const names = [...info.dnsNames, ...info.ipAddresses];
  if (names.length > 0) return names;
  const cn = /(?:^|\/)CN=([^/]+)/.exec(info.subject)?.[1];
  return cn === undefined ? [] : [cn];
}

type Parsed = { blocks: PemBlock[]; leaf: PemBlock; info: CertificateInfo } | { problem: string };

function parseFile(text: string): Parsed {
  let blocks: PemBlock[];
  try {
    blocks = splitPemBlocks(text);
  } catch (error) {
    return { problem: `it is not PEM: ${messageOf(error)}` };
  }
  const certificates = blocks.filter((b) => b.type === 'CERTIFICATE');
  const [leaf, ...chain] = certificates;
  if (leaf === undefined) return { problem: 'it holds no "CERTIFICATE" block' };
  let info: CertificateInfo;
  try {
    info = parseCertificate(leaf.pem);
    chain.forEach((block, index) => {
      try {
        parseCertificate(block.pem);
      } catch (error) {
        throw new Error(`chain certificate ${index + 1} does not parse: ${messageOf(error)}`, { cause: error });
      }
    });
  } catch (error) {
    return { problem: `it does not parse: ${messageOf(error)}` };
  }
  return { blocks, leaf, info };
}

/** Which key HAProxy would use, and why it could not: the first key in the file, else `<path>.key`. */
function keyOf(files: ManualFiles, blocks: PemBlock[]): { keyPath: string | null; key?: PemBlock; problem?: string } {
  const inFile = blocks.find(isKeyBlock);
  if (inFile !== undefined) return { keyPath: files.path, key: inFile };
  const companion = files.companion;
  const companionPath = companion?.path ?? `${files.path}.key`;
  if (companion === undefined || ('missing' in companion && companion.missing)) {
    return { keyPath: null, problem: `no private key: the file holds none and there is no "${companionPath}"` };
  }
  if ('error' in companion)
    return { keyPath: companionPath, problem: `cannot read its key "${companionPath}": ${companion.error}` };
  let key: PemBlock | undefined;
  try {
    key = splitPemBlocks(companion.text).find(isKeyBlock);
  } catch (error) {
    return { keyPath: companionPath, problem: `its key "${companionPath}" is not PEM: ${messageOf(error)}` };
  }
  if (key === undefined)
    return { keyPath: companionPath, problem: `its key file "${companionPath}" holds no private key` };
  return { keyPath: companionPath, key };
}

/**
 * Reads what one manual certificate holds and whether HAProxy can load it (pure): the leaf (the
 * first CERTIFICATE block) and chain parse, and a private key matches the leaf. The key is the
 * first one in the file, else `<path>.key` (HAProxy loads the companion only when the file holds
 * none). Problems name files and PEM labels, never key material.
 */
export function inspectManualCertificate(files: ManualFiles): ManualCertificate {
  const none = { path: files.path, names: [], serial: null, notBefore: null, notAfter: null };
  if ('error' in files.file) return { ...none, keyPath: null, problem: `cannot read it: ${files.file.error}` };
  const parsed = parseFile(files.file.text);
  if ('problem' in parsed) return { ...none, keyPath: null, problem: parsed.problem };
  const { info } = parsed;
  const facts = {
    path: files.path,
    names: namesOf(info),
    serial: info.serial,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
  };
  const key = keyOf(files, parsed.blocks);
  if (key.key === undefined) return { ...facts, keyPath: key.keyPath, problem: key.problem ?? null };
  try {
    assertKeyMatchesCertificate(parsed.leaf.pem, key.key.pem);
  } catch (error) {
    const where = key.keyPath === files.path ? 'the private key in the file' : `its key "${key.keyPath}"`;
    return { ...facts, keyPath: key.keyPath, problem: `${where} is not usable: ${messageOf(error)}` };
  }
  return { ...facts, keyPath: key.keyPath, problem: null };
}
