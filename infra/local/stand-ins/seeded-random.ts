/**
 * A small seeded generator (mulberry32), so a storm can be replayed. Each `stream` (a name) gets a
 * sequence of its own from the same seed, so one kind of fault drawing more or fewer numbers never
 * changes another's decisions, nor the builds' plan.
 */
export function seededRandom(seed: number, stream = ''): () => number {
  // FNV-1a of the stream's name, mixed into the seed.
  let hash = 0x811c9dc5;
  for (const char of stream) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  let state = (seed ^ (stream === '' ? 0 : hash)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
