import { formatListenAddress, type ListenAddress } from '../../../src/challenge';

describe('formatListenAddress()', () => {
  test.each([
    [{ kind: 'tcp', host: '127.0.0.1', port: 34000 }, '127.0.0.1:34000'],
    [{ kind: 'tcp', host: '::1', port: 34000 }, '[::1]:34000'],
    [{ kind: 'tcp', host: 'localhost', port: 0 }, 'localhost:0'],
    [{ kind: 'unix', path: '/run/x.sock' }, 'unix:/run/x.sock'],
  ] as [ListenAddress, string][])('formats %j as %s', (address, text) => {
    expect(formatListenAddress(address)).toBe(text);
  });
});
