import type { Check } from './_domain';
import type { StorageConfig } from './_types';

const DETAIL =
  'expected "file" or a URL such as "postgres://acme@127.0.0.1:5432/acme" (scheme postgres or postgresql, a host and a database name)';

/**
 * The `--storage` value (pure): `file`, or a `postgres://` / `postgresql://` URL with a host and a
 * database name. The URL may carry a password, so no detail ever repeats the value. Sample:
 * `"postgres://acme@db:5432/acme"` → `{ kind: 'postgres', url: … }`.
 */
export function checkStorage(input: string): Check<StorageConfig> {
  const value = input.trim();
  if (value.toLowerCase() === 'file') return { ok: true, value: { kind: 'file' } };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, detail: DETAIL };
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return { ok: false, detail: DETAIL };
  if (url.hostname === '' || url.pathname.length < 2 || url.pathname.slice(1).includes('/'))
    return { ok: false, detail: DETAIL };
  return { ok: true, value: { kind: 'postgres', url: value } };
}

/** A label of the storage for logs and output: the URL without user name or password (pure). */
export function describeStorage(storage: StorageConfig): string {
  if (storage.kind === 'file') return 'file';
  const url = new URL(storage.url);
  return `${url.protocol}//${url.host}${url.pathname}`;
}
