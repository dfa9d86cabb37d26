import {
  parseReloadReply,
  parseShowInfo,
  parseShowProc,
  parseShowSslCert,
  parseShowSslCertList,
  parseShowSslCrtList,
  parseShowSslCrtLists,
  type SslCertInfo,
} from '../../../src/haproxy';
import { transcript } from '../../fixtures/haproxy';

const dir = '/tmp/haproxy-acme-capture';
const a = `${dir}/certs/a.pem`;
const modes = ['', '.severity'] as const;

const common = {
  notBefore: 'Nov 27 01:05:38 2026 GMT',
  notAfter: 'Nov 29 01:05:38 2026 GMT',
  subject: '/CN=a.example.test',
  issuer: '/CN=a.example.test',
  san: ['a.example.test', 'www.a.example.test'],
  algorithm: 'EC256',
  chainSubjects: [],
};

describe('parseShowSslCert()', () => {
  test.each<[string, SslCertInfo]>([
    [
      'show-ssl-cert',
      {
        ...common,
        filename: a,
        transaction: false,
        status: 'Used',
        serial: '7FB69016A6965EB00430',
        sha1Fingerprint: '9996E402451126E574AB34FBC89EADA0698AF3C2',
      },
    ],
    [
      'show-ssl-cert-transaction',
      {
        ...common,
        filename: a,
        transaction: true,
        status: 'Unused',
        serial: '69681745F176C1318AD3',
        sha1Fingerprint: '102B12AB54077E49DDD01A9AB5A54B6CC86DF229',
      },
    ],
    [
      'show-ssl-cert-after-commit',
      {
        ...common,
        filename: a,
        transaction: false,
        status: 'Used',
        serial: '69681745F176C1318AD3',
        sha1Fingerprint: '102B12AB54077E49DDD01A9AB5A54B6CC86DF229',
      },
    ],
  ])('parseShowSslCert() reads %s', (name, expected) => {
    for (const mode of modes) expect(parseShowSslCert(transcript(`${name}${mode}`))).toEqual(expected);
  });

  test('parseShowSslCert() reads chain subjects, IP SANs and colon fingerprints', () => {
    const reply = [
      'Filename: /srv/x.pem',
      'Serial: 0a1b',
      'SHA1 FingerPrint: ab:cd',
      'Subject Alternative Name: DNS:x.test, IP Address:127.0.0.1',
      'Chain Subject: /CN=Int',
      'Chain Issuer: /CN=Root',
      'Chain Subject: /CN=Root',
      '',
    ].join('\n');
    expect(parseShowSslCert(reply)).toMatchObject({
      serial: '0A1B',
      sha1Fingerprint: 'ABCD',
      san: ['x.test', '127.0.0.1'],
      chainSubjects: ['/CN=Int', '/CN=Root'],
    });
  });

  test.each<[string]>([['show-ssl-cert-list'], ['show-version'], ['commit-ssl-cert'], ['set-ssl-cert-oversized']])(
    'parseShowSslCert() returns undefined for %s',
    (name) => {
      expect(parseShowSslCert(transcript(name))).toBeUndefined();
    },
  );
});

describe('parseShowSslCertList()', () => {
  const certificates = [a, `${dir}/certs/b.pem`, `${dir}/default.pem`];
  test.each<[string, object]>([
    ['show-ssl-cert-list', { certificates }],
    ['show-ssl-cert-list-transaction', { transaction: a, certificates }],
    ['show-ssl-cert-list-after-garbage', { certificates }],
  ])('parseShowSslCertList() reads %s', (name, expected) => {
    for (const mode of modes) expect(parseShowSslCertList(transcript(`${name}${mode}`))).toEqual(expected);
  });
});

describe('parseShowSslCrtList() and parseShowSslCrtLists()', () => {
  const entries = [
    { path: a, sni: [] },
    { path: `${dir}/certs/b.pem`, sni: [] },
    { path: `${dir}/certs/c.pem`, sni: [] },
    { path: `${dir}/certs/d.pem`, options: 'alpn h2,http/1.1', sni: ['d.example.test', 'www.d.example.test'] },
  ];
  test.each<[string, object[]]>([
    ['show-ssl-crt-list-file', entries],
    ['show-ssl-crt-list-file-n', entries.map((entry, index) => ({ ...entry, line: index + 1 }))],
  ])('parseShowSslCrtList() reads %s (with its NUL byte)', (name, expected) => {
    for (const mode of modes) expect(parseShowSslCrtList(transcript(`${name}${mode}`))).toEqual(expected);
  });

  test('parseShowSslCrtLists() reads show-ssl-crt-list', () => {
    for (const mode of modes)
      expect(parseShowSslCrtLists(transcript(`show-ssl-crt-list${mode}`))).toEqual([`${dir}/crt-list.txt`]);
  });
});

describe('parseShowProc()', () => {
  test.each<[string, number, number, number]>([
    ['show-proc', 0, 0, 23540],
    ['show-proc-after-reload', 1, 0, 23544],
    ['show-proc-after-failed-reload', 2, 1, 23544],
  ])('parseShowProc() reads %s', (name, reloads, failed, workerPid) => {
    // The .severity variants start with "Unknown command": the master CLI has no severity-output.
    expect(parseShowProc(transcript(name))).toEqual({
      master: { pid: 23538, reloads, failed },
      workers: [{ pid: workerPid, reloads: expect.any(Number) }],
    });
    expect(parseShowProc(transcript(`${name}.severity`))?.master).toEqual({ pid: expect.any(Number), reloads, failed });
  });

  test('parseShowProc() reads the master pid and a master line without [failed]', () => {
    expect(parseShowProc(transcript('show-proc'))?.master).toEqual({ pid: 23538, reloads: 0, failed: 0 });
    expect(parseShowProc('1234  master  3  0d00h00m03s  2.4.0\n')?.master).toEqual({ pid: 1234, reloads: 3 });
  });

  test.each<[string]>([[''], ['master-reload'], ['unknown-command']])(
    'parseShowProc() returns undefined for %j',
    (name) => {
      expect(parseShowProc(name === '' ? '' : transcript(name))).toBeUndefined();
    },
  );
});

describe('parseShowInfo() and parseReloadReply()', () => {
  test('parseShowInfo() reads show-info', () => {
    for (const mode of modes) {
      const info = parseShowInfo(transcript(`show-info${mode}`));
      expect({ version: info?.version, nbthread: info?.fields.Nbthread, name: info?.fields.Name }).toEqual({
        version: '2.6.12-1+deb12u4',
        nbthread: '2',
        name: 'HAProxy',
      });
    }
  });

  test('parseShowInfo() returns undefined without a Version line', () => {
    expect(parseShowInfo(transcript('show-version'))).toBeUndefined();
  });

  test.each<[string, ReturnType<typeof parseReloadReply>]>([
    ['', undefined],
    [
      'Success=1\n--\n[NOTICE]   (1) : haproxy version is 2.8.5\n',
      { success: true, log: '[NOTICE]   (1) : haproxy version is 2.8.5' },
    ],
    [
      'Success=0\n--\n[ALERT]    (1) : config : parsing [/etc/haproxy/haproxy.cfg:3]: unknown keyword\n',
      { success: false, log: '[ALERT]    (1) : config : parsing [/etc/haproxy/haproxy.cfg:3]: unknown keyword' },
    ],
  ])('parseReloadReply(%j)', (reply, expected) => {
    expect(parseReloadReply(reply)).toEqual(expected);
  });
});

// Found by test/unit/property/haproxy.test.ts: digits past 2^53 became 1e+40 ("<path>:1e+40" in a del command).
describe('the parsers on numbers no HAProxy prints', () => {
  const huge = '9'.repeat(40);
  test.each<[string, string, object]>([
    [
      'a crt-list line number past 2^53 is skipped',
      `/srv/a.pem:${huge}\n/srv/b.pem:2\n`,
      [{ path: '/srv/b.pem', line: 2, sni: [] }],
    ],
    ['a nine-digit line number is read', '/srv/a.pem:999999999\n', [{ path: '/srv/a.pem', line: 999999999, sni: [] }]],
  ])('parseShowSslCrtList(): %s', (_label, reply, expected) => {
    expect(parseShowSslCrtList(reply)).toEqual(expected);
  });

  test.each<[string, string, object | undefined]>([
    ['a master pid past 2^53 is no master line', `${huge} master 0 0d00h00m03s 2.6.12\n`, undefined],
    [
      'a worker reload count past 2^53 is skipped',
      `1 master 2 [failed: 0] 0d 2.6\n2 worker ${huge} 0d 2.6\n3 worker 1 0d 2.6\n`,
      { master: { pid: 1, reloads: 2, failed: 0 }, workers: [{ pid: 3, reloads: 1 }] },
    ],
    ['a failed count past 2^53 is no master line', `1 master 2 [failed: ${huge}] 0d 2.6\n`, undefined],
  ])('parseShowProc(): %s', (_label, reply, expected) => {
    expect(parseShowProc(reply)).toEqual(expected);
  });
});
