/**
 * `haproxy -c` with the run's HAProxy (`ACME_TEST_HAPROXY`, else PATH), read the same way on every
 * version: 2.6 ends with "Configuration file is valid" (after "Warnings were found." when it warns),
 * 3.0 prints "Warnings were found." and nothing else, or nothing at all; the exit code and the
 * `[WARNING]`/`[ALERT]` lines are what they share.
 */
import { execFile } from 'node:child_process';

import { requireBinary } from '../../peers/_binaries';

/** A configuration check never takes this long; it bounds a HAProxy that would start instead. */
const CHECK_TIMEOUT_MS = 20_000;

/** What `haproxy -c -f <path>` said. */
export interface HaproxyCheck {
  /** 0 when HAProxy accepts the configuration (warnings or not). */
  code: number | string;
  /** Each `[WARNING]` without its `[WARNING]  (pid) : ` prefix, continuation lines (`   | …`) joined with a space. */
  warnings: string[];
  /** Each `[ALERT]`, the same way. */
  alerts: string[];
  /** Everything it printed, for failure messages. */
  output: string;
}

/**
 * The one warning we document, for the snap's HTTPS bind while its crt-list is still empty
 * (`strict-sni` lets it start; the first `acme issue` adds a certificate at runtime). Sample:
 * `config : Proxy 'https': no SSL certificate specified for bind '127.0.0.1:8443' at [/x/haproxy.cfg:24], ssl connections will fail (use 'crt').`
 */
export const EMPTY_CRT_LIST_WARNING =
  /^config : Proxy 'https': no SSL certificate specified for bind '[^']+' at \[[^\]]+\], ssl connections will fail \(use 'crt'\)\.$/;

/** Splits HAProxy's messages of one `level` (`WARNING`, `ALERT`) out of its output. */
function messagesOf(output: string, level: string): string[] {
  const messages: string[] = [];
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    const start = new RegExp(`^\\[${level}\\]\\s+\\(\\d+\\) : (.*)$`).exec(line);
    if (start !== null) {
      current = [start[1] as string];
      messages.push('');
    } else if (current !== undefined && /^\s+\| /.test(line)) {
      current.push(line.replace(/^\s+\| /, ''));
    } else {
      current = undefined;
    }
    if (current !== undefined) messages[messages.length - 1] = current.join(' ');
  }
  return messages;
}

/** Runs `haproxy -c -f path` with the run's HAProxy. */
export async function checkHaproxyConfig(path: string): Promise<HaproxyCheck> {
  const haproxy = requireBinary('haproxy');
  return new Promise((resolve) => {
    execFile(haproxy, ['-c', '-f', path], { timeout: CHECK_TIMEOUT_MS }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      const code = error === null ? 0 : (error.code ?? error.signal ?? 'unknown');
      resolve({ code, warnings: messagesOf(output, 'WARNING'), alerts: messagesOf(output, 'ALERT'), output });
    });
  });
}
