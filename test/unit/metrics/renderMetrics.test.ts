import { escapeLabelValue, renderMetrics, type CertificateMetrics } from '../../../src/metrics';

const AT = new Date('2026-12-01T00:00:00Z');

function certificate(overrides: Partial<CertificateMetrics> = {}): CertificateMetrics {
  return {
    name: 'photos.example.com',
    notAfter: new Date('2027-02-28T00:00:00Z'),
    nextRenewalAt: new Date('2027-01-29T00:00:00Z'),
    lastSuccessAt: new Date('2026-11-30T12:00:00.500Z'),
    lastFailureAt: undefined,
    failures: 0,
    failuresTotal: 0,
    endpoints: [],
    ...overrides,
  };
}

describe('escapeLabelValue()', () => {
  test.each([
    ['plain', 'photos.example.com', 'photos.example.com'],
    ['a double quote', 'unix@/run/"x".sock', 'unix@/run/\\"x\\".sock'],
    ['a backslash', 'C:\\x', 'C:\\\\x'],
    ['a line feed', 'a\nb', 'a\\nb'],
    ['a backslash before a quote', '\\"', '\\\\\\"'],
    ['an injected sample', 'x"} 1\nhaproxy_acme_certificates 99', 'x\\"} 1\\nhaproxy_acme_certificates 99'],
    ['non-ASCII, kept as UTF-8', 'bücher.example', 'bücher.example'],
  ])('escapeLabelValue() escapes %s', (_what, value, expected) => {
    expect(escapeLabelValue(value)).toBe(expected);
  });
});

describe('renderMetrics()', () => {
  test('renderMetrics() writes HELP and TYPE for every family, certificates by name, endpoints by label, escaped labels', () => {
    const text = renderMetrics({
      generatedAt: AT,
      certificates: [
        certificate({
          name: 'z.example.com',
          nextRenewalAt: AT,
          lastSuccessAt: undefined,
          lastFailureAt: new Date('2026-11-30T23:00:00Z'),
          failures: 3,
          failuresTotal: 7,
          endpoints: [
            { endpoint: 'unix@/run/b "quoted"\\.sock', servedSerialMatches: false },
            { endpoint: 'ipv4@127.0.0.1:9999', servedSerialMatches: true },
          ],
        }),
        certificate(),
      ],
    });
    expect(text).toBe(
      [
        '# HELP haproxy_acme_certificates Certificates stored under --home.',
        '# TYPE haproxy_acme_certificates gauge',
        'haproxy_acme_certificates 2',
        '# HELP haproxy_acme_certificate_not_after_timestamp_seconds Unix time the certificate expires (notAfter).',
        '# TYPE haproxy_acme_certificate_not_after_timestamp_seconds gauge',
        'haproxy_acme_certificate_not_after_timestamp_seconds{name="photos.example.com"} 1803772800',
        'haproxy_acme_certificate_not_after_timestamp_seconds{name="z.example.com"} 1803772800',
        '# HELP haproxy_acme_certificate_next_renewal_timestamp_seconds Unix time acme renew renews the certificate next (ARI window, lifetime rule or failure backoff).',
        '# TYPE haproxy_acme_certificate_next_renewal_timestamp_seconds gauge',
        'haproxy_acme_certificate_next_renewal_timestamp_seconds{name="photos.example.com"} 1801180800',
        'haproxy_acme_certificate_next_renewal_timestamp_seconds{name="z.example.com"} 1796083200',
        '# HELP haproxy_acme_certificate_seconds_until_renewal Seconds from when this file was written until the next renewal; 0 when due.',
        '# TYPE haproxy_acme_certificate_seconds_until_renewal gauge',
        'haproxy_acme_certificate_seconds_until_renewal{name="photos.example.com"} 5097600',
        'haproxy_acme_certificate_seconds_until_renewal{name="z.example.com"} 0',
        '# HELP haproxy_acme_certificate_last_success_timestamp_seconds Unix time of the last successful renewal; 0 when none was recorded.',
        '# TYPE haproxy_acme_certificate_last_success_timestamp_seconds gauge',
        'haproxy_acme_certificate_last_success_timestamp_seconds{name="photos.example.com"} 1796040000.5',
        'haproxy_acme_certificate_last_success_timestamp_seconds{name="z.example.com"} 0',
        '# HELP haproxy_acme_certificate_last_failure_timestamp_seconds Unix time of the last failed renewal; 0 when none failed.',
        '# TYPE haproxy_acme_certificate_last_failure_timestamp_seconds gauge',
        'haproxy_acme_certificate_last_failure_timestamp_seconds{name="photos.example.com"} 0',
        'haproxy_acme_certificate_last_failure_timestamp_seconds{name="z.example.com"} 1796079600',
        '# HELP haproxy_acme_certificate_failures Failed renewals since the last success; a success resets it to 0.',
        '# TYPE haproxy_acme_certificate_failures gauge',
        'haproxy_acme_certificate_failures{name="photos.example.com"} 0',
        'haproxy_acme_certificate_failures{name="z.example.com"} 3',
        '# HELP haproxy_acme_certificate_renewal_failures_total Failed renewal attempts ever; a success does not reset it.',
        '# TYPE haproxy_acme_certificate_renewal_failures_total counter',
        'haproxy_acme_certificate_renewal_failures_total{name="photos.example.com"} 0',
        'haproxy_acme_certificate_renewal_failures_total{name="z.example.com"} 7',
        '# HELP haproxy_acme_endpoint_served_serial_matches 1 when the last deploy to this HAProxy endpoint delivered the stored serial, else 0.',
        '# TYPE haproxy_acme_endpoint_served_serial_matches gauge',
        'haproxy_acme_endpoint_served_serial_matches{name="z.example.com",endpoint="ipv4@127.0.0.1:9999"} 1',
        'haproxy_acme_endpoint_served_serial_matches{name="z.example.com",endpoint="unix@/run/b \\"quoted\\"\\\\.sock"} 0',
        '# HELP haproxy_acme_metrics_written_timestamp_seconds Unix time this file was written.',
        '# TYPE haproxy_acme_metrics_written_timestamp_seconds gauge',
        'haproxy_acme_metrics_written_timestamp_seconds 1796083200',
        '',
      ].join('\n'),
    );
  });

  test('renderMetrics() with no certificates still writes every family header, the count 0 and the write time', () => {
    expect(
      renderMetrics({ generatedAt: AT, certificates: [] })
        .split('\n')
        .filter((line) => !line.startsWith('#')),
    ).toEqual(['haproxy_acme_certificates 0', 'haproxy_acme_metrics_written_timestamp_seconds 1796083200', '']);
  });

  test('renderMetrics() keeps a hostile certificate name on one sample line', () => {
    const text = renderMetrics({ generatedAt: AT, certificates: [certificate({ name: 'a"}\n1' })] });
    expect(text).toContain('haproxy_acme_certificate_failures{name="a\\"}\\n1"} 0\n');
    expect(text.split('\n').filter((line) => line.startsWith('haproxy_acme_certificate_failures'))).toHaveLength(1);
  });
});
