/**
 * A control character (it cannot be in a process's environment, where an agent gets a job's id) or
 * half of a surrogate pair (no text at all: it cannot be written as UTF-8, which DynamoDB stores).
 * With the `u` flag a whole pair is one code point, above the surrogates' range, so only a half
 * alone matches. For fields a build writes that Pitcrew keeps.
 */
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for.
export const notText = /[\u0000-\u001f\u007f]|[\ud800-\udfff]/u;
