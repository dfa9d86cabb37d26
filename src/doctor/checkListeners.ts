import { passed, problem, skipped, type DoctorCheck } from './DoctorCheck';
import { isLoopbackAddress, type TcpListener } from './parseProcNetTcp';

const ID = 'local-ports';
const TITLE = 'ports that should be local';

const endpointText = (l: TcpListener): string =>
  l.family === 'ipv6' ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;

/**
 * Ports of the seed's table that today's Immich no longer uses: Typesense (8108) left with Immich 1.91.
 * Still checked, but named in the result only when something listens there.
 */
export const RETIRED_LOCAL_PORTS: readonly number[] = Object.freeze([8108]);

/** Options of checkListeners(). */
export interface CheckListenersOptions {
  localPorts: readonly number[];
  /** Among `localPorts`, those named in a passing result only when something listens on them. Default: RETIRED_LOCAL_PORTS. */
  namedOnlyWhenListening?: readonly number[];
  /** The /proc files that were read; none means the check is skipped. */
  read: readonly string[];
  /** The /proc files that could not be read. Default: none. */
  unreadable?: readonly string[];
}

/**
 * Which of `localPorts` some socket listens on beyond loopback (pure), after Immich Distribution's
 * security table and the ports today's Immich uses (3001-3003, 5432, 6379): those services have weak
 * or no authentication.
 */
export function checkListeners(listeners: readonly TcpListener[], options: CheckListenersOptions): DoctorCheck {
  if (options.read.length === 0) {
    const files = (options.unreadable ?? []).map((f) => `"${f}"`).join(' or ');
    return skipped(
      ID,
      TITLE,
      `cannot read ${files === '' ? 'the listening sockets' : files}; this check needs Linux's /proc`,
    );
  }
  if (options.localPorts.length === 0) return skipped(ID, TITLE, 'no ports to check (--local-ports is empty)');
  const wanted = new Set(options.localPorts);
  const exposed = listeners.filter((l) => wanted.has(l.port) && !isLoopbackAddress(l.address));
  const quiet = new Set(options.namedOnlyWhenListening ?? RETIRED_LOCAL_PORTS);
  const listening = new Set(listeners.map((l) => l.port));
  const ports = options.localPorts.filter((port) => !quiet.has(port) || listening.has(port)).join(', ');
  if (exposed.length === 0) {
    return passed(ID, TITLE, `nothing listens beyond loopback on ${ports}`);
  }
  const shown = [...new Set(exposed.map(endpointText))].sort();
  const exposedPorts = [...new Set(exposed.map((l) => l.port))].sort((a, b) => a - b);
  return problem(ID, TITLE, {
    status: 'fail',
    detail: `listening beyond loopback: ${shown.join(', ')}`,
    fix: `Bind the service on port${exposedPorts.length === 1 ? '' : 's'} ${exposedPorts.join(', ')} to 127.0.0.1 (or ::1), or firewall ${exposedPorts.length === 1 ? 'it' : 'them'} from other hosts`,
  });
}
