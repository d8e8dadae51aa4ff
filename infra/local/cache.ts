import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where built binaries and resolved jars live: `$PITCREW_CACHE_DIR`, else `~/.cache/pitcrew`. */
export function cacheDir(): string {
  return (
    process.env.PITCREW_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pitcrew')
  );
}

export const binDir = (): string => join(cacheDir(), 'bin');
export const mavenDir = (): string => join(cacheDir(), 'maven');
