import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_HTTP_BIND, DEFAULT_HTTPS_BIND, WRAPPER_OPTION_KEYS } from '../../../src/snap';

const DOC = readFileSync(resolve(__dirname, '../../../docs/configuration.md'), 'utf8');
const README = readFileSync(resolve(__dirname, '../../../snap/README.md'), 'utf8');

describe('snap-only options in the docs', () => {
  test.each(WRAPPER_OPTION_KEYS.map((key) => [key]))('docs/configuration.md and snap/README.md document the snap option %s', (key) => {
    expect([DOC.includes(`| \`${key}\` |`), README.includes(`| \`${key}\` |`)]).toEqual([true, true]);
  });

  test('docs/configuration.md states the bind defaults the wrapper uses', () => {
    expect([DOC.includes(`| \`haproxy-http-bind\` | \`${DEFAULT_HTTP_BIND}\` |`), DOC.includes(`| \`haproxy-https-bind\` | \`${DEFAULT_HTTPS_BIND}\` |`)]).toEqual([true, true]);
  });
});
