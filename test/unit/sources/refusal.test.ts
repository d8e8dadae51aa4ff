import { judgeJobAge, refusalOf } from '../../../shared/sources/refusal';

const hourMs = 3_600_000;
const nowMs = Date.parse('2026-03-01T12:00:00Z');
const policy = { maxJobAgeHours: 24, now: () => nowMs };
const refuse = refusalOf<'job-too-old' | 'other'>();
const words = { undated: 'no date', dated: 'was created' };

describe('judgeJobAge', () => {
  it('lets a job through up to maxJobAgeHours, and refuses one older, saying by how many whole hours', () => {
    expect(judgeJobAge(nowMs - 24 * hourMs, policy, refuse, 'o/r', words)).toBeUndefined();
    expect(
      judgeJobAge(nowMs - 30.5 * hourMs, policy, refuse, 'o/r', { ...words, more: ', and more' }),
    ).toEqual({
      kind: 'refused',
      reason: 'job-too-old',
      subject: 'o/r',
      problem: 'the job was created 30 h ago, more than maxJobAgeHours (24), and more',
    });
  });

  it('refuses a job with no usable date: NaN, or no date at all among several (-Infinity)', () => {
    for (const dateMs of [Number.NaN, Math.max()])
      expect(judgeJobAge(dateMs, policy, refuse, 'o/r', words)).toMatchObject({
        reason: 'job-too-old',
        problem: 'no date',
      });
  });
});
