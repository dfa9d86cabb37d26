import { PassThrough } from 'node:stream';
import { createLogger } from '../../../src/log';

function capture(): { stream: PassThrough; lines: () => string[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return { stream, lines: () => chunks.join('').split('\n').filter((line) => line !== '') };
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
});
