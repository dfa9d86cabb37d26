import { z } from 'zod';
import { AppError } from '../errors';
import { keyTypeOf, splitPemBlocks } from '../pem';
import { serverOfUrl, type LegoAccountFiles, type LegoProblem } from './_legoFiles';
import { describeValue, firstIssue } from './_text';

/** A lego account that passed every check, ready to become the account in --home. */
export interface LegoAccount {
  /** The server folder, e.g. `acme-v02.api.letsencrypt.org`. */
  server: string;
  /** The account folder: the email lego was run with. */
  folder: string;
  /** The contact address, from account.json (`email`, else the first `mailto:` contact); undefined when none. */
  email: string | undefined;
  /** The account URL (`registration.uri`), used as the JWS `kid` (RFC 8555 §6.2). */
  accountUrl: string;
  /** The account private key, PEM, canonical form. Never logged or printed. */
  keyPem: string;
  /** `ec256`, `rsa2048`, … */
  keyType: string;
  /** The files it came from, relative to the lego directory. */
  files: string[];
}

// lego 4.9.1 `Account{Email, Registration *registration.Resource}`; `key` is not serialised.
const accountSchema = z.object({
  email: z.string().max(320).optional(),
  registration: z.object({
    uri: z.string().min(1).max(2048),
    body: z
      .object({
        status: z.string().max(64).optional(),
        contact: z.array(z.string().max(2048)).max(100).optional(),
      })
      .optional(),
  }),
});

/** Account key types acme-client can sign with (RFC 7518 ES256/384/512, RS256). */
const ACCOUNT_KEY_TYPE = /^(ec256|ec384|ec521|rsa(2048|3072|4096|8192))$/;

type AccountResult = { ok: true; account: LegoAccount } | { ok: false; problems: LegoProblem[] };

function parseJson(
  file: { path: string; text: string },
  directoryServer: string | undefined,
): { value?: z.infer<typeof accountSchema>; problem?: LegoProblem } {
  let data: unknown;
  try {
    data = JSON.parse(file.text);
  } catch {
    return { problem: { file: file.path, message: 'it is not JSON' } };
  }
  const result = accountSchema.safeParse(data);
  if (!result.success) return { problem: { file: file.path, message: firstIssue(result.error) } };
  const value = result.data;
  const status = value.registration.body?.status;
  if (status !== undefined && status !== 'valid') {
    return {
      problem: {
        file: file.path,
        message: `the account is ${describeValue(status)} at the CA, not "valid"; it cannot be adopted`,
      },
    };
  }
  const uriServer = serverOfUrl(value.registration.uri);
  if (uriServer === undefined) {
    return {
      problem: {
        file: file.path,
        message: `"registration.uri" ${describeValue(value.registration.uri)} is not an http(s) URL`,
      },
    };
  }
  if (directoryServer !== undefined && uriServer !== directoryServer) {
    return {
      problem: {
        file: file.path,
        message: `"registration.uri" is on "${uriServer}", not on the CA of its folder ("${directoryServer}")`,
      },
    };
  }
  return { value };
}

function parseKey(file: { path: string; text: string }): { keyPem?: string; keyType?: string; problem?: LegoProblem } {
  try {
    const keyType = keyTypeOf(file.text);
    if (!ACCOUNT_KEY_TYPE.test(keyType)) {
      return {
        problem: {
          file: file.path,
          message: `the account key is ${describeValue(keyType)}; ACME accounts need an EC (P-256, P-384, P-521) or RSA key`,
        },
      };
    }
    const block = splitPemBlocks(file.text)[0];
    return { keyPem: block?.pem ?? file.text, keyType };
  } catch (error) {
    if (error instanceof AppError) return { problem: { file: file.path, message: error.message } };
    throw error;
  }
}

function emailOf(value: z.infer<typeof accountSchema>): string | undefined {
  if (value.email !== undefined && value.email !== '') return value.email;
  const mailto = value.registration.body?.contact?.find((contact) => contact.startsWith('mailto:'));
  return mailto === undefined ? undefined : mailto.slice('mailto:'.length);
}

/**
 * Validates one lego account folder (pure): account.json (lego 4.9.1 shape, status "valid",
 * `registration.uri` on the CA of `directoryServer`) and its key (EC or RSA, unencrypted). Sample account.json:
 * ```
 * {"email":"admin@example.test","registration":{"body":{"status":"valid","contact":["mailto:admin@example.test"]},
 *  "uri":"https://127.0.0.1:14000/my-account/4cfbd2d11b75baf1"}}
 * ```
 * Never throws for bad content: every problem names its file.
 */
export function parseLegoAccount(files: LegoAccountFiles, options: { directoryServer?: string } = {}): AccountResult {
  const dir = `accounts/${files.server}/${files.folder}`;
  const problems: LegoProblem[] = [];
  if (files.accountJson === undefined) problems.push({ file: `${dir}/account.json`, message: 'the file is missing' });
  if (files.key === undefined)
    problems.push({ file: `${dir}/keys/${files.folder}.key`, message: 'the account key is missing' });
  if (files.accountJson === undefined || files.key === undefined) return { ok: false, problems };
  const json = parseJson(files.accountJson, options.directoryServer);
  const key = parseKey(files.key);
  for (const problem of [json.problem, key.problem]) if (problem !== undefined) problems.push(problem);
  if (json.value === undefined || key.keyPem === undefined || key.keyType === undefined) return { ok: false, problems };
  return {
    ok: true,
    account: {
      server: files.server,
      folder: files.folder,
      email: emailOf(json.value),
      accountUrl: json.value.registration.uri,
      keyPem: key.keyPem,
      keyType: key.keyType,
      files: [files.accountJson.path, files.key.path],
    },
  };
}
