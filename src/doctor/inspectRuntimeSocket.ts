import { lstat } from 'node:fs/promises';
import { messageOf } from '../errors';
import { formatRuntimeEndpoint, RuntimeClient, stripSeverity, type RuntimeEndpoint } from '../haproxy';
import type { Logger } from '../log';
import type { RuntimeSocketFacts } from './checkRuntimeSocket';

/** Options of inspectRuntimeSocket(). */
export interface InspectRuntimeSocketOptions {
  logger: Logger;
  /** Limit for `show cli level`, connect to close. Default: 5000. */
  timeoutMs?: number;
}

/**
 * The level of a `show cli level` reply (pure): `admin`, `operator` or `user`, or the first line
 * of whatever else came back (HAProxy before 2.0 does not know the command). Sample: `"\n[6]: admin\n\n"`.
 */
export function parseCliLevel(reply: string): string {
  const line =
    stripSeverity(reply)
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? '';
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

/**
 * Asks one runtime socket for its level with `show cli level`, which only reads. `show ssl cert`
 * is no test of the level: HAProxy 2.6 answers it at level operator too (checked on 2.6.12).
 * Also examines the socket file of a unix socket. Never throws.
 */
export async function inspectRuntimeSocket(
  endpoint: RuntimeEndpoint,
  options: InspectRuntimeSocketOptions,
): Promise<RuntimeSocketFacts> {
  const facts: RuntimeSocketFacts = { label: formatRuntimeEndpoint(endpoint), endpoint };
  if (endpoint.kind === 'unix') {
    const info = await lstat(endpoint.path).catch(() => undefined);
    if (info !== undefined) facts.file = { isSocket: info.isSocket(), mode: info.mode & 0o7777, uid: info.uid };
  }
  try {
    const client = new RuntimeClient({ endpoint, logger: options.logger, timeoutMs: options.timeoutMs ?? 5000 });
    facts.level = parseCliLevel(await client.execute('show cli level'));
  } catch (error) {
    facts.error = messageOf(error);
  }
  return facts;
}
