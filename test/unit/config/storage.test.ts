/** `--storage`: `file` or a PostgreSQL URL; a password in it is used but never shown. */
import { checkStorage, describeStorage, resolveConfig } from '../../../src/config';

describe('checkStorage()', () => {
  test.each<[string, unknown]>([
    ['file', { ok: true, value: { kind: 'file' } }],
    [' FILE ', { ok: true, value: { kind: 'file' } }],
    [
      'postgres://acme@127.0.0.1:5432/acme',
      { ok: true, value: { kind: 'postgres', url: 'postgres://acme@127.0.0.1:5432/acme' } },
    ],
    [
      'postgresql://db.internal/acme?sslmode=require',
      { ok: true, value: { kind: 'postgres', url: 'postgresql://db.internal/acme?sslmode=require' } },
    ],
    ['postgres://[::1]:5432/acme', { ok: true, value: { kind: 'postgres', url: 'postgres://[::1]:5432/acme' } }],
  ])('checkStorage(%j) accepts it', (input, expected) => {
    expect(checkStorage(input)).toEqual(expected);
  });

  test.each([
    ['', 'empty'],
    ['files', 'another word'],
    ['mysql://db/acme', 'another scheme'],
    ['http://db/acme', 'http'],
    ['postgres://db', 'no database'],
    ['postgres://db/', 'an empty database'],
    ['postgres://db/acme/extra', 'a path below the database'],
    ['postgres:///acme', 'no host (a unix socket is not accepted)'],
    ['postgres://', 'nothing after the scheme'],
    ['not a url', 'not a URL'],
    ['postgres://acme:secret@/acme', 'a password and no host'],
  ])('checkStorage(%j) refuses %s', (input) => {
    expect(checkStorage(input)).toMatchObject({ ok: false });
  });

  test('no refusal repeats the value, which may hold a password', () => {
    const result = checkStorage('mysql://acme:hunter2-secret@db/acme');
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('hunter2-secret');
  });
});

describe('describeStorage()', () => {
  test.each([
    [{ kind: 'file' as const }, 'file'],
    [
      { kind: 'postgres' as const, url: 'postgres://acme:hunter2@db.internal:5432/acme' },
      'postgres://db.internal:5432/acme',
    ],
    [{ kind: 'postgres' as const, url: 'postgresql://db/acme?sslmode=require' }, 'postgresql://db/acme'],
  ])('describeStorage(%j) is %j, without user or password', (storage, label) => {
    expect(describeStorage(storage)).toBe(label);
  });
});

describe('resolveConfig() storage', () => {
  const base = { env: {}, snap: {}, cwd: '/srv', hostname: 'edge-1' };

  test('the file store is the default', () => {
    expect(resolveConfig({ ...base, flags: {} }).storage).toEqual({ kind: 'file' });
  });

  test('ACME_STORAGE and the snap option acme-storage select a PostgreSQL store', () => {
    expect(resolveConfig({ ...base, flags: {}, env: { ACME_STORAGE: 'postgres://db/acme' } }).storage).toEqual({
      kind: 'postgres',
      url: 'postgres://db/acme',
    });
    expect(resolveConfig({ ...base, flags: {}, snap: { 'acme-storage': 'postgres://db/acme' } }).storage).toEqual({
      kind: 'postgres',
      url: 'postgres://db/acme',
    });
  });

  test('a refused URL names its source and never shows the password', () => {
    let message = '';
    try {
      resolveConfig({ ...base, flags: { storage: 'mysql://acme:hunter2-secret@db/acme' } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('--storage');
    expect(message).not.toContain('hunter2-secret');
  });
});
