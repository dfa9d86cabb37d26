/**
 * createDeferredLogger(): the real logger is made on the first line that passes the level, once,
 * and shared by every child; lines keep their level, message and fields (children's bound first).
 */
import { createDeferredLogger } from '../../../src/log/_deferred';
import { CapturingLogger, type LogRecord } from '../../../src/log/logger';
import type { Verbosity } from '../../../src/log/_levels';

function deferred(verbosity: Verbosity): {
  logger: ReturnType<typeof createDeferredLogger>;
  made: () => number;
  records: LogRecord[];
} {
  const records: LogRecord[] = [];
  let made = 0;
  const logger = createDeferredLogger(verbosity, () => {
    made += 1;
    return new CapturingLogger(records);
  });
  return { logger, made: () => made, records };
}

type Level = LogRecord['level'];

describe('createDeferredLogger()', () => {
  test.each<[Verbosity, Level, boolean]>([
    ['quiet', 'debug', false],
    ['quiet', 'info', false],
    ['quiet', 'warn', true],
    ['quiet', 'error', true],
    ['normal', 'debug', false],
    ['normal', 'info', true],
    ['normal', 'warn', true],
    ['normal', 'error', true],
    ['verbose', 'debug', true],
    ['verbose', 'info', true],
    ['verbose', 'warn', true],
    ['verbose', 'error', true],
  ])('at %s, a %s line makes the real logger: %s', (verbosity, level, writes) => {
    const { logger, made, records } = deferred(verbosity);
    logger[level]('Line', { n: 1 });
    expect({ made: made(), records }).toEqual({
      made: writes ? 1 : 0,
      records: writes ? [{ level, message: 'Line', fields: { n: 1 } }] : [],
    });
  });

  test('a quiet run with only debug and info lines, from children too, never makes it', () => {
    const { logger, made } = deferred('quiet');
    logger.debug('a');
    logger.info('b');
    const child = logger.child({ certificate: 'example.com' });
    child.info('c');
    child.child({ step: 'order' }).debug('d');
    expect(made()).toBe(0);
  });

  test('the real logger is made once and shared by the root and every child, whichever writes first', () => {
    const { logger, made, records } = deferred('normal');
    const child = logger.child({ certificate: 'a.example' });
    child.warn('first');
    logger.info('second');
    child.child({ step: 'finalize' }).error('third', { step: 'download' });
    expect(made()).toBe(1);
    expect(records).toEqual([
      { level: 'warn', message: 'first', fields: { certificate: 'a.example' } },
      { level: 'info', message: 'second', fields: {} },
      // A field given with the line wins over a bound one, as with every logger here.
      { level: 'error', message: 'third', fields: { certificate: 'a.example', step: 'download' } },
    ]);
  });

  test('a failure to make the real logger surfaces on the line that needed it, and the next line tries again', () => {
    let attempts = 0;
    const logger = createDeferredLogger('normal', () => {
      attempts += 1;
      throw new Error('Cannot load the logger');
    });
    logger.debug('dropped');
    expect(() => logger.info('needs it')).toThrow('Cannot load the logger');
    expect(() => logger.error('again')).toThrow('Cannot load the logger');
    expect(attempts).toBe(2);
  });
});

describe('createLogger() loads winston with its first line', () => {
  test.each<[Verbosity, Level[], boolean]>([
    ['quiet', ['debug', 'info'], false],
    ['quiet', ['info', 'warn'], true],
    ['normal', ['debug'], false],
    ['normal', ['info'], true],
    ['verbose', ['debug'], true],
  ])('at %s, lines %j load winston: %s', (verbosity, levels, loads) => {
    let loaded = 0;
    jest.isolateModules(() => {
      jest.doMock('winston', () => {
        loaded += 1;
        return jest.requireActual<typeof import('winston')>('winston');
      });
      const { createLogger } = jest.requireActual<typeof import('../../../src/log')>('../../../src/log');
      const { PassThrough } = jest.requireActual<typeof import('node:stream')>('node:stream');
      const logger = createLogger({ verbosity, stream: new PassThrough() });
      for (const level of levels) logger[level]('Line');
    });
    expect(loaded).toBe(loads ? 1 : 0);
  });
});
