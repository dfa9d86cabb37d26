/** Time comes in through this interface so that pure code never reads the clock itself. */
export interface Clock {
  now(): Date;
}

/** The real clock; only `main.ts` and test harnesses should construct adapters with it. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock that always returns the given instant (tests). */
export function fixedClock(at: Date): Clock {
  return { now: () => new Date(at.getTime()) };
}
