/**
 * The cluster benchmark's view of the nodes' logs. A daemon's output interleaves its own JSON lines
 * with those of its renewal pass and its store follower (both inherit its stdio). The product's
 * JSON lines carry no timestamp, so each line is stamped with this process's wall clock when it
 * arrives: the watcher polls every node's output every POLL_MS, so a stamp is late by at most that
 * plus the pipe and this event loop. Same machine as PostgreSQL, so the stamps compare with the
 * database's `clock_timestamp()`.
 */

/** How often the outputs are read. */
const POLL_MS = 5;

/** One JSON log line of a node, stamped on arrival. */
export interface NodeLogLine {
  node: string;
  /** Date.now() when the line was seen. */
  atMs: number;
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** Something whose output grows: a cluster node's daemon. */
export interface OutputSource {
  id: string;
  daemonOutput(): string;
}

/** A running watcher over several nodes' outputs. */
export interface LogWatcher {
  /** Every JSON line seen so far, in arrival order. */
  lines(): readonly NodeLogLine[];
  /** Lines that were not JSON (a stack trace, a table), per node. */
  otherLines(): ReadonlyMap<string, readonly string[]>;
  /** Reads what is left and stops polling. */
  stop(): void;
}

function parseLine(node: string, text: string, atMs: number): NodeLogLine | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const { level, message, ...fields } = JSON.parse(text) as Record<string, unknown>;
    if (typeof message !== 'string') return undefined;
    return { node, atMs, level: typeof level === 'string' ? level : '?', message, fields };
  } catch {
    return undefined;
  }
}

/** Starts stamping the complete lines of every source's output; the caller MUST call stop(). */
export function watchLogs(sources: readonly OutputSource[]): LogWatcher {
  const parsed: NodeLogLine[] = [];
  const other = new Map<string, string[]>(sources.map((source) => [source.id, []]));
  const offsets = new Map<string, number>(sources.map((source) => [source.id, 0]));
  const read = (): void => {
    const atMs = Date.now();
    for (const source of sources) {
      const output = source.daemonOutput();
      const from = offsets.get(source.id)!;
      const end = output.lastIndexOf('\n');
      if (end < from) continue;
      for (const text of output.slice(from, end).split('\n')) {
        if (text.trim() === '') continue;
        const line = parseLine(source.id, text, atMs);
        if (line === undefined) other.get(source.id)!.push(text);
        else parsed.push(line);
      }
      offsets.set(source.id, end + 1);
    }
  };
  const timer = setInterval(read, POLL_MS);
  return {
    lines: () => parsed,
    otherLines: () => other,
    stop: () => {
      clearInterval(timer);
      read();
    },
  };
}

/** Lines with `message` (and, when given, `certificate`). */
export function linesWith(lines: readonly NodeLogLine[], message: string, certificate?: string): NodeLogLine[] {
  return lines.filter(
    (line) => line.message === message && (certificate === undefined || line.fields.certificate === certificate),
  );
}

/** How many lines of each warning or error message each node logged: `node → message → count`. */
export function problemsByNode(lines: readonly NodeLogLine[]): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const line of lines) {
    if (line.level !== 'warn' && line.level !== 'error') continue;
    const perNode = (counts[line.node] ??= {});
    const key = `${line.level}: ${line.message}`;
    perNode[key] = (perNode[key] ?? 0) + 1;
  }
  return counts;
}
