import { z } from 'zod';
import { AppError } from '../errors';
import {
  assertKeyMatchesCertificate,
  buildHaproxyBundle,
  keyTypeOf,
  missingNames,
  parseCertificate,
  parseChain,
  splitPemBlocks,
} from '../pem';
import { legoFileBase, type LegoCertificateFiles, type LegoFile, type LegoProblem } from './_legoFiles';
import { describeValue, firstIssue } from './_text';

/** A lego certificate whose files all passed their checks. */
export interface LegoCertificate {
  /** The common file base, e.g. `_.example.com`. */
  base: string;
  /** lego's name for it: `domain` of the .json (e.g. `*.example.com`), else derived from the base. */
  legoName: string;
  /** The leaf alone, canonical PEM. */
  certPem: string;
  /** Intermediates, canonical PEM, no self-signed root; '' when lego kept none. */
  chainPem: string;
  /** The leaf's key, canonical PEM. Never logged or printed. */
  keyPem: string;
  keyType: string;
  /** Upper-case hex, as HAProxy prints it. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** Every subjectAltName, lego's name first, DNS names lower-case, IP addresses as OpenSSL prints them. */
  names: string[];
  /** `certUrl` of the .json: where the CA served it; tells which CA issued it. */
  certUrl: string | undefined;
  files: string[];
}

/** What one lego certificate is: usable, without a private key (lego ran with --csr), or invalid. */
export type LegoCertificateResult =
  | { kind: 'ok'; certificate: LegoCertificate }
  | { kind: 'no-key'; base: string; legoName: string; files: string[] }
  | { kind: 'invalid'; base: string; problems: LegoProblem[] };

// lego 4.9.1 `certificate.Resource` JSON; the PEMs are in the sibling files, not here.
const resourceSchema = z.object({
  domain: z.string().min(1).max(253),
  certUrl: z.string().max(2048).optional(),
  certStableUrl: z.string().max(2048).optional(),
});

class FileProblem extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs a pem check and turns its CertificateError into a problem naming `file`. */
function check<T>(file: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof AppError) throw new FileProblem(file, error.message);
    throw error;
  }
}

function readResource(file: LegoFile, base: string): z.infer<typeof resourceSchema> {
  let data: unknown;
  try {
    data = JSON.parse(file.text);
  } catch {
    throw new FileProblem(file.path, 'it is not JSON');
  }
  const result = resourceSchema.safeParse(data);
  if (!result.success) throw new FileProblem(file.path, firstIssue(result.error));
  if (legoFileBase(result.data.domain) !== base) {
    throw new FileProblem(
      file.path,
      `"domain" ${describeValue(result.data.domain)} does not belong to files named "${base}.*"`,
    );
  }
  return result.data;
}

/** The intermediates: after the leaf in the .crt (lego bundles them by default), else the .issuer.crt (--no-bundle). */
function readChain(crt: LegoFile, issuer: LegoFile | undefined): { leaf: string; chain: string[] } {
  const { leaf, chain } = check(crt.path, () => parseChain(crt.text));
  if (chain.length > 0 || issuer === undefined) return { leaf, chain };
  const blocks = check(issuer.path, () => splitPemBlocks(issuer.text));
  const certificates = blocks.map((block) => {
    if (block.type !== 'CERTIFICATE')
      throw new FileProblem(issuer.path, `it holds a "${block.type}" block; expected only "CERTIFICATE" blocks`);
    return { pem: block.pem, info: check(issuer.path, () => parseCertificate(block.pem)) };
  });
  return { leaf, chain: certificates.filter((c) => !c.info.isSelfSigned).map((c) => c.pem) };
}

/** `_.example.com` → `*.example.com`: lego's name when there is no .json to say it. */
function nameFromBase(base: string): string {
  return base.startsWith('_.') ? `*${base.slice(1)}` : base;
}

function parseComplete(files: LegoCertificateFiles & { crt: LegoFile; key: LegoFile }): LegoCertificate {
  const resource = files.json === undefined ? undefined : readResource(files.json, files.base);
  const legoName = resource?.domain ?? nameFromBase(files.base);
  const { leaf, chain } = readChain(files.crt, files.issuer);
  check(files.key.path, () => assertKeyMatchesCertificate(leaf, files.key.text));
  const bundle = check(files.crt.path, () => buildHaproxyBundle({ leaf, chain, key: files.key.text }));
  const info = check(files.crt.path, () => parseCertificate(leaf));
  if (check(files.crt.path, () => missingNames(leaf, [legoName])).length > 0) {
    throw new FileProblem(files.crt.path, `the certificate does not cover its own name ${describeValue(legoName)}`);
  }
  const names = [legoName.toLowerCase(), ...info.dnsNames.map((n) => n.toLowerCase()), ...info.ipAddresses];
  return {
    base: files.base,
    legoName,
    certPem: leaf,
    chainPem: chain.join(''),
    keyPem: bundle.slice(bundle.lastIndexOf('-----BEGIN ')),
    keyType: check(files.key.path, () => keyTypeOf(files.key.text)),
    serial: info.serial,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    names: [...new Set(names)],
    certUrl: resource?.certUrl === '' ? undefined : resource?.certUrl,
    files: [files.crt, files.key, files.issuer, files.json]
      .filter((f): f is LegoFile => f !== undefined)
      .map((f) => f.path),
  };
}

/**
 * Validates the files of one lego certificate (pure): the .crt (leaf first, then intermediates),
 * the .key (matches the leaf), the .issuer.crt when the .crt has no chain, and the .json (lego's
 * `certificate.Resource`; sample `{"domain":"*.example.com","certUrl":"https://ca/cert/1"}`).
 * Never throws for bad content: every problem names its file.
 */
export function parseLegoCertificate(files: LegoCertificateFiles): LegoCertificateResult {
  const { crt, key } = files;
  if (crt === undefined) {
    return {
      kind: 'invalid',
      base: files.base,
      problems: [
        {
          file: `certificates/${files.base}.crt`,
          message: 'the certificate file is missing while other files of it exist',
        },
      ],
    };
  }
  try {
    if (key === undefined) {
      const legoName =
        files.json === undefined ? nameFromBase(files.base) : readResource(files.json, files.base).domain;
      check(crt.path, () => parseChain(crt.text));
      return { kind: 'no-key', base: files.base, legoName, files: [crt.path] };
    }
    return { kind: 'ok', certificate: parseComplete({ ...files, crt, key }) };
  } catch (error) {
    if (error instanceof FileProblem)
      return { kind: 'invalid', base: files.base, problems: [{ file: error.file, message: error.message }] };
    throw error;
  }
}
