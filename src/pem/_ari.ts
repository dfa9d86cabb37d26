import { CertificateError } from '../errors';
import { readX509 } from './_certificate';
import { splitPemBlocks } from './_split';

// A minimal DER walk: just enough of RFC 5280 §4.1 to reach tbsCertificate.serialNumber and the
// Authority Key Identifier extension. Node's X509Certificate exposes neither as bytes: its
// `serialNumber` drops the DER sign byte (0x87654321 comes back as "87654321"), which would give
// a wrong ARI CertID for about half of all certificates, and it has no AKI accessor at all.

/** One DER TLV: its tag byte and where its content octets start and end in the buffer. */
interface Tlv {
  tag: number;
  start: number;
  end: number;
}

const TAG_INTEGER = 0x02;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;
const TAG_BOOLEAN = 0x01;
/** `[0] EXPLICIT Version` in TBSCertificate (RFC 5280 §4.1). */
const TAG_VERSION = 0xa0;
/** `[3] EXPLICIT Extensions` in TBSCertificate (RFC 5280 §4.1). */
const TAG_EXTENSIONS = 0xa3;
/** `[0] IMPLICIT KeyIdentifier` in AuthorityKeyIdentifier (RFC 5280 §4.2.1.1). */
const TAG_KEY_IDENTIFIER = 0x80;
/** DER of OID 2.5.29.35, id-ce-authorityKeyIdentifier. */
const OID_AUTHORITY_KEY_IDENTIFIER = Buffer.from([0x55, 0x1d, 0x23]);

class DerError extends Error {}

function readTlv(der: Buffer, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated element at byte ${offset}`);
  const tag = der[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`unsupported high tag number at byte ${offset}`);
  const first = der[offset + 1] as number;
  let length = first;
  let start = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new DerError(`unsupported length encoding at byte ${offset}`);
    if (start + count > limit) throw new DerError(`truncated length at byte ${offset}`);
    length = der.readUIntBE(start, count);
    start += count;
  }
  const end = start + length;
  if (end > limit) throw new DerError(`element at byte ${offset} runs past its parent`);
  return { tag, start, end };
}

function expectTlv(der: Buffer, offset: number, limit: number, tag: number, what: string): Tlv {
  const tlv = readTlv(der, offset, limit);
  if (tlv.tag !== tag) {
    throw new DerError(`expected ${what} at byte ${offset}, found tag 0x${tlv.tag.toString(16).padStart(2, '0')}`);
  }
  return tlv;
}

/** The children of a constructed element, in order. */
function childrenOf(der: Buffer, parent: Tlv): Tlv[] {
  const children: Tlv[] = [];
  for (let offset = parent.start; offset < parent.end;) {
    const child = readTlv(der, offset, parent.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}

interface TbsParts {
  serial: Buffer;
  /** The `[3] Extensions` element, absent in v1/v2 certificates. */
  extensions: Tlv | undefined;
}

function readTbs(der: Buffer): TbsParts {
  const certificate = expectTlv(der, 0, der.length, TAG_SEQUENCE, 'Certificate SEQUENCE');
  const tbs = expectTlv(der, certificate.start, certificate.end, TAG_SEQUENCE, 'tbsCertificate SEQUENCE');
  const fields = childrenOf(der, tbs);
  const serialIndex = fields[0]?.tag === TAG_VERSION ? 1 : 0;
  const serial = fields[serialIndex];
  if (serial?.tag !== TAG_INTEGER || serial.end === serial.start)
    throw new DerError('tbsCertificate has no serialNumber INTEGER');
  return {
    serial: der.subarray(serial.start, serial.end),
    extensions: fields.find((field) => field.tag === TAG_EXTENSIONS),
  };
}

/** The content octets of the AKI extension's extnValue, or undefined when there is no AKI. */
function findAkiValue(der: Buffer, extensions: Tlv): Tlv | undefined {
  const list = expectTlv(der, extensions.start, extensions.end, TAG_SEQUENCE, 'Extensions SEQUENCE');
  for (const extension of childrenOf(der, list)) {
    const [oid, second, third] = childrenOf(der, extension);
    if (oid?.tag !== TAG_OID || !der.subarray(oid.start, oid.end).equals(OID_AUTHORITY_KEY_IDENTIFIER)) continue;
    const value = second?.tag === TAG_BOOLEAN ? third : second;
    if (value?.tag !== TAG_OCTET_STRING)
      throw new DerError('the Authority Key Identifier extension has no extnValue OCTET STRING');
    return value;
  }
  return undefined;
}

function readKeyIdentifier(der: Buffer, akiValue: Tlv): Buffer | undefined {
  const aki = expectTlv(der, akiValue.start, akiValue.end, TAG_SEQUENCE, 'AuthorityKeyIdentifier SEQUENCE');
  const keyId = childrenOf(der, aki).find((field) => field.tag === TAG_KEY_IDENTIFIER);
  return keyId === undefined || keyId.end === keyId.start ? undefined : der.subarray(keyId.start, keyId.end);
}

/**
 * Computes the ARI CertID of a leaf certificate (RFC 9773 §4.1): base64url of the AKI
 * keyIdentifier, a dot, and base64url of the serialNumber's DER content octets, which keep the
 * leading 00 sign byte, all without padding. Reads the first CERTIFICATE block of `leafPem`.
 * The RFC's example: AKI `69:88:5B:…:C8:D4` and serial `00:87:65:43:21` give
 * `aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE`.
 * @throws CertificateError when there is no certificate, it does not parse, or it has no AKI keyIdentifier.
 */
export function ariCertId(leafPem: string): string {
  const block = splitPemBlocks(leafPem).find((b) => b.type === 'CERTIFICATE');
  if (block === undefined)
    throw new CertificateError('Cannot compute the ARI CertID: the text holds no "CERTIFICATE" block');
  const x509 = readX509(block.pem, 'certificate');
  const der = x509.raw;
  const what = `Cannot compute the ARI CertID of the certificate with serial "${x509.serialNumber.toUpperCase()}"`;
  let serial: Buffer;
  let keyId: Buffer | undefined;
  try {
    const tbs = readTbs(der);
    serial = tbs.serial;
    const akiValue = tbs.extensions === undefined ? undefined : findAkiValue(der, tbs.extensions);
    if (akiValue === undefined) {
      throw new CertificateError(
        `${what}: it has no Authority Key Identifier extension; renew it by the lifetime rule instead`,
      );
    }
    keyId = readKeyIdentifier(der, akiValue);
  } catch (error) {
    if (error instanceof DerError) throw new CertificateError(`${what}: ${error.message}`, { cause: error });
    throw error;
  }
  if (keyId === undefined) {
    throw new CertificateError(
      `${what}: its Authority Key Identifier has no keyIdentifier; renew it by the lifetime rule instead`,
    );
  }
  return `${keyId.toString('base64url')}.${serial.toString('base64url')}`;
}

/**
 * Whether an ARI CertID (`<AKI>.<serial>`, base64url) names the certificate with this serial
 * (hex, any case, with or without the sign byte). Pure and cheap: it lets a renewal check trust a
 * stored CertID without parsing the certificate again.
 */
export function ariCertIdHasSerial(certId: string, serialHex: string): boolean {
  const parts = certId.split('.');
  if (parts.length !== 2 || parts[1] === '' || !/^[A-Za-z0-9_-]+$/.test(parts[1]!) || !/^[0-9A-Fa-f]+$/.test(serialHex))
    return false;
  const integer = (hex: string): string => hex.toUpperCase().replace(/^0+/, '');
  return integer(Buffer.from(parts[1]!, 'base64url').toString('hex')) === integer(serialHex);
}
