import { runCli, EXIT_BAD_INPUT } from '../../../src/cli';
import { hideArgvSecrets, secretArguments } from '../../../src/cli/_argvSecrets';
import { cliHarness } from './_harness';

const KEY = '-Zm9vYmFyYmF6cXV4cXV1eHF1dXg';

describe('secretArguments() and hideArgvSecrets()', () => {
  test.each<[string, string[], string[]]>([
    ['the value after --eab-hmac-key', ['issue', '--eab-hmac-key', KEY], [KEY]],
    ['the value after "="', ['issue', `--eab-hmac-key=${KEY}`], [KEY]],
    ['the argument after a swallowed --eab-hmac-key', ['issue', '--home', '--eab-hmac-key', KEY], [KEY]],
    ['nothing when the flag is last', ['issue', '--eab-hmac-key'], []],
    ['no value shorter than 16 characters', ['issue', '--eab-hmac-key', 'short'], []],
    ['nothing without the flag', ['issue', '-d', KEY], []],
  ])('secretArguments() takes %s', (_label, argv, expected) => {
    expect(secretArguments(argv)).toEqual(expected);
  });

  test('hideArgvSecrets() replaces every occurrence', () => {
    expect(hideArgvSecrets(['--eab-hmac-key', KEY])(`a ${KEY} b ${KEY}`)).toBe('a [redacted] b [redacted]');
  });
});

// Found by test/unit/property/cli.test.ts: --home without its value swallowed --eab-hmac-key, and commander
// printed the HMAC key as an unknown option.
describe('runCli() never echoes an --eab-hmac-key value', () => {
  test.each<[string[], string]>([
    [['issue', '--home', '--eab-hmac-key', KEY], "error: unknown option '[redacted]'"],
    [['renew', '--name', '--eab-hmac-key', KEY], "error: unknown option '[redacted]'"],
  ])('runCli(%j) prints the error without the key', async (argv, expected) => {
    const { deps, stderr } = cliHarness();
    expect(await runCli(argv, deps)).toBe(EXIT_BAD_INPUT);
    expect(stderr()).toContain(expected);
    expect(stderr()).not.toContain(KEY);
  });
});

// Found by test/unit/property/cli.test.ts: "Invalid --schedule" and "Invalid --until" quoted the raw value, so a
// control character in an argument reached the terminal.
describe('runCli() escapes invisible characters in error messages', () => {
  test.each<[string[], string]>([
    [['daemon', '--schedule=\u001b[2J'], 'Error: Invalid --schedule "\\u001b[2J": expected a cron expression'],
    [['daemon', '--schedule', '\u0000'], 'Error: Invalid --schedule "\\u0000": expected a cron expression'],
    [['renew', '--until', '2026\u202e'], 'Error: Invalid --until "2026\\u202e": expected an ISO 8601 time'],
    [['renew', '--until', '\u{e0001}'], 'Error: Invalid --until "\\u{e0001}": expected an ISO 8601 time'],
  ])('runCli(%j) prints the message with escapes', async (argv, expected) => {
    const { deps, stderr } = cliHarness();
    expect(await runCli(argv, deps)).toBe(EXIT_BAD_INPUT);
    expect(stderr()).toContain(expected);
    expect(stderr()).not.toMatch(/[\u0000\u001b\u202e]|\u{e0001}/u);
  });
});
