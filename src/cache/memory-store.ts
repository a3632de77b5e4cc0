import { type CacheEntry, type CacheStore, entrySize, type FlushFilter, keepUntil, type StoreStats } from './store.js';

interface Slot {
  entry: CacheEntry;
  size: number;
}

/**
 * The embedded cache store: a Map in recency order (a hit moves the entry to the end), evicting
 * from the front until the charged bytes (`entrySize`) fit the budget. Expired entries are dropped
 * when met, or evicted as the least recently used.
 */
export class MemoryCacheStore implements CacheStore {
  #slots = new Map<string, Slot>();
  #bytes = 0;
  #capacity: number;
  #evictions = 0;

  constructor(capacityBytes: number) {
    this.#capacity = capacityBytes;
  }

  get(key: string, now: number): CacheEntry | undefined {
    const slot = this.#slots.get(key);
    if (!slot) return undefined;
    if (now >= keepUntil(slot.entry)) {
      this.#remove(key, slot);
      return undefined;
    }
    // Most recently used goes last.
    this.#slots.delete(key);
    this.#slots.set(key, slot);
    return slot.entry;
  }

  set(key: string, entry: CacheEntry): boolean {
    const size = entrySize(key, entry);
    const old = this.#slots.get(key);
    if (old) this.#remove(key, old);
    if (size > this.#capacity) return false;
    this.#slots.set(key, { entry, size });
    this.#bytes += size;
    this.#evictDownTo(this.#capacity);
    return true;
  }

  delete(key: string): boolean {
    const slot = this.#slots.get(key);
    if (!slot) return false;
    this.#remove(key, slot);
    return true;
  }

  flush(filter: FlushFilter = {}): number {
    if (filter.route === undefined && filter.keyPrefix === undefined) {
      const n = this.#slots.size;
      this.#slots.clear();
      this.#bytes = 0;
      return n;
    }
    let n = 0;
    for (const [key, slot] of this.#slots) {
      if (filter.route !== undefined && slot.entry.route !== filter.route) continue;
      if (filter.keyPrefix !== undefined && !key.startsWith(filter.keyPrefix)) continue;
      this.#remove(key, slot);
      n++;
    }
    return n;
  }

  resize(capacityBytes: number): void {
    this.#capacity = capacityBytes;
    this.#evictDownTo(capacityBytes);
  }

  stats(): StoreStats {
    return { entries: this.#slots.size, bytes: this.#bytes, capacityBytes: this.#capacity, evictions: this.#evictions };
  }

  /** Every entry's charged size, recomputed: for tests that check the accounting. */
  recount(): number {
    let n = 0;
    for (const [key, slot] of this.#slots) n += entrySize(key, slot.entry);
    return n;
  }

  #remove(key: string, slot: Slot): void {
    this.#slots.delete(key);
    this.#bytes -= slot.size;
  }

  #evictDownTo(budget: number): void {
    while (this.#bytes > budget) {
      const first = this.#slots.entries().next();
      if (first.done) break;
      this.#remove(first.value[0], first.value[1]);
      this.#evictions++;
    }
  }
}
