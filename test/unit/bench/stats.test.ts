import { inParallel, median, quantile, roundRatio } from '../../../bench/lib/stats';

describe('bench statistics', () => {
  it('takes quantiles by nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile(values, 1)).toBe(100);
    expect(median([3, 1, 2])).toBe(2);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('gives a ratio with a target three places, so one just under its bound does not read as on it', () => {
    expect(roundRatio(650.5 / 566.2)).toBe(1.149);
    expect(roundRatio(1.1496)).toBe(1.15);
    expect(roundRatio(0.5937)).toBe(0.594);
  });

  it('runs tasks at most `concurrency` at once and keeps the order of the results', async () => {
    let running = 0;
    let most = 0;
    const results = await inParallel([5, 1, 4, 2, 3], 2, async (value) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, value));
      running -= 1;
      return value * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });
});
