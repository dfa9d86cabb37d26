import { isLoopbackAddress, parseProcNetTcp, type TcpListener } from '../../../src/doctor';

const HEADER_4 = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const HEADER_6 =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const TAIL = '00000000:00000000 00:00000000 00000000     0        0 2541381 1 00000000ec3b1f84 100 0 0 10 0';
const v4 = (local: string, state = '0A', uid = '0'): string =>
  `   0: ${local} 00000000:0000 ${state} 00000000:00000000 00:00000000 00000000  ${uid}        0 2541381 1 00000000ec3b1f84 100 0 0 10 0`;
const v6 = (local: string, state = '0A'): string =>
  `   0: ${local} 00000000000000000000000000000000:0000 ${state} ${TAIL}`;

describe('parseProcNetTcp()', () => {
  test.each<[string, string, TcpListener[]]>([
    ['the header alone', HEADER_4, []],
    [
      '127.0.0.1:39259, captured from Linux 6.x (little-endian)',
      v4('0100007F:995B'),
      [{ family: 'ipv4', address: '127.0.0.1', port: 39259, uid: 0 }],
    ],
    [
      '0.0.0.0:5432 owned by uid 105',
      v4('00000000:1538', '0A', '105'),
      [{ family: 'ipv4', address: '0.0.0.0', port: 5432, uid: 105 }],
    ],
    ['192.168.1.20:6379', v4('1401A8C0:18EB'), [{ family: 'ipv4', address: '192.168.1.20', port: 6379, uid: 0 }]],
    ['lower-case hex', v4('1401a8c0:18eb'), [{ family: 'ipv4', address: '192.168.1.20', port: 6379, uid: 0 }]],
    ['an established connection (state 01), skipped', v4('0100007F:1538', '01'), []],
    ['TIME_WAIT (state 06), skipped', v4('0100007F:1538', '06'), []],
    [
      '[::]:8108',
      `${HEADER_6}\n${v6('00000000000000000000000000000000:1FAC')}`,
      [{ family: 'ipv6', address: '::', port: 8108, uid: 0 }],
    ],
    [
      '[::1]:3001',
      v6('00000000000000000000000001000000:0BB9'),
      [{ family: 'ipv6', address: '::1', port: 3001, uid: 0 }],
    ],
    [
      '[::ffff:127.0.0.1]:3002',
      v6('0000000000000000FFFF00000100007F:0BBA'),
      [{ family: 'ipv6', address: '::ffff:7f00:1', port: 3002, uid: 0 }],
    ],
    [
      '[2001:db8::1]:3003',
      v6('B80D0120000000000000000001000000:0BBB'),
      [{ family: 'ipv6', address: '2001:db8::1', port: 3003, uid: 0 }],
    ],
    ['an empty text', '', []],
    ['a truncated line', '   0: 0100007F:995B 00000000:0000', []],
    ['a 7-digit address', v4('100007F:995B'), []],
    ['a 9-digit address', v4('00100007F:995B'), []],
    ['a 31-digit IPv6 address', v6('0000000000000000000000001000000:0BB9'), []],
    ['a non-hex address', v4('0100007G:995B'), []],
    ['a 5-digit port', v4('0100007F:1995B'), []],
    ['port 0', v4('0100007F:0000'), []],
    ['a non-numeric uid', v4('0100007F:995B', '0A', 'root'), []],
    ['a huge uid', v4('0100007F:995B', '0A', '99999999999999999999'), []],
    ['CRLF line ends', `${v4('0100007F:995B')}\r\n`, [{ family: 'ipv4', address: '127.0.0.1', port: 39259, uid: 0 }]],
    ['garbage and NUL bytes', 'x\0y\n\u202e 0: 0100007F:995B', []],
    [
      'several lines, kept in order, broken ones dropped',
      [HEADER_4, v4('0100007F:995B'), 'garbage', v4('00000000:0050')].join('\n'),
      [
        { family: 'ipv4', address: '127.0.0.1', port: 39259, uid: 0 },
        { family: 'ipv4', address: '0.0.0.0', port: 80, uid: 0 },
      ],
    ],
  ])('parseProcNetTcp() reads %s', (_what, text, expected) => {
    expect(parseProcNetTcp(text)).toEqual(expected);
  });

  test.each([
    ['IPv4', v4('7F000001:995B'), '127.0.0.1'],
    ['IPv6', v6('00000000000000000000000000000001:0BB9'), '::1'],
  ])('parseProcNetTcp() reads a big-endian %s address word by word', (_what, line, address) => {
    expect(parseProcNetTcp(line, { littleEndian: false })[0]!.address).toBe(address);
  });
});

describe('isLoopbackAddress()', () => {
  test.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:7fff:ffff', true],
    ['0.0.0.0', false],
    ['::', false],
    ['128.0.0.1', false],
    ['10.127.0.1', false],
    ['::ffff:a00:1', false],
    ['::2', false],
    ['1127.0.0.1', false],
    ['', false],
  ])('isLoopbackAddress(%j) is %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});
