import { CWD, errorOf, resolve } from './_resolve';

describe('resolveConfig() metrics file', () => {
  test.each([
    ['a flag, relative', { flags: { metricsFile: 'metrics/acme.prom' } }, `${CWD}/metrics/acme.prom`],
    [
      'the environment',
      { env: { ACME_METRICS_FILE: '/var/lib/node_exporter/acme.prom' } },
      '/var/lib/node_exporter/acme.prom',
    ],
    [
      'a snap option',
      { snap: { 'acme-metrics-file': '/var/snap/x/common/acme.prom' } },
      '/var/snap/x/common/acme.prom',
    ],
    ['a blank environment variable (unset)', { env: { ACME_METRICS_FILE: '  ' } }, undefined],
    ['nothing', {}, undefined],
  ])('resolveConfig() takes the metrics file from %s', (_what, sources, expected) => {
    expect(resolve(sources).metricsFile).toBe(expected);
  });

  test('resolveConfig() refuses a metrics file path with a NUL character', () => {
    expect(errorOf({ flags: { metricsFile: '/tmp/a\0b' } }).message).toBe(
      'Invalid --metrics-file "/tmp/a\\u0000b": the metrics file path contains a NUL character',
    );
  });
});

describe('resolveConfig() local ports', () => {
  test.each([
    ['the defaults plus the responder port', {}, [3001, 3002, 3003, 5432, 6379, 8108, 34000]],
    [
      'the defaults plus a changed responder port',
      { flags: { httpPort: '35000' } },
      [3001, 3002, 3003, 5432, 6379, 8108, 35000],
    ],
    [
      'the defaults plus TCP runtime and master socket ports, once each',
      {
        flags: {
          haproxySocket: ['ipv4@127.0.0.1:9999', '/run/haproxy/admin.sock', 'ipv6@[::1]:9999'],
          haproxyMasterSocket: 'ipv4@127.0.0.1:9998',
        },
      },
      [3001, 3002, 3003, 5432, 6379, 8108, 34000, 9999, 9998],
    ],
    [
      'no responder port for a unix responder',
      { flags: { httpAddress: 'unix:/run/acme.sock' } },
      [3001, 3002, 3003, 5432, 6379, 8108],
    ],
    ['a flag list, which replaces the defaults', { flags: { localPorts: ['8080,8081', '8080'] } }, [8080, 8081]],
    [
      'the environment, split on commas and spaces',
      { env: { ACME_LOCAL_PORTS: '5432 6379,, 8108' } },
      [5432, 6379, 8108],
    ],
    ['a snap option given as a JSON list of numbers', { snap: { 'acme-local-ports': [5432, 6379] } }, [5432, 6379]],
  ])('resolveConfig() takes %s', (_what, sources, expected) => {
    expect(resolve(sources).localPorts).toEqual(expected);
  });

  test('resolveConfig() returns the local ports frozen', () => {
    expect(Object.isFrozen(resolve().localPorts)).toBe(true);
  });

  test.each([
    [{ flags: { localPorts: ['80,0'] } }, 'Invalid --local-ports "0": expected a whole number from 1 to 65535'],
    [
      { env: { ACME_LOCAL_PORTS: '5432 postgres' } },
      'Invalid ACME_LOCAL_PORTS "postgres": expected a whole number from 1 to 65535',
    ],
    [
      { snap: { 'acme-local-ports': '65536' } },
      'Invalid snap option acme-local-ports "65536": expected a whole number from 1 to 65535',
    ],
    [{ flags: { localPorts: [','] } }, 'Invalid --local-ports "": expected a whole number from 1 to 65535'],
  ])('resolveConfig() refuses local ports %j', (sources, message) => {
    expect(errorOf(sources).message).toBe(message);
  });
});
