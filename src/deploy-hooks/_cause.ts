/**
 * The message of a thrown value. Unlike messageOf() it does not rely on `instanceof Error`,
 * which is false for errors from another realm (node:fs errors under jest's vm sandbox).
 */
export function causeText(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
