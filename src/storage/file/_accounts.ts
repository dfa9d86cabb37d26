import { join } from 'node:path';
import { z } from 'zod';
import { CertificateError, StorageError } from '../../errors';
import type { Logger } from '../../log';
import { keyTypeOf } from '../../pem';
import { accountDir } from './paths';
import { ensureDir, FileSystem, ioError, writeFileAtomic } from './_atomic';
import type { StoredAccount } from '../_types';

/** What the account functions need from the file store. */
export interface AccountFiles {
  home: string;
  fs: FileSystem;
  logger: Logger;
  random: () => string;
}

const accountSchema = z.object({
  directoryUrl: z.string().min(1),
  accountUrl: z.string().min(1),
  email: z.string().optional(),
  createdAt: z.iso.datetime(),
});

async function readText(files: AccountFiles, path: string): Promise<string | undefined> {
  try {
    return await files.fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('read', path, error);
  }
}

function corrupt(path: string, detail: string, cause?: unknown): StorageError {
  return new StorageError(
    'STORAGE_CORRUPT',
    `Cannot read ACME account "${path}": ${detail}; delete "${path}" to register a new account`,
    {
      path,
      cause,
    },
  );
}

/**
 * Reads `account.json` and `account.key.pem` of a directory URL; undefined when there is no account.json.
 * @throws StorageError STORAGE_CORRUPT when either file is unreadable or invalid.
 */
export async function loadAccountFiles(files: AccountFiles, directoryUrl: string): Promise<StoredAccount | undefined> {
  const dir = accountDir(files.home, directoryUrl);
  const jsonPath = join(dir, 'account.json');
  const keyPath = join(dir, 'account.key.pem');
  const text = await readText(files, jsonPath);
  if (text === undefined) return undefined;
  let parsed: z.infer<typeof accountSchema>;
  try {
    parsed = accountSchema.parse(JSON.parse(text));
  } catch (error) {
    throw corrupt(jsonPath, 'it is not valid account JSON', error);
  }
  const keyPem = await readText(files, keyPath);
  if (keyPem === undefined) throw corrupt(keyPath, 'the account key is missing');
  try {
    keyTypeOf(keyPem);
  } catch (error) {
    throw corrupt(keyPath, error instanceof CertificateError ? error.message : 'the account key does not parse', error);
  }
  return { ...parsed, keyPem };
}

/**
 * Writes the account key (0600) and then `account.json` (0600), each atomically. The JSON goes
 * last because it is what loadAccount looks for: a crash in between leaves the old account or none.
 * @throws StorageError STORAGE_IO when a file cannot be written.
 */
export async function saveAccountFiles(files: AccountFiles, account: StoredAccount): Promise<void> {
  const dir = accountDir(files.home, account.directoryUrl);
  const options = { fs: files.fs, random: files.random, mode: 0o600 };
  await ensureDir(dir, { fs: files.fs });
  // Replacing an existing account (key rollover) has a window where the new key sits next to
  // the old account.json; issuance holds the home lock, so no other writer races us here.
  await writeFileAtomic(join(dir, 'account.key.pem'), account.keyPem, options);
  const json = {
    directoryUrl: account.directoryUrl,
    accountUrl: account.accountUrl,
    ...(account.email === undefined ? {} : { email: account.email }),
    createdAt: account.createdAt,
  };
  await writeFileAtomic(join(dir, 'account.json'), `${JSON.stringify(json, null, 2)}\n`, options);
  files.logger.info('Saved ACME account', { directoryUrl: account.directoryUrl, accountUrl: account.accountUrl, dir });
}
