import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { checkDomain, checkName, type Check } from './_domain';
import { checkBoolean, checkDirectoryUrl, checkHttpAddress, checkPort, checkPreflightUrl, type ParsedAddress } from './_fields';
import { LETSENCRYPT_DIRECTORY_URL, LETSENCRYPT_STAGING_DIRECTORY_URL, MAX_DOMAINS } from './_keys';
import type { Config, HttpAddress, KeyType } from './_types';

/** Issues whose message is already a whole sentence (not "Invalid <source> <value>: …") carry this param. */
export const FULL_MESSAGE = 'fullMessage';

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const KEY_TYPES = ['ec256', 'ec384', 'rsa2048', 'rsa3072', 'rsa4096'] as const satisfies readonly KeyType[];

/** Flags and environment give strings; snap options may also be JSON numbers or booleans. */
const text = z.union([z.string(), z.number().transform(String), z.boolean().transform(String)], {
  error: 'expected text, a number or true/false',
});

/** Runs one of our pure checks inside the schema, turning its detail into a zod issue. */
function checked<T>(check: (value: string) => Check<T>) {
  return text.transform((value, ctx): T => {
    const result = check(value);
    if (result.ok) return result.value;
    ctx.issues.push({ code: 'custom', message: result.detail, input: value });
    return z.NEVER;
  });
}

const path = (what: string) =>
  text.pipe(
    z
      .string()
      .refine((s) => !s.includes('\0'), { error: `the ${what} path contains a NUL character`, abort: true })
      .trim()
      .min(1, { error: `expected a ${what} path` }),
  );

const email = text.pipe(
  z
    .string()
    .refine((s) => !CONTROL_CHARS.test(s), { error: 'the address contains a control character', abort: true })
    .trim()
    .max(254, { error: 'the address is longer than 254 characters', abort: true })
    .pipe(z.email({ error: 'expected an email address such as "admin@example.com"' })),
);

const domains = z
  .array(checked(checkDomain))
  .transform((names) => [...new Set(names)])
  .pipe(
    z.array(z.string()).max(MAX_DOMAINS, {
      error: (issue) =>
        `expected at most ${MAX_DOMAINS} distinct names (Let's Encrypt's limit), got ${(issue.input as unknown[]).length}`,
    }),
  );

const keyType = text.pipe(
  z.string().trim().toLowerCase().pipe(z.enum(KEY_TYPES, { error: `expected one of ${KEY_TYPES.join(', ')}` })),
);

const requestTimeout = text.pipe(
  z
    .string()
    .trim()
    .regex(/^[0-9]{1,7}$/, { error: 'expected a whole number of milliseconds from 1000 to 600000' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1000, { error: 'expected a whole number of milliseconds from 1000 to 600000' })
        .max(600000, { error: 'expected a whole number of milliseconds from 1000 to 600000' }),
    ),
);

/** A TCP address takes --http-port when that ranks at least as high as the address, or has no port. */
function httpAddressOf(address: ParsedAddress, httpPort: number, httpPortWins: boolean): HttpAddress {
  if (address.kind === 'unix') return address;
  return { kind: 'tcp', host: address.host, port: httpPortWins || address.port === undefined ? httpPort : address.port };
}

/** The one schema: raw winning values in, frozen-ready Config out. Keys match ConfigField. */
export const configSchema = z
  .object({
    cwd: z.string().refine(isAbsolute, { error: 'expected an absolute working directory' }),
    /** True when the http-port's source ranks at least as high as the address's (see resolveConfig). */
    httpPortWins: z.boolean(),
    home: path('directory'),
    directory: checked(checkDirectoryUrl).optional(),
    staging: checked(checkBoolean),
    caBundle: path('CA bundle').optional(),
    email: email.optional(),
    domain: domains.optional(),
    name: checked(checkName).optional(),
    keyType,
    httpAddress: checked(checkHttpAddress),
    httpPort: checked(checkPort),
    preflight: checked(checkPreflightUrl),
    requestTimeout,
    json: z.boolean(),
    verbose: z.boolean(),
    quiet: z.boolean(),
  })
  .refine((v) => !(v.verbose === true && v.quiet === true), {
    error: 'Cannot combine --verbose and --quiet: choose one',
    path: ['quiet'],
    params: { [FULL_MESSAGE]: true },
    // Run even when other fields failed, so every problem is reported at once.
    when: () => true,
  })
  .transform((v, ctx): Config => {
    const domainList = v.domain ?? [];
    let name = v.name;
    if (name === undefined && domainList[0] !== undefined) {
      const fromDomain = checkName(domainList[0]);
      if (!fromDomain.ok) {
        ctx.issues.push({
          code: 'custom',
          path: ['domain', 0],
          input: domainList[0],
          message: 'the name is too long to be the certificate name (at most 64 characters); set --name',
        });
        return z.NEVER;
      }
      name = fromDomain.value;
    }
    const httpAddress = httpAddressOf(v.httpAddress, v.httpPort, v.httpPortWins);
    return {
      home: resolve(v.cwd, v.home),
      directoryUrl: v.directory ?? (v.staging ? LETSENCRYPT_STAGING_DIRECTORY_URL : LETSENCRYPT_DIRECTORY_URL),
      caBundlePath: v.caBundle === undefined ? undefined : resolve(v.cwd, v.caBundle),
      email: v.email,
      domains: domainList,
      name,
      keyType: v.keyType,
      httpAddress,
      preflightUrl: v.preflight,
      requestTimeoutMs: v.requestTimeout,
      output: { json: v.json, verbosity: v.verbose ? 'verbose' : v.quiet ? 'quiet' : 'normal' },
    };
  });
