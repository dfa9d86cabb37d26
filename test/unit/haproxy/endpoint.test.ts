import { formatRuntimeEndpoint, type RuntimeEndpoint } from '../../../src/haproxy';

describe('formatRuntimeEndpoint()', () => {
  test.each<[RuntimeEndpoint, string]>([
    [{ kind: 'unix', path: '/run/haproxy/admin.sock' }, 'unix@/run/haproxy/admin.sock'],
    [{ kind: 'tcp', host: '127.0.0.1', port: 9999 }, 'ipv4@127.0.0.1:9999'],
    [{ kind: 'tcp', host: '::1', port: 9999 }, 'ipv6@[::1]:9999'],
  ])('formatRuntimeEndpoint(%j) is "%s"', (endpoint, text) => {
    expect(formatRuntimeEndpoint(endpoint)).toBe(text);
  });
});
