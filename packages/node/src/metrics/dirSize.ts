// Size of a directory tree on disk (the node's LevelDB), for the database-size
// gauge. Cached: a scrape must not walk the tree more often than `maxAgeMs`.
import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** Sum of the sizes of the regular files under `dir`; 0 when it does not exist. */
export async function directorySize(dir: string): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) {
    if (!e.isFile()) continue;
    // LevelDB compaction deletes files while we walk: a vanished file counts 0.
    const s = await stat(join(e.parentPath, e.name)).catch(() => undefined);
    if (s) total += s.size;
  }
  return total;
}

/** `get()` returns the last size if younger than maxAgeMs, else walks again (one walk at a time). */
export class CachedDirectorySize {
  private value = 0;
  private atMs = -Infinity;
  private pending: Promise<number> | undefined;

  constructor(
    private readonly dir: string,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<number> {
    if (this.now() - this.atMs < this.maxAgeMs) return Promise.resolve(this.value);
    this.pending ??= directorySize(this.dir).then((v) => {
      this.value = v;
      this.atMs = this.now();
      this.pending = undefined;
      return v;
    });
    return this.pending;
  }
}
