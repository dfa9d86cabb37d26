import { hostname } from 'node:os';
import { errorOf, resolve } from './_resolve';
import { ConfigError } from '../../../src/errors';
import { resolveConfig, type ConfigSources } from '../../../src/config';
import { checkNodeId } from '../../../src/config/_fields';

const CHARACTERS = 'is not allowed; use letters, digits, ".", "_" and "-"';
const ENDS = 'the node name must start and end with a letter or a digit';

describe('checkNodeId()', () => {
  test.each<[string, string]>([
    ['haproxy-1', 'haproxy-1'],
    ['HAProxy-1.LAN', 'haproxy-1.lan'],
    ['  web_2  ', 'web_2'],
    ['a', 'a'],
    ['9', '9'],
    ['a'.repeat(64), 'a'.repeat(64)],
    ['node.example.com', 'node.example.com'],
  ])('checkNodeId(%j) gives %j', (input, expected) => {
    expect(checkNodeId(input)).toEqual({ ok: true, value: expected });
  });

  test.each<[string, string]>([
    ['', 'expected a node name such as "haproxy-1"'],
    ['   ', 'expected a node name such as "haproxy-1"'],
    ['a'.repeat(65), 'the node name is 65 characters long; the limit is 64'],
    ['.', ENDS],
    ['..', ENDS],
    ['-rf', ENDS],
    ['node-', ENDS],
    ['__proto__', ENDS],
    ['_a', ENDS],
    ['../etc', `character "/" ${CHARACTERS}`],
    ['a/b', `character "/" ${CHARACTERS}`],
    ['a b', `character " " ${CHARACTERS}`],
    ['a\nb', `character "\\n" ${CHARACTERS}`],
    ['a\u0000b', `character "\\u0000" ${CHARACTERS}`],
    ['node:1', `character ":" ${CHARACTERS}`],
    ['"x"', `character "\\"" ${CHARACTERS}`],
    ['\u212Aelvin', `character "\u212A" ${CHARACTERS}`],
    ['nöde', `character "ö" ${CHARACTERS}`],
    ['a%2fb', `character "%" ${CHARACTERS}`],
    ['$(id)', `character "$" ${CHARACTERS}`],
  ])('checkNodeId(%j) refuses it: %s', (input, detail) => {
    expect(checkNodeId(input)).toEqual({ ok: false, detail });
  });
});

describe('resolveConfig() nodeId', () => {
  test.each<[string, Partial<ConfigSources>, string]>([
    ['the host name by default', { hostname: 'Web-1' }, 'web-1'],
    ['the snap option over the host name', { hostname: 'web-1', snap: { 'acme-node': 'snap-node' } }, 'snap-node'],
    [
      'ACME_NODE over the snap option',
      { hostname: 'web-1', env: { ACME_NODE: 'env-node' }, snap: { 'acme-node': 'snap-node' } },
      'env-node',
    ],
    [
      '--node over ACME_NODE',
      { hostname: 'web-1', flags: { node: 'flag-node' }, env: { ACME_NODE: 'env-node' } },
      'flag-node',
    ],
    ['a blank ACME_NODE counts as unset', { hostname: 'web-1', env: { ACME_NODE: '  ' } }, 'web-1'],
    ['a numeric snap option as text', { hostname: 'web-1', snap: { 'acme-node': 7 } }, '7'],
  ])('resolveConfig() takes %s', (_label, sources, expected) => {
    expect(resolve(sources).nodeId).toBe(expected);
  });

  test('resolveConfig() uses os.hostname() when no host name is given', () => {
    const expected = checkNodeId(hostname());
    const config = resolveConfig({ flags: {}, env: {}, snap: {}, cwd: '/' });
    expect(config.nodeId).toBe(expected.ok ? expected.value : undefined);
  });

  test.each<[string, Partial<ConfigSources>, string, string]>([
    [
      'a flag with a slash',
      { hostname: 'web-1', flags: { node: '../x' } },
      `Invalid --node "../x": character "/" ${CHARACTERS}`,
      '--node',
    ],
    [
      'an environment variable too long',
      { hostname: 'web-1', env: { ACME_NODE: 'n'.repeat(65) } },
      `Invalid ACME_NODE "${'n'.repeat(65)}": the node name is 65 characters long; the limit is 64`,
      'ACME_NODE',
    ],
    [
      'a snap option that is a prototype key',
      { hostname: 'web-1', snap: { 'acme-node': '__proto__' } },
      `Invalid snap option acme-node "__proto__": ${ENDS}`,
      'snap option acme-node',
    ],
    [
      'a snap option that is a list',
      { hostname: 'web-1', snap: { 'acme-node': ['a'] } },
      'Invalid snap option acme-node: expected text, a number or true/false',
      'snap option acme-node',
    ],
    [
      'a host name that is no node name',
      { hostname: 'web 1' },
      `Invalid default of --node (the host name) "web 1": character " " ${CHARACTERS}`,
      'default of --node (the host name)',
    ],
    [
      'an empty flag',
      { hostname: 'web-1', flags: { node: '' } },
      'Invalid --node "": expected a node name such as "haproxy-1"',
      '--node',
    ],
  ])('resolveConfig() refuses %s with a ConfigError', (_label, sources, message, source) => {
    const error = errorOf(sources);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(message);
    expect(error.source).toBe(source);
  });
});
