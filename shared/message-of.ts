/** What went wrong, for a log line or a reason: an Error's message, or anything else as a string. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
