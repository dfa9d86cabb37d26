import { HaproxyError } from '../../../src/errors';
import { classifyReply, describeCommand, stripSeverity, type ReplyOutcome } from '../../../src/haproxy';
import { transcript } from '../../fixtures/haproxy';

const dir = '/tmp/haproxy-acme-capture';
const a = `${dir}/certs/a.pem`;
const b = `${dir}/certs/b.pem`;
const c = `${dir}/certs/c.pem`;
const list = `${dir}/crt-list.txt`;
const endpoint = 'unix@/run/haproxy/admin.sock';
const modes = ['', '.severity'] as const;

describe('classifyReply() on HAProxy 2.6.12 transcripts', () => {
  test.each<[string, string, ReplyOutcome, string | undefined]>([
    ['set-ssl-cert-created', `set ssl cert ${a}`, 'transaction-created', a],
    ['set-ssl-cert-updated', `set ssl cert ${a}`, 'transaction-updated', a],
    // The 2.6 bug: we asked for b, HAProxy names a. classifyReply reports it; setSslCert() refuses it.
    ['set-ssl-cert-other-path', `set ssl cert ${b}`, 'transaction-updated', a],
    ['commit-ssl-cert', `commit ssl cert ${a}`, 'success', undefined],
    ['commit-ssl-cert-new', `commit ssl cert ${c}`, 'success', undefined],
    ['abort-ssl-cert', `abort ssl cert ${a}`, 'transaction-aborted', a],
    ['new-ssl-cert', `new ssl cert ${c}`, 'certificate-created', c],
    ['add-ssl-crt-list', `add ssl crt-list ${list} ${c}`, 'success', undefined],
    ['add-ssl-crt-list-payload', `add ssl crt-list ${list}`, 'success', undefined],
    ['show-ssl-cert', `show ssl cert ${a}`, 'output', undefined],
    ['show-ssl-cert-list', 'show ssl cert', 'output', undefined],
    ['show-version', 'show version', 'output', undefined],
  ])('classifyReply() reads %s', (name, command, outcome, certificate) => {
    for (const mode of modes) {
      const result = classifyReply(command, transcript(`${name}${mode}`), { endpoint });
      expect({ mode, outcome: result.outcome, certificate: result.certificate }).toEqual({
        mode,
        outcome,
        certificate,
      });
    }
  });

  const replied = (text: string) => `HAProxy replied "${text}"`;
  test.each<[string, string, string]>([
    [
      'commit-ssl-cert-inconsistent',
      `commit ssl cert ${a}`,
      `Cannot commit SSL cert "${a}": ${replied(`inconsistencies between private key and certificate loaded '${a}'. Can't commit ${a}!`)}`,
    ],
    [
      'commit-ssl-cert-no-key',
      `commit ssl cert ${a}`,
      `Cannot commit SSL cert "${a}": ${replied(`The transaction must contain at least a certificate and a private key! Can't commit ${a}!`)}`,
    ],
    [
      'commit-ssl-cert-none',
      `commit ssl cert ${a}`,
      `Cannot commit SSL cert "${a}": ${replied(`No ongoing transaction! ! Can't commit ${a}!`)}`,
    ],
    [
      'commit-ssl-cert-wrong-name',
      `commit ssl cert ${b}`,
      `Cannot commit SSL cert "${b}": ${replied(`The ongoing transaction is about '${a}' but you are trying to set '${b}' Can't commit ${b}!`)}`,
    ],
    [
      'abort-ssl-cert-none',
      `abort ssl cert ${a}`,
      `Cannot abort SSL cert "${a}": ${replied('No ongoing transaction!')}`,
    ],
    [
      'set-ssl-cert-garbage',
      `set ssl cert ${a}`,
      `Cannot set SSL cert "${a}": ${replied(`unable to load certificate from file '${a}'. Can't load the payload Can't update ${a}!`)}`,
    ],
    [
      'set-ssl-cert-unknown-path',
      `set ssl cert ${dir}/nope.pem`,
      `Cannot set SSL cert "${dir}/nope.pem": ${replied(`Can't replace a certificate which is not referenced by the configuration! Can't update ${dir}/nope.pem!`)}`,
    ],
    [
      'set-ssl-cert-no-payload',
      `set ssl cert ${a}`,
      `Cannot set SSL cert "${a}": ${replied("'set ssl cert expects a filename and a certificate as a payload")}`,
    ],
    [
      'set-ssl-cert-oversized',
      `set ssl cert ${a}`,
      `Cannot set SSL cert "${a}": HAProxy closed the connection without a reply (an unterminated or oversized payload, or a command this version ignores)`,
    ],
    [
      'set-ssl-cert-unterminated',
      `set ssl cert ${a}`,
      `Cannot set SSL cert "${a}": HAProxy closed the connection without a reply (an unterminated or oversized payload, or a command this version ignores)`,
    ],
    [
      'show-ssl-cert-bare-name',
      'show ssl cert a.pem',
      `Cannot show SSL cert "a.pem": ${replied("Can't display the certificate: Not found or the certificate is a bundle!")}`,
    ],
    [
      'new-ssl-cert-exists',
      `new ssl cert ${c}`,
      `Cannot create SSL cert "${c}": ${replied(`Certificate '${c}' already exists!`)}`,
    ],
    [
      'add-ssl-crt-list-unknown-cert',
      `add ssl crt-list ${list} ${dir}/nope.pem`,
      `Cannot add "${dir}/nope.pem" to SSL crt-list "${list}": ${replied(`Can't edit the crt-list: certificate '${dir}/nope.pem' does not exist!`)}`,
    ],
    [
      'permission-denied',
      `abort ssl cert ${a}`,
      `Cannot abort SSL cert "${a}": HAProxy replied "Permission denied"; the runtime socket needs "level admin" (stats socket <path> mode 600 level admin)`,
    ],
    [
      'unknown-command',
      'frobnicate ssl cert',
      'Cannot run "frobnicate ssl cert": HAProxy replied "Unknown command, but maybe one of the following ones is a better match:"; this HAProxy version may not support it',
    ],
    [
      'set-ssl-cert-blank-line',
      `set ssl cert ${a}`,
      `Cannot set SSL cert "${a}": HAProxy replied "Unknown command, but maybe one of the following ones is a better match:"; this HAProxy version may not support it`,
    ],
  ])('classifyReply() turns %s into a HaproxyError', (name, command, message) => {
    for (const mode of modes) {
      const reply = transcript(`${name}${mode}`);
      expect(() => classifyReply(command, reply, { endpoint })).toThrow(
        expect.objectContaining({
          name: HaproxyError.name,
          code: 'HAPROXY',
          message,
          command,
          reply,
          endpoint,
          retryable: false,
        }),
      );
    }
  });

  test.each<[string, string]>([
    [
      'set-ssl-cert-locked.severity',
      `Cannot set SSL cert "${a}": HAProxy replied "Can't update the certificate! Operations on certificates are currently locked!"`,
    ],
    [
      'show-ssl-cert-list-locked.severity',
      'Cannot show SSL certs: HAProxy replied "Can\'t show! Operations on certificates are currently locked!"',
    ],
  ])('classifyReply() marks the busy certificate lock (%s) as retryable', (name, message) => {
    const command = name.startsWith('set') ? `set ssl cert ${a}` : 'show ssl cert';
    expect(() => classifyReply(command, transcript(name), { endpoint })).toThrow(
      expect.objectContaining({ message, retryable: true }),
    );
  });

  test.each<[string]>([['[3]: something new went wrong\n\n'], ['[2]: critical\n']])(
    'classifyReply() treats an error severity as failure: %j',
    (reply) => {
      expect(() => classifyReply('show info', reply, { endpoint })).toThrow(HaproxyError);
    },
  );

  test('classifyReply() cuts a long reply to 300 characters on one line', () => {
    const reply = `[3]: ${'x'.repeat(500)}\nsecond line\n`;
    expect(() => classifyReply('show info', reply, { endpoint })).toThrow(
      `Cannot run "show info": HAProxy replied "${'x'.repeat(299)}…"`,
    );
  });
});

describe('stripSeverity() and describeCommand()', () => {
  test('stripSeverity() removes only line-leading [N]: prefixes', () => {
    expect(stripSeverity('\n[5]: Transaction created for certificate /a[1]: .pem!\n\n')).toBe(
      '\nTransaction created for certificate /a[1]: .pem!\n\n',
    );
  });

  test.each<[string, string]>([
    ['set ssl cert /srv/a\\ b\\;c.pem', 'set SSL cert "/srv/a b;c.pem"'],
    ['new ssl cert /srv/a.pem', 'create SSL cert "/srv/a.pem"'],
    ['del ssl cert /srv/a.pem', 'delete SSL cert "/srv/a.pem"'],
    ['show ssl cert', 'show SSL certs'],
    ['add ssl crt-list /srv/list /srv/a.pem', 'add "/srv/a.pem" to SSL crt-list "/srv/list"'],
    ['add ssl crt-list /srv/list', 'add to SSL crt-list "/srv/list"'],
    ['show info', 'run "show info"'],
  ])('describeCommand(%j) is %j', (command, description) => {
    expect(describeCommand(command)).toBe(description);
  });
});

// Found by test/unit/property/haproxy.test.ts: a garbage peer's escape sequences reached the terminal raw.
describe('classifyReply() and describeCommand() escape invisible characters', () => {
  test.each<[string, string, string]>([
    [
      'an ANSI escape in a failure reply',
      `commit ssl cert ${a}`,
      `Cannot commit SSL cert "${a}": HAProxy replied "\\u001b[2J Can't commit ${a}!"`,
    ],
    [
      'a bidi override in a failure reply',
      `commit ssl cert ${a}`,
      `Cannot commit SSL cert "${a}": HAProxy replied "\\u202eNo ongoing transaction!"`,
    ],
    [
      'a bell in the certificate path',
      'abort ssl cert /srv/\u0007x.pem',
      'Cannot abort SSL cert "/srv/\\u0007x.pem": HAProxy replied "x"',
    ],
    ['an escape in another command', 'show \u001b[2Jinfo', 'Cannot run "show \\u001b[2Jinfo": HAProxy replied "x"'],
  ])('classifyReply() escapes %s', (label, command, message) => {
    const reply = label.startsWith('an ANSI')
      ? `\u001b[2J\n[3]: Can't commit ${a}!\n`
      : label.startsWith('a bidi')
        ? '[3]: \u202eNo ongoing transaction!\n'
        : '[3]: x\n';
    expect(() => classifyReply(command, reply, { endpoint })).toThrow(new HaproxyError(message, { command, endpoint }));
  });
});
