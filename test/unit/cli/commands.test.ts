import { commandsFor } from '../../../src/cli/_commands';

const ALL = [
  'issue',
  'list',
  'renew',
  'daemon',
  'deploy',
  'sync',
  'haproxy-config',
  'revoke',
  'remove',
  'account',
  'import',
  'doctor',
];

describe('commandsFor()', () => {
  test.each<[string, string[], string[]]>([
    ['the daemon alone for "acme daemon …"', ['daemon', '--schedule', '0 * * * *'], ['daemon']],
    ['the named command after its own flags', ['renew', '--home', '/h', '--force'], ['renew']],
    ['a subcommand group by its first word', ['account', 'show'], ['account']],
    ['every command for no verb (acme --help)', ['--help'], ALL],
    ['every command for an empty command line', [], ALL],
    ['every command for an unknown verb (commander suggests the nearest)', ['isue', '-d', 'x'], ALL],
    ['every command for the help verb', ['help', 'issue'], ALL],
    ['no command for "acme --version"', ['--version'], []],
    ['no command for "acme -V"', ['-V'], []],
    ['every command for --version with --help', ['--version', '--help'], ALL],
    ['every command for -V with -h', ['-h', '-V'], ALL],
    ['every command for --version with an unknown verb', ['--version', 'isue'], ALL],
    ['the named command for --version after a verb', ['issue', '--version'], ['issue']],
    ['every command for a flag value in the verb position', ['--home', '/h', '--version'], ALL],
  ])('commandsFor() picks %s', (_label, argv, expected) => {
    expect(commandsFor(argv).map((entry) => entry.name)).toEqual(expected);
  });
});
