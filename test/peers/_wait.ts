import * as https from 'node:https';
import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { hasExited, type TrackedChild } from './_process';

/** Default readiness budget: 100 attempts, 100 ms apart. */
const WAIT_ATTEMPTS = 100;
const WAIT_INTERVAL_MS = 100;
/** Per-request timeout of readiness probes and management calls. */
const REQUEST_TIMEOUT_MS = 5_000;

/** GETs an https URL trusting only `ca`; resolves with the status and the body. */
export async function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca, timeout: REQUEST_TIMEOUT_MS }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`Timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    request.on('error', reject);
  });
}

/** Resolves true when a TCP connection to `127.0.0.1:<port>` is accepted. */
export async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** What `waitForReady()` polls. */
export interface ReadinessProbe {
  /** Named in the error message, e.g. `https://127.0.0.1:14000/dir`. */
  what: string;
  /** Resolves true once ready; a rejection counts as "not yet" and its message is kept. */
  ready(): Promise<boolean>;
}

/**
 * Polls `probe.ready()` until it resolves true (bounded: 100 × 100 ms). Fails early when `child`
 * exits, and always with the child's captured output in the message.
 */
export async function waitForReady(child: TrackedChild, probe: ReadinessProbe): Promise<void> {
  const { what } = probe;
  let lastError = 'not ready';
  for (let attempt = 0; attempt < WAIT_ATTEMPTS; attempt += 1) {
    if (hasExited(child)) {
      await child.exited(); // a spawn error is reported (and captured) one tick after spawn()
      const code = child.process.exitCode ?? child.process.signalCode ?? 'spawn failure';
      throw new Error(
        `Cannot start ${child.name}: it exited ("${code}") before ${what} answered; output:\n${child.output()}`,
      );
    }
    try {
      if (await probe.ready()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(WAIT_INTERVAL_MS);
  }
  const waitedMs = WAIT_ATTEMPTS * WAIT_INTERVAL_MS;
  throw new Error(
    `Cannot start ${child.name}: ${what} did not answer within ${waitedMs} ms ("${lastError}"); output:\n${child.output()}`,
  );
}
