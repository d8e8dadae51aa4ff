/**
 * Retry-After as seconds (RFC 9110 section 10.2.3: delay-seconds or an HTTP-date), or undefined
 * when absent or unreadable: how long a CI's API asks to be left alone after a 429 or 503.
 */
export function retryAfterSeconds(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}
