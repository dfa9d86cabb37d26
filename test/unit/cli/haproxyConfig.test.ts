/**
 * renderHaproxyConfig() writes every configured value as one HAProxy word, and refuses (never quotes or
 * escapes) one that is not, even when it was built without the config schema's checks.
 */
import { renderHaproxyConfig } from '../../../src/cli/haproxyConfig';
import { resolveConfig, type Config } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { HOSTILE_WORD_TAILS } from '../_haproxyWords';

const BASE: Config = resolveConfig({ flags: { home: '/h' }, env: {}, snap: {}, cwd: '/' });

/** `BASE` with some fields replaced, bypassing the schema: the renderer is the last line of defence. */
function configWith(change: {
  home?: string;
  httpAddress?: Config['httpAddress'];
  socket?: string;
  crtList?: string;
}): Config {
  return {
    ...BASE,
    home: change.home ?? BASE.home,
    httpAddress: change.httpAddress ?? BASE.httpAddress,
    haproxy: {
      ...BASE.haproxy,
      sockets: change.socket === undefined ? BASE.haproxy.sockets : [{ kind: 'unix', path: change.socket }],
      crtList: change.crtList ?? BASE.haproxy.crtList,
    },
  };
}

/** One rendered value: the flag the message names, the value as the message shows it, and the config carrying a tail. */
interface Slot {
  readonly flag: string;
  readonly shown: (tail: string) => string;
  readonly config: (tail: string) => Config;
}

const SLOTS: readonly Slot[] = [
  {
    flag: '--http-address',
    shown: (t) => `unix:/run/acme.sock${t}`,
    config: (t) => configWith({ httpAddress: { kind: 'unix', path: `/run/acme.sock${t}` } }),
  },
  {
    flag: '--http-address',
    shown: (t) => (t.includes(':') ? `[localhost${t}]:80` : `localhost${t}:80`),
    config: (t) => configWith({ httpAddress: { kind: 'tcp', host: `localhost${t}`, port: 80 } }),
  },
  {
    flag: '--haproxy-socket',
    shown: (t) => `/run/admin.sock${t}`,
    config: (t) => configWith({ socket: `/run/admin.sock${t}` }),
  },
  {
    flag: '--haproxy-crt-list',
    shown: (t) => `/etc/crt-list.txt${t}`,
    config: (t) => configWith({ crtList: `/etc/crt-list.txt${t}` }),
  },
  { flag: '--home', shown: (t) => `/srv/acme${t}`, config: (t) => configWith({ home: `/srv/acme${t}` }) },
];

const HOSTILE = HOSTILE_WORD_TAILS;

describe('renderHaproxyConfig()', () => {
  test('renderHaproxyConfig() writes each configured value as one word where HAProxy reads it', () => {
    const lines = renderHaproxyConfig(
      configWith({
        home: '/srv/a-b_c',
        httpAddress: { kind: 'unix', path: '/run/a@b,c.sock' },
        socket: '/run/x/admin.sock',
        crtList: '/etc/l.txt',
      }),
    ).split('\n');
    expect(lines.filter((line) => /^ {4}(stats socket|server acme|bind :443)/.test(line))).toEqual([
      '    stats socket /run/x/admin.sock mode 600 level admin',
      '    server acme unix@/run/a@b,c.sock',
      '    bind :443 ssl crt /srv/a-b_c/haproxy-default.pem crt-list /etc/l.txt alpn h2,http/1.1',
    ]);
  });

  test('renderHaproxyConfig() names the crt-list under the home when none is configured', () => {
    expect(renderHaproxyConfig(configWith({ home: '/srv/acme' }))).toContain('crt-list /srv/acme/crt-list.txt alpn');
  });

  const cases = SLOTS.flatMap((slot) =>
    HOSTILE.map(([name, tail, shownTail, problem]) => {
      const message = `Cannot render the HAProxy configuration with ${slot.flag} "${slot.shown(shownTail)}": ${problem}`;
      return [`${slot.flag} ${slot.shown('')} with ${name}`, slot.config(tail), message] as const;
    }),
  );

  test.each(cases)('renderHaproxyConfig() refuses %s', (_name, config, message) => {
    expect(() => renderHaproxyConfig(config)).toThrow(new ConfigError(message));
  });

  test.each(SLOTS.map((slot) => [`${slot.flag} ${slot.shown('')}`, slot] as const))(
    'renderHaproxyConfig() refuses a very long %s',
    (_name, slot) => {
      const tail = `/${'a'.repeat(1100)}`;
      expect(() => renderHaproxyConfig(slot.config(tail))).toThrow(
        new ConfigError(
          `Cannot render the HAProxy configuration with ${slot.flag} "${slot.shown(tail).slice(0, 300)}…": it is longer than 1024 characters`,
        ),
      );
    },
  );
});
