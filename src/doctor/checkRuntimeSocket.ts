import { passed, problem, type DoctorCheck } from './DoctorCheck';
import { isLoopbackAddress } from './parseProcNetTcp';

/** What inspectRuntimeSocket() found out about one runtime socket. */
export interface RuntimeSocketFacts {
  /** As HAProxy writes it: `unix@/run/haproxy/admin.sock`, `ipv4@127.0.0.1:9999`. */
  label: string;
  endpoint: { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };
  /** The socket file of a unix socket; undefined for TCP or when it could not be examined. */
  file?: { isSocket: boolean; mode: number; uid: number };
  /** The reply of `show cli level` (`admin`, `operator`, `user`); undefined when the socket could not be asked. */
  level?: string;
  /** Why the socket could not be asked. */
  error?: string;
}

interface Finding {
  status: 'warn' | 'fail';
  detail: string;
  fix: string;
}

const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(4, '0');

function fileFindings(facts: RuntimeSocketFacts, path: string): Finding[] {
  const { file } = facts;
  if (file === undefined) return [];
  if (!file.isSocket) {
    return [
      {
        status: 'fail',
        detail: `"${path}" is not a socket`,
        fix: `Point --haproxy-socket at the path of the "stats socket" line in haproxy.cfg`,
      },
    ];
  }
  if ((file.mode & 0o077) === 0) return [];
  const who = (file.mode & 0o007) !== 0 ? 'every local user' : 'members of its group';
  return [
    {
      status: 'fail',
      detail: `mode ${octal(file.mode)}: ${who} can control HAProxy through it`,
      fix: `Set "mode 600" on the "stats socket ${path}" line of haproxy.cfg (the user that runs acme must own it)`,
    },
  ];
}

function reachFindings(facts: RuntimeSocketFacts): Finding[] {
  if (facts.error !== undefined || facts.level === undefined) {
    return [
      {
        status: 'fail',
        detail: `cannot ask it: ${facts.error ?? 'no reply'}`,
        fix: 'Check that HAProxy runs and that haproxy.cfg has a "stats socket" line for this address with "level admin"',
      },
    ];
  }
  if (facts.level === 'admin') return [];
  return [
    {
      status: 'fail',
      detail: `level "${facts.level}": certificate updates need level admin`,
      fix: 'Add "level admin" to the "stats socket" line of haproxy.cfg',
    },
  ];
}

/**
 * Evaluates one runtime socket (pure): reachable, `level admin`, a unix socket closed to group
 * and others (it is full control of HAProxy), a TCP socket on loopback only (it has no authentication).
 */
export function checkRuntimeSocket(facts: RuntimeSocketFacts): DoctorCheck {
  const title = `runtime socket ${facts.label}`;
  const { endpoint } = facts;
  const findings = [...reachFindings(facts), ...(endpoint.kind === 'unix' ? fileFindings(facts, endpoint.path) : [])];
  if (endpoint.kind === 'tcp' && !isLoopbackAddress(endpoint.host)) {
    findings.push({
      status: 'fail',
      detail: `TCP on "${endpoint.host}", which is not loopback: the runtime API has no authentication`,
      fix: 'Bind the "stats socket" to 127.0.0.1 or use a unix socket with "mode 600"',
    });
  }
  if (findings.length === 0) {
    const where = endpoint.kind === 'unix' ? `mode ${octal(facts.file?.mode ?? 0)}` : 'TCP on loopback';
    return passed('runtime-socket', title, `reachable, level admin, ${where}`);
  }
  return problem('runtime-socket', title, {
    status: findings.some((f) => f.status === 'fail') ? 'fail' : 'warn',
    detail: findings.map((f) => f.detail).join('; '),
    fix: findings.map((f) => f.fix).join('; '),
  });
}
