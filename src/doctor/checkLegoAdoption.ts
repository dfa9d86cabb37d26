import { passed, problem, type DoctorCheck } from './DoctorCheck';
import type { LegoCertificateFinding, LegoHomeFindings } from './readLegoHome';

const ID = 'lego-adoption';
/** Certificates named per group at most; the rest are counted. */
const MAX_SHOWN = 5;

const ADOPT_FIX =
  'Run "acme import lego --dry-run" to see what would be adopted, then "acme import lego" (the next "acme renew" adopts them too, with no new order)';

const date = (iso: string | undefined): string => iso?.slice(0, 10) ?? '?';

/** `"a" (…), "b" (…) and 3 more`. */
function listed<T>(items: readonly T[], describe: (item: T) => string): string {
  const shown = items.slice(0, MAX_SHOWN).map(describe).join(', ');
  return items.length > MAX_SHOWN ? `${shown} and ${items.length - MAX_SHOWN} more` : shown;
}

const inState = (found: LegoHomeFindings, state: LegoCertificateFinding['state']): LegoCertificateFinding[] =>
  found.certificates.filter((c) => c.state === state);

/** What is left alone for good, and why: never-adopted certificates and unusable files. */
function ignoredParts(found: LegoHomeFindings): string[] {
  const ignored = inState(found, 'ignored');
  return [
    ...(ignored.length > 0
      ? [`ignored, never adopted: ${listed(ignored, (c) => `"${c.legoName}" (${c.detail})`)}`]
      : []),
    ...(found.problems.length > 0
      ? [`unusable, left alone: ${listed(found.problems, (p) => `"${p.file}" (${p.message})`)}`]
      : []),
  ];
}

/**
 * Evaluates lego's certificates in --home from the dry-run adoption (pure): a warning when the
 * next state-changing command would adopt one (none of ours of that name, or lego's is newer
 * than ours: lego renewed after a revert) or cannot read ours; ok otherwise, naming the lego
 * certificates that are never adopted (expired, another CA's, a wildcard, …) and why. No row when
 * the home holds none of lego's files; a warning when they cannot be examined.
 */
export function checkLegoAdoption(found: LegoHomeFindings | Error | undefined, home: string): DoctorCheck[] {
  const title = `lego certificates in ${home}`;
  if (found === undefined) return [];
  if (found instanceof Error) {
    return [
      problem(ID, title, {
        status: 'warn',
        detail: `cannot examine lego's files: ${found.message}`,
        fix: 'Run "acme import lego --dry-run" for the details',
      }),
    ];
  }
  const adopt = inState(found, 'adopt');
  const newer = inState(found, 'newer');
  const failed = inState(found, 'failed');
  const pending = [
    ...(adopt.length > 0
      ? [
          `not adopted yet: ${listed(adopt, (c) => `"${c.legoName}" (serial ${c.serial ?? '?'}, valid to ${date(c.notAfter)})`)}`,
        ]
      : []),
    ...(newer.length > 0
      ? [
          `newer in lego than ours (lego renewed after a revert): ${listed(newer, (c) => `"${c.legoName}" (lego's serial ${c.serial ?? '?'}, valid to ${date(c.notAfter)}; ours ${c.ours ?? '?'})`)}`,
        ]
      : []),
    ...(failed.length > 0
      ? [`cannot be compared with ours: ${listed(failed, (c) => `"${c.legoName}" (${c.detail})`)}`]
      : []),
  ];
  if (pending.length > 0)
    return [
      problem(ID, title, { status: 'warn', detail: [...pending, ...ignoredParts(found)].join('; '), fix: ADOPT_FIX }),
    ];
  const adopted = inState(found, 'adopted');
  const head = adopted.length > 0 ? `adopted: ${listed(adopted, (c) => `"${c.legoName}"`)}` : 'none to adopt';
  return [passed(ID, title, [head, ...ignoredParts(found)].join('; '))];
}
