/**
 * Every shape of the snap's rendered haproxy.cfg, checked by the run's real HAProxy (`haproxy -c`):
 * HTTP on or off, HTTPS on or off, HTTP-01 or TLS-ALPN-01, with and without an embedding snap's
 * additions (Immich Distribution's health check, statistics page and 503 page). Each must be accepted
 * with at most the one documented warning, for the HTTPS bind whose crt-lists are still empty.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWrapperOptions, renderSnapHaproxyConfig, type RenderSnapHaproxyOptions } from '../../src/snap';
import { checkHaproxyConfig, EMPTY_CRT_LIST_WARNING } from './_support/haproxyCheck';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'haproxy-acme-render-'));
  await Promise.all([
    writeFile(join(dir, 'crt-list.txt'), ''),
    writeFile(join(dir, 'manual-crt-list.txt'), ''),
    writeFile(join(dir, '5xx.http'), 'HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/html\r\n\r\nstarting\n'),
  ]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const shapes = [true, false].flatMap((http) =>
  [true, false].flatMap((https) =>
    (['http-01', 'tls-alpn-01'] as const).flatMap((challengeType) =>
      [false, true].map((embedded) => ({ http, https, challengeType, embedded })),
    ),
  ),
);

describe('the snap\'s rendered haproxy.cfg under "haproxy -c"', () => {
  test.each(shapes)(
    'http-enabled=$http https-enabled=$https $challengeType, embedding $embedded',
    async ({ http, https, challengeType, embedded }) => {
      const wrapper = parseWrapperOptions({
        'http-enabled': http,
        'https-enabled': https,
        'https-redirect': true,
        'haproxy-http-bind': '127.0.0.1:18080',
        'haproxy-https-bind': '127.0.0.1:18443',
        'haproxy-backend': '127.0.0.1:3001',
      });
      if (!wrapper.ok) throw new Error(wrapper.problems.join('\n'));
      const options: RenderSnapHaproxyOptions = {
        wrapper: wrapper.value,
        responder: { kind: 'tcp', host: '127.0.0.1', port: 34000 },
        challengeType,
        paths: {
          adminSocket: join(dir, 'admin.sock'),
          crtList: join(dir, 'crt-list.txt'),
          manualCrtList: join(dir, 'manual-crt-list.txt'),
          httpsSocket: join(dir, 'https.sock'),
        },
        embedding: embedded
          ? { appCheckUri: '/server-info/ping', statsUri: '/haproxy', errorfile503: join(dir, '5xx.http') }
          : { appCheckUri: undefined, statsUri: undefined, errorfile503: undefined },
      };
      const path = join(dir, `${http}-${https}-${challengeType}-${embedded}.cfg`);
      await writeFile(path, renderSnapHaproxyConfig(options));
      const checked = await checkHaproxyConfig(path);
      // Even with both frontends off HAProxy starts: its runtime socket listens, so the service stays up.
      expect({ code: checked.code, alerts: checked.alerts }).toEqual({ code: 0, alerts: [] });
      expect(checked.warnings.map((warning) => EMPTY_CRT_LIST_WARNING.test(warning) || warning)).toEqual(
        https ? [true] : [],
      );
    },
  );
});
