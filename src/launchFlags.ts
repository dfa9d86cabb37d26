/**
 * The V8 settings this CLI runs with. Pure and tiny: main.ts loads it before anything else.
 *
 * Two kinds, because V8 takes some settings only when the process starts:
 * - LAUNCH_FLAGS size the heap, so they must be on the command line: the shebang of main.ts, the
 *   snap's acme-wrapper and every child this CLI spawns of itself carry them (a unit test keeps
 *   the three equal).
 * - runtimeFlagsFor() switches off V8's optimising compilers for the verbs that handle one
 *   certificate or none; V8 accepts that while running, before the first function gets hot.
 */

/**
 * - `--max-semi-space-size=1`: a young generation of 1 MiB semi-spaces instead of up to 16 MiB. A
 *   command allocates in bursts (JSON documents, PEM text, TLS records) and V8 grows the young
 *   generation after each burst, keeping the pages: measured on `acme issue`, 92 → 85 MiB peak
 *   RSS and no slower; on a listing of 10,000 certificates, 187 → 138 MiB for ~5 % more time.
 * - `--no-allocation-site-pretenuring`: V8 otherwise decides, in some runs and not others, to
 *   allocate the objects of a busy site straight into the old generation; a pass over 10,000
 *   certificates then fills the old generation with per-certificate garbage until the first full
 *   GC (doctor at 10,000: 143-153 MiB in those runs, 119-124 MiB in every run without it; no
 *   change in time, none on `acme issue`).
 */
export const LAUNCH_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--no-allocation-site-pretenuring'];

/** Verbs whose work does not grow with the number of stored certificates. */
const SMALL_VERBS = new Set(['issue', 'revoke', 'remove', 'account', 'haproxy-config', 'daemon']);

/**
 * The V8 flags to set for `verb` while running (v8.setFlagsFromString), or undefined for none.
 * A verb that handles one certificate is over before an optimised function pays back its compile:
 * without Maglev and TurboFan `acme issue` touches ~8 MB less of the Node binary and is no slower,
 * and the daemon's parent, which idles between passes, keeps ~3 MB less. Verbs that walk every
 * certificate (list, renew, deploy, sync, doctor, import) keep them: at 10,000 certificates the
 * optimised code halves their time.
 */
export function runtimeFlagsFor(verb: string | undefined): string | undefined {
  return verb !== undefined && SMALL_VERBS.has(verb) ? '--no-opt --no-maglev' : undefined;
}

/** The arguments that run this CLI's `mainFile` again with `args`, under the same launch flags. */
export function selfArguments(mainFile: string, args: readonly string[]): string[] {
  return [...LAUNCH_FLAGS, mainFile, ...args];
}
