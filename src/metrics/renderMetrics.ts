/** What the metrics file says about one certificate. */
export interface CertificateMetrics {
  name: string;
  notAfter: Date;
  /** When `acme renew` renews it next; the snapshot time when it is due now. */
  nextRenewalAt: Date;
  /** Last successful renewal by `acme renew`; undefined when none was recorded. */
  lastSuccessAt: Date | undefined;
  /** Last failed renewal since the last success; undefined when there is none. */
  lastFailureAt: Date | undefined;
  /** Failed renewals since the last success (the backoff counter). */
  failures: number;
  /** Failed renewal attempts ever (a counter). */
  failuresTotal: number;
  /** One entry per HAProxy endpoint known from the configuration or the deploy state. */
  endpoints: Array<{ endpoint: string; servedSerialMatches: boolean }>;
}

/** Everything one metrics file holds. */
export interface MetricsSnapshot {
  /** When the snapshot was taken: the reference for `seconds_until_renewal`. */
  generatedAt: Date;
  certificates: CertificateMetrics[];
}

type Sample = { labels: Record<string, string>; value: number };

interface Family {
  name: string;
  /** Default: gauge. */
  type?: 'gauge' | 'counter';
  help: string;
  samples: (snapshot: MetricsSnapshot) => Sample[];
}

const PREFIX = 'haproxy_acme_';

const seconds = (at: Date | undefined): number => (at === undefined ? 0 : at.getTime() / 1000);

function perCertificate(value: (c: CertificateMetrics, snapshot: MetricsSnapshot) => number) {
  return (snapshot: MetricsSnapshot): Sample[] =>
    snapshot.certificates.map((c) => ({ labels: { name: c.name }, value: value(c, snapshot) }));
}

/** Every family, in the order written; gauges except the failures counter. */
const FAMILIES: readonly Family[] = [
  {
    name: 'certificates',
    help: 'Certificates stored under --home.',
    samples: (s) => [{ labels: {}, value: s.certificates.length }],
  },
  {
    name: 'certificate_not_after_timestamp_seconds',
    help: 'Unix time the certificate expires (notAfter).',
    samples: perCertificate((c) => seconds(c.notAfter)),
  },
  {
    name: 'certificate_next_renewal_timestamp_seconds',
    help: 'Unix time acme renew renews the certificate next (ARI window, lifetime rule or failure backoff).',
    samples: perCertificate((c) => seconds(c.nextRenewalAt)),
  },
  {
    name: 'certificate_seconds_until_renewal',
    help: 'Seconds from when this file was written until the next renewal; 0 when due.',
    samples: perCertificate((c, s) => Math.max(0, (c.nextRenewalAt.getTime() - s.generatedAt.getTime()) / 1000)),
  },
  {
    name: 'certificate_last_success_timestamp_seconds',
    help: 'Unix time of the last successful renewal; 0 when none was recorded.',
    samples: perCertificate((c) => seconds(c.lastSuccessAt)),
  },
  {
    name: 'certificate_last_failure_timestamp_seconds',
    help: 'Unix time of the last failed renewal; 0 when none failed.',
    samples: perCertificate((c) => seconds(c.lastFailureAt)),
  },
  {
    name: 'certificate_failures',
    help: 'Failed renewals since the last success; a success resets it to 0.',
    samples: perCertificate((c) => c.failures),
  },
  {
    name: 'certificate_renewal_failures_total',
    type: 'counter',
    help: 'Failed renewal attempts ever; a success does not reset it.',
    samples: perCertificate((c) => c.failuresTotal),
  },
  {
    name: 'endpoint_served_serial_matches',
    help: '1 when the last deploy to this HAProxy endpoint delivered the stored serial, else 0.',
    samples: (s) =>
      s.certificates.flatMap((c) =>
        [...c.endpoints]
          .sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0))
          .map((e) => ({ labels: { name: c.name, endpoint: e.endpoint }, value: e.servedSerialMatches ? 1 : 0 })),
      ),
  },
  {
    name: 'metrics_written_timestamp_seconds',
    help: 'Unix time this file was written.',
    samples: (s) => [{ labels: {}, value: seconds(s.generatedAt) }],
  },
];

/** Exposition format: a label value escapes `\`, `"` and line feeds. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatSample(name: string, sample: Sample): string {
  const labels = Object.entries(sample.labels).map(([key, value]) => `${key}="${escapeLabelValue(value)}"`);
  return `${name}${labels.length === 0 ? '' : `{${labels.join(',')}}`} ${String(sample.value)}`;
}

/**
 * Renders a snapshot in the Prometheus text format node-exporter's textfile collector reads (pure):
 * `# HELP` and `# TYPE` for every family, certificates sorted by name. Sample line:
 * `haproxy_acme_certificate_not_after_timestamp_seconds{name="photos.example.com"} 1798761600`.
 */
export function renderMetrics(snapshot: MetricsSnapshot): string {
  const sorted: MetricsSnapshot = {
    ...snapshot,
    certificates: [...snapshot.certificates].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
  const lines = FAMILIES.flatMap((family) => {
    const name = `${PREFIX}${family.name}`;
    return [
      `# HELP ${name} ${family.help}`,
      `# TYPE ${name} ${family.type ?? 'gauge'}`,
      ...family.samples(sorted).map((sample) => formatSample(name, sample)),
    ];
  });
  return `${lines.join('\n')}\n`;
}
