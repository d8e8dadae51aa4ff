import type { BuildOrigin } from '../../shared/sources/types';

/**
 * A BuildEvent's origin in an expected value: its name, and any matcher. A closure compares by
 * identity only, so each source's tests check what its matcher accepts apart (`matches`).
 */
export const anyOrigin = (name: string): BuildOrigin => ({ name, matches: expect.any(Function) as never });
