import { PassThrough } from 'node:stream';
import { createLogger } from '../../../src/log';

function capture(): { stream: PassThrough; lines: () => string[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== ''),
  };
}

describe('createLogger()', () => {
  test('createLogger() writes one JSON object per line with the fields', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ stream, format: 'json' });
    logger.child({ identifier: 'a.example.test' }).info('Order created', { orderUrl: 'https://ca/order/1' });
    expect(lines().map((line) => JSON.parse(line))).toEqual([
      { level: 'info', message: 'Order created', identifier: 'a.example.test', orderUrl: 'https://ca/order/1' },
    ]);
  });

  test.each([
    ['quiet', ['warn', 'error']],
    ['normal', ['info', 'warn', 'error']],
    ['verbose', ['debug', 'info', 'warn', 'error']],
  ] as const)('createLogger() at verbosity %s writes levels %j', (verbosity, expected) => {
    const { stream, lines } = capture();
    const logger = createLogger({ stream, format: 'json', verbosity });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines().map((line) => JSON.parse(line).level)).toEqual(expected);
  });

  test('createLogger() redacts a private key in the message and in fields', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ stream, format: 'text' });
    const key = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n-----END PRIVATE KEY-----';
    logger.error(`oops ${key}`, { detail: key });
    const text = lines().join('\n');
    expect(text).not.toContain('MIGHAgEAMBMG');
    expect(text).toContain('[redacted PRIVATE KEY]');
  });

  test('createLogger() serialises an Error field instead of printing {}', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ stream, format: 'json' });
    logger.warn('Hook failed', { err: new TypeError('boom') });
    expect(JSON.parse(lines()[0]!).err).toEqual({ name: 'TypeError', message: 'boom' });
  });

  // Every field is redacted, not only the message.
  const KEY_PEM = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBsecret\n-----END EC PRIVATE KEY-----';
  const KEY_AUTHORIZATION = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0';
  const D = 'Aq7sWkSo7K5dVsQPV4YJfUqLKxFSu8w_mJ1uvkdfUhE';
  test.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['a PEM key in a string field', { detail: `reply ${KEY_PEM}` }, { detail: 'reply [redacted EC PRIVATE KEY]' }],
    [
      'a key authorization in a list of causes',
      { cause: [`Error: served ${KEY_AUTHORIZATION}`] },
      { cause: ['Error: served evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.[redacted]'] },
    ],
    [
      'a JWK private member in a JSON string field',
      { body: `{"kty":"EC","d":"${D}"}` },
      { body: '{"kty":"EC","d":"[redacted]"}' },
    ],
    [
      'a JWK object field',
      { jwk: { kty: 'EC', crv: 'P-256', d: D, x: 'x1' } },
      { jwk: { kty: 'EC', crv: 'P-256', d: '[redacted]', x: 'x1' } },
    ],
    [
      'an Error nested in an object',
      { outcome: { error: new Error(`boom ${KEY_PEM}`) } },
      { outcome: { error: { name: 'Error', message: 'boom [redacted EC PRIVATE KEY]' } } },
    ],
    ['numbers, booleans and null as they are', { port: 80, ok: true, none: null }, { port: 80, ok: true, none: null }],
  ])('createLogger() redacts %s in a JSON line', (_label, fields, expected) => {
    const { stream, lines } = capture();
    createLogger({ stream, format: 'json' }).warn('x', fields);
    expect(JSON.parse(lines()[0]!)).toEqual({ level: 'warn', message: 'x', ...expected });
  });
});
