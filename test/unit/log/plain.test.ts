import { PassThrough } from 'node:stream';
import { createLogger, createPlainLogger, verbosityOf } from '../../../src/log';

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

describe('createPlainLogger()', () => {
  test.each<['quiet' | 'normal' | 'verbose', string[]]>([
    ['quiet', ['warn', 'error']],
    ['normal', ['info', 'warn', 'error']],
    ['verbose', ['debug', 'info', 'warn', 'error']],
  ])('createPlainLogger() at %s writes only %j', (verbosity, expected) => {
    const out = capture();
    const logger = createPlainLogger({ verbosity, stream: out.stream });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(out.lines().map((line) => (JSON.parse(line) as { level: string }).level)).toEqual(expected);
  });

  test('createPlainLogger() writes the same JSON line as the winston logger, keys sorted', async () => {
    const plain = capture();
    const winston = capture();
    const fields = { certificate: 'a.example', exitCode: 0, nested: { z: 1, a: [1, 2] } };
    createPlainLogger({ stream: plain.stream }).child({ component: 'daemon' }).info('Renewal pass finished', fields);
    createLogger({ stream: winston.stream }).child({ component: 'daemon' }).info('Renewal pass finished', fields);
    await new Promise((resolve) => setImmediate(resolve));
    expect(plain.lines()).toEqual(winston.lines());
    expect(plain.lines()).toEqual([
      '{"certificate":"a.example","component":"daemon","exitCode":0,"level":"info","message":"Renewal pass finished","nested":{"a":[1,2],"z":1}}',
    ]);
  });

  test.each<[string, string, Record<string, unknown>]>([
    ['a PEM private key in the message', 'key -----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----', {}],
    [
      'a PEM private key in a nested field',
      'x',
      { deep: { pem: '-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----' } },
    ],
  ])('createPlainLogger() redacts %s', (_label, message, fields) => {
    const out = capture();
    createPlainLogger({ stream: out.stream, format: 'text' }).error(message, fields);
    expect(out.lines().join('\n')).not.toMatch(/MIIB|MHcC/);
  });

  test('createPlainLogger() text lines read "level message  key=value"', () => {
    const out = capture();
    createPlainLogger({ stream: out.stream, format: 'text' }).warn('Renewal pass finished', {
      exitCode: 1,
      nextCheckAt: '2027-01-01T00:00:00.000Z',
    });
    expect(out.lines()).toEqual(['warn Renewal pass finished  exitCode=1 nextCheckAt=2027-01-01T00:00:00.000Z']);
  });
});

describe('verbosityOf()', () => {
  test.each<[{ verbose?: boolean; quiet?: boolean }, string]>([
    [{}, 'normal'],
    [{ quiet: true }, 'quiet'],
    [{ verbose: true }, 'verbose'],
    [{ verbose: true, quiet: true }, 'verbose'],
    [{ verbose: false, quiet: false }, 'normal'],
  ])('verbosityOf(%j) is %s', (flags, expected) => {
    expect(verbosityOf(flags)).toBe(expected);
  });
});
