import { splitCommand } from '../../../src/config/_command';

const SHELL = (c: string) =>
  `"${c}" is shell syntax, but no shell is run; put it in single quotes, or put the commands in a script and give its path`;
const PROGRAM = (p: string) => `the program must be an absolute path or a bare command name found on PATH, not "${p}"`;
const INVISIBLE = 'the command contains a control character or an invisible character';

describe('splitCommand()', () => {
  test.each<[string, string[]]>([
    ['snapctl restart mysnap.haproxy', ['snapctl', 'restart', 'mysnap.haproxy']],
    ['  systemctl   reload  haproxy  ', ['systemctl', 'reload', 'haproxy']],
    ['/usr/bin/systemctl reload haproxy.service', ['/usr/bin/systemctl', 'reload', 'haproxy.service']],
    ['snapctl restart "my snap.haproxy"', ['snapctl', 'restart', 'my snap.haproxy']],
    ['/opt/x/reload \'a "b" $c;|&\'', ['/opt/x/reload', 'a "b" $c;|&']],
    [
      '/opt/x/reload "say \\"hi\\"" "back\\\\slash" "\\$HOME" "\\`x\\`"',
      ['/opt/x/reload', 'say "hi"', 'back\\slash', '$HOME', '`x`'],
    ],
    ['/opt/x/reload "keep \\n and \\a"', ['/opt/x/reload', 'keep \\n and \\a']],
    ['/opt/my\\ dir/reload --flag=\\;', ['/opt/my dir/reload', '--flag=;']],
    ['/opt/x/reload \'\' "" end', ['/opt/x/reload', '', '', 'end']],
    ['/opt/x/reload pre\'quoted\'"mixed"post', ['/opt/x/reload', 'prequotedmixedpost']],
    ['/opt/x/reload ünïcode', ['/opt/x/reload', 'ünïcode']],
    [`/bin/true ${'a'.repeat(4085)}`, ['/bin/true', 'a'.repeat(4085)]],
  ])('splitCommand() splits %j', (input, argv) => {
    expect(splitCommand(input)).toEqual({ ok: true, value: argv });
  });

  test.each<[string, string]>([
    ['', 'expected a command, e.g. "snapctl restart mysnap.haproxy"'],
    ['    ', 'expected a command, e.g. "snapctl restart mysnap.haproxy"'],
    ["'' restart", PROGRAM('')],
    ['./reload.sh', PROGRAM('./reload.sh')],
    ['bin/reload', PROGRAM('bin/reload')],
    ['../reload now', PROGRAM('../reload')],
    ['~/reload', PROGRAM('~/reload')],
    ["snapctl restart 'x", 'the command has an unbalanced single quote'],
    ['snapctl restart "x', 'the command has an unbalanced double quote'],
    ['snapctl restart "x\\"', 'the command has an unbalanced double quote'],
    ['snapctl restart x\\', 'the command ends with a backslash'],
    ['snapctl\trestart x', INVISIBLE],
    ['snapctl restart x\n', INVISIBLE],
    ['snapctl restart x\u0000', INVISIBLE],
    ['snapctl restart x\u007f', INVISIBLE],
    ['snapctl\u00a0restart x', INVISIBLE],
    ['snapctl restart x\u202e', INVISIBLE],
    ['systemctl reload haproxy || systemctl restart haproxy', SHELL('|')],
    ['systemctl reload haproxy && echo ok', SHELL('&')],
    ['systemctl reload haproxy; reboot', SHELL(';')],
    ['/opt/x/reload > /tmp/log', SHELL('>')],
    ['/opt/x/reload < /tmp/in', SHELL('<')],
    ['/opt/x/reload $(id)', SHELL('$')],
    ['/opt/x/reload "$(id)"', SHELL('$')],
    ['/opt/x/reload `id`', SHELL('`')],
    ['/opt/x/reload "$HOME"', SHELL('$')],
    ['/opt/x/reload "`id`"', SHELL('`')],
    ['/opt/x/reload (x)', SHELL('(')],
    [`/bin/true ${'a'.repeat(4087)}`, 'the command is 4097 characters long; the limit is 4096'],
  ])('splitCommand() rejects %j', (input, detail) => {
    expect(splitCommand(input)).toEqual({ ok: false, detail });
  });
});
