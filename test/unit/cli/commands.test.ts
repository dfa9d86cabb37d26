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
    ['every command for a verb-looking flag value first', ['--version'], ALL],
  ])('commandsFor() picks %s', (_label, argv, expected) => {
    expect(commandsFor(argv).map((entry) => entry.name)).toEqual(expected);
  });
});
