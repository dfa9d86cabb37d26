/** Waiting until HAProxy really serves a serial, seen in real TLS handshakes (SNI). */
import { setTimeout as sleep } from 'node:timers/promises';
import { servedSerial } from '../peers';

/** Upper-case hex without colons and leading zero bytes, as `show ssl cert` and parseCertificate() print it. */
export function normaliseSerial(serial: string): string {
  return serial
    .replace(/:/g, '')
    .toUpperCase()
    .replace(/^(00)+(?=.)/, '');
}

/**
 * Polls `servedSerial()` until it is `expected`, at most `attempts` times `intervalMs` apart.
 * Resolves with the milliseconds it took, or undefined when it never matched.
 */
export async function waitUntilServed(
  port: number,
  servername: string,
  expected: string,
  options: { attempts: number; intervalMs: number },
): Promise<number | undefined> {
  const started = process.hrtime.bigint();
  for (let attempt = 0; attempt < options.attempts; attempt += 1) {
    try {
      if (normaliseSerial(await servedSerial(port, servername)) === normaliseSerial(expected))
        return Number(process.hrtime.bigint() - started) / 1e6;
    } catch {
      // refused or reset while HAProxy restarts: try again
    }
    await sleep(options.intervalMs);
  }
  return undefined;
}
