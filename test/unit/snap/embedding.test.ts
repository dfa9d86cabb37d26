import { ConfigError } from '../../../src/errors';
import { snapEmbedding, withEmbeddingDefaults } from '../../../src/snap';

describe('snapEmbedding()', () => {
  test('snapEmbedding() of an empty environment is this snap: nothing added, the renewer restarted', () => {
    expect(snapEmbedding({})).toEqual({ defaultBackend: undefined, appCheckUri: undefined, statsUri: undefined, errorfile503: undefined, renewerService: 'renewer' });
  });

  test("snapEmbedding() reads Immich Distribution's settings", () => {
    const env = {
      ACME_SNAP_DEFAULT_BACKEND: '127.0.0.1:3001',
      ACME_SNAP_APP_CHECK_URI: '/server-info/ping',
      ACME_SNAP_STATS_URI: '/haproxy',
      ACME_SNAP_ERRORFILE_503: '/snap/immich-distribution/x1/etc/5xx.http',
      ACME_SNAP_RENEWER_SERVICE: '',
    };
    expect(snapEmbedding(env)).toEqual({
      defaultBackend: '127.0.0.1:3001',
      appCheckUri: '/server-info/ping',
      statsUri: '/haproxy',
      errorfile503: '/snap/immich-distribution/x1/etc/5xx.http',
      renewerService: undefined,
    });
  });

  test.each<[Record<string, string>, string]>([
    [{ ACME_SNAP_STATS_URI: 'haproxy' }, 'Cannot use $ACME_SNAP_STATS_URI "haproxy": expected a path such as "/haproxy"'],
    [{ ACME_SNAP_STATS_URI: '/haproxy }\nbackend x' }, 'Cannot use $ACME_SNAP_STATS_URI "/haproxy }\\nbackend x": expected a path'],
    [{ ACME_SNAP_APP_CHECK_URI: '/ping?x=1 HTTP/1.0' }, 'Cannot use $ACME_SNAP_APP_CHECK_URI "/ping?x=1 HTTP/1.0": expected a path'],
    [{ ACME_SNAP_ERRORFILE_503: 'etc/5xx.http' }, 'Cannot use $ACME_SNAP_ERRORFILE_503 "etc/5xx.http": expected an absolute path'],
    [{ ACME_SNAP_ERRORFILE_503: '/etc/5xx.http\nlisten x' }, 'Cannot use $ACME_SNAP_ERRORFILE_503 "/etc/5xx.http\\nlisten x": it contains a newline'],
    [{ ACME_SNAP_RENEWER_SERVICE: 'acme; reboot' }, 'Cannot use $ACME_SNAP_RENEWER_SERVICE "acme; reboot": expected an app name'],
  ])('snapEmbedding(%j) refuses it, naming the variable', (env, message) => {
    expect(() => snapEmbedding(env)).toThrow(ConfigError);
    expect(() => snapEmbedding(env)).toThrow(message);
  });
});

describe('withEmbeddingDefaults()', () => {
  const immich = snapEmbedding({ ACME_SNAP_DEFAULT_BACKEND: '127.0.0.1:3001' });
  test.each<[Record<string, unknown>, unknown]>([
    [{}, '127.0.0.1:3001'],
    [{ 'haproxy-backend': '' }, '127.0.0.1:3001'],
    [{ 'haproxy-backend': null }, '127.0.0.1:3001'],
    [{ 'haproxy-backend': '127.0.0.1:8080' }, '127.0.0.1:8080'],
  ])('withEmbeddingDefaults(%j) gives haproxy-backend %j', (values, backend) => {
    expect(withEmbeddingDefaults(values, immich)['haproxy-backend']).toBe(backend);
  });

  test('withEmbeddingDefaults() without an embedding default leaves haproxy-backend unset', () => {
    expect(withEmbeddingDefaults({}, snapEmbedding({}))).toEqual({});
  });
});
