import type { z } from 'zod';

const MAX_SHOWN_CHARS = 120;
/** Characters a terminal would hide or reorder: controls, format (bidi, zero-width), line and paragraph separators. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * Quotes a value from a lego file for a message: JSON-quoted, cut at 120 characters, invisible
 * characters escaped, so a hostile file cannot forge or hide text in our output.
 */
export function describeValue(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const cut = text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
  return JSON.stringify(cut).replace(
    INVISIBLE,
    (char) => `\\u${(char.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
  );
}

/** The first zod issue as `field "registration.uri" is invalid (…)`. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? '(root)' : issue.path.join('.');
  return `field ${describeValue(field)} is missing or invalid (${issue?.message ?? 'unknown problem'})`;
}
