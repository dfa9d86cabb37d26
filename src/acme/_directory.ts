/**
 * The ACME directory (RFC 8555 §7.1.1) as we read it: its `meta`, the ACME profiles extension's
 * `meta.profiles` (draft-aaron-acme-profiles) and RFC 9773's `renewalInfo` resource. The checks
 * here are pure; readDirectory() is the one call into acme-client.
 */
import type * as acme from 'acme-client';
import { AcmeError } from '../errors';
import { sanitizeDetail } from './_problem';

/** The directory's `meta` object (RFC 8555 §7.1.1), plus what the extensions we use add. */
export interface DirectoryMeta {
  termsOfService?: string;
  website?: string;
  caaIdentities?: string[];
  externalAccountRequired?: boolean;
  /** ACME profiles: name → human description, e.g. `{ shortlived: "6-day certificates" }`. Absent when the CA has none. */
  profiles?: Record<string, string>;
  /** Whether the directory has a `renewalInfo` URL (RFC 9773 §3), i.e. the CA serves ARI. */
  hasRenewalInfo: boolean;
}

/** The directory document, as far as we read it; every member is unchecked server input. */
export interface AcmeDirectory {
  meta?: unknown;
  renewalInfo?: unknown;
  newOrder?: unknown;
  newAccount?: unknown;
}

/**
 * Returns acme-client's cached directory. HttpClient.getDirectory() is internal to acme-client
 * 5.4.0 (pinned); it shares the client's cache, so the next signed request does not fetch it again.
 */
export async function readDirectory(client: acme.Client): Promise<AcmeDirectory> {
  const http = (client as unknown as { http?: { getDirectory?: () => Promise<unknown> } }).http;
  if (typeof http?.getDirectory !== 'function') {
    throw new Error('acme-client has no HttpClient.getDirectory(); check the pinned version');
  }
  const directory = await http.getDirectory();
  return typeof directory === 'object' && directory !== null ? (directory as AcmeDirectory) : {};
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `meta.profiles` with only its string-valued entries; undefined when the CA offers none. */
function profilesOf(meta: Record<string, unknown>): Record<string, string> | undefined {
  if (!isRecord(meta.profiles)) return undefined;
  const entries = Object.entries(meta.profiles).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/**
 * The `renewalInfo` URL of `directory` (RFC 9773 §3), or undefined when it has none or it is not
 * an http(s) URL.
 */
export function renewalInfoBase(directory: AcmeDirectory): string | undefined {
  const value = directory.renewalInfo;
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Builds DirectoryMeta from a directory document: `meta` as sent, `profiles` cleaned, `hasRenewalInfo`. */
export function toDirectoryMeta(directory: AcmeDirectory): DirectoryMeta {
  const meta = isRecord(directory.meta) ? directory.meta : {};
  const { profiles: _profiles, ...rest } = meta;
  const profiles = profilesOf(meta);
  return {
    ...(rest as Omit<DirectoryMeta, 'profiles' | 'hasRenewalInfo'>),
    ...(profiles === undefined ? {} : { profiles }),
    hasRenewalInfo: renewalInfoBase(directory) !== undefined,
  };
}

/**
 * Checks that the CA offers `profile` in `meta.profiles` (ACME profiles draft §3: a server
 * rejects an unknown profile with `invalidProfile`; we fail earlier, before any order exists).
 * @throws {AcmeError} ACME_PROBLEM naming the offered profiles, e.g.
 *   `Cannot create an order with profile "x": the CA offers "classic", "shortlived"`
 */
export function checkProfile(meta: DirectoryMeta, profile: string): void {
  const offered = Object.keys(meta.profiles ?? {});
  if (offered.includes(profile)) return;
  const cannot = `Cannot create an order with profile "${sanitizeDetail(profile)}"`;
  const detail =
    offered.length === 0
      ? 'the CA offers no profiles; omit the profile'
      : `the CA offers ${offered.map((name) => `"${sanitizeDetail(name)}"`).join(', ')}`;
  throw new AcmeError('ACME_PROBLEM', `${cannot}: ${detail}`);
}
