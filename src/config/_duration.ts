import type { Check } from './_domain';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `1s`, `90s`, `30m`, `24h`: the largest unit that divides `ms` exactly (pure). */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit]! && ms % UNIT_MS[unit]! === 0) return `${ms / UNIT_MS[unit]!}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * A checker for a duration from `minMs` to `maxMs` (pure): a whole number with the unit `ms`,
 * `s`, `m` or `h` (`90s`, `30m`, `2h`), or a bare whole number of milliseconds like the other
 * timeouts (`--request-timeout 30000`). Refused: fractions (`1.5h`), signs, exponents (`1e3`),
 * other units (`1d`), white space inside, and anything outside the range.
 * Sample: `"30m"` → `1800000`.
 */
export function checkDuration(minMs: number, maxMs: number): (input: string) => Check<number> {
  const detail = `expected a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)}, such as "90s", "30m" or "2h" (a number alone is milliseconds)`;
  return (input) => {
    const match = /^([0-9]{1,9})(ms|s|m|h)?$/i.exec(input.trim());
    if (match === null) return { ok: false, detail };
    const ms = Number(match[1]) * UNIT_MS[(match[2] ?? 'ms').toLowerCase()]!;
    return ms >= minMs && ms <= maxMs ? { ok: true, value: ms } : { ok: false, detail };
  };
}
