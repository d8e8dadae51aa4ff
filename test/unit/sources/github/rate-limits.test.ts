import { rateLimitWaitSeconds } from '../../../../shared/sources/github';

const nowMs = Date.parse('2026-03-01T12:00:00Z');
const nowSeconds = nowMs / 1000;

const answer = (status: number, headers: Record<string, string> = {}, message?: string) => ({
  status,
  headers: new Headers(headers),
  body: message === undefined ? undefined : { message },
});

// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
describe('rateLimitWaitSeconds', () => {
  it('follows retry-after first', () => {
    const headers = {
      'retry-after': '17',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(nowSeconds + 900),
    };
    expect(rateLimitWaitSeconds(answer(403, headers), nowMs)).toBe(17);
  });

  it('waits until x-ratelimit-reset when x-ratelimit-remaining is 0', () => {
    const headers = { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds + 300) };
    expect(rateLimitWaitSeconds(answer(429, headers), nowMs)).toBe(300);
  });

  it('waits at least a second when the reset time has just passed', () => {
    const headers = { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds - 5) };
    expect(rateLimitWaitSeconds(answer(403, headers), nowMs)).toBe(1);
  });

  it('waits a minute on a 429 or a secondary-rate-limit 403 with no time given', () => {
    expect(rateLimitWaitSeconds(answer(429), nowMs)).toBe(60);
    expect(rateLimitWaitSeconds(answer(403, {}, 'You have exceeded a secondary rate limit'), nowMs)).toBe(60);
  });

  it('does not treat a permission 403 as a rate limit, even with rate-limit headers to spare', () => {
    const headers = { 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': String(nowSeconds + 3600) };
    expect(
      rateLimitWaitSeconds(answer(403, headers, 'Resource not accessible by integration'), nowMs),
    ).toBeUndefined();
  });

  it('ignores other statuses', () => {
    expect(rateLimitWaitSeconds(answer(503, { 'retry-after': '5' }), nowMs)).toBeUndefined();
    expect(rateLimitWaitSeconds(answer(401), nowMs)).toBeUndefined();
  });
});
