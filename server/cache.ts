/**
 * What a product keeps in memory between requests (caches, rate counters)
 * belongs to that product, never to the process: the tests run several
 * products in one process, on databases where the same row id means
 * different things, and one must not answer from another's entries. So a
 * module declares the kind of thing it keeps (a constant, holding nothing)
 * and finds its own copy on its product's database pool, made on first use.
 */

export interface CacheOptions<V> {
  /** Most entries held (or most weight, with `weight`); the least recently used goes first. */
  max: number;
  /** How long an entry may be used after it was stored, for entries that can go stale. */
  ttlMs?: number;
  /** What one entry counts against `max`, e.g. the people in a result; 1 when omitted. An entry heavier than `max` is not held. */
  weight?: (value: V) => number;
  /** The clock, for tests. */
  now?: () => number;
}

/** A map that holds at most `max` (by count or weight), dropping the least recently used first. */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number; storedAt: number }>();
  private held = 0;

  constructor(private readonly options: CacheOptions<V>) {
    if (!(options.max >= 1)) throw new Error('a cache must be able to hold at least one entry');
  }

  get size(): number {
    return this.entries.size;
  }

  /** Total weight held (the entry count when entries have no weight). */
  get weight(): number {
    return this.held;
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.options.ttlMs !== undefined && this.now() - entry.storedAt >= this.options.ttlMs) {
      this.delete(key);
      return undefined;
    }
    // Most recently used last, so the least recently used is first to go.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.options.weight ? this.options.weight(value) : 1;
    if (weight > this.options.max) return;
    for (const [oldest, entry] of this.entries) {
      if (this.held + weight <= this.options.max) break;
      this.entries.delete(oldest);
      this.held -= entry.weight;
    }
    this.entries.set(key, { value, weight, storedAt: this.now() });
    this.held += weight;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.held -= entry.weight;
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }
}

/** Something a module keeps once per product: declared as a module constant, which holds nothing itself. */
export interface KeptPerProduct<T> {
  readonly name: string;
  make(): T;
}

export function keptPerProduct<T>(name: string, make: () => T): KeptPerProduct<T> {
  return { name, make };
}

/** A bounded cache kept once per product. */
export function cachePerProduct<K, V>(name: string, options: CacheOptions<V>): KeptPerProduct<BoundedCache<K, V>> {
  return keptPerProduct(name, () => new BoundedCache<K, V>(options));
}

const KEPT = Symbol('what one product keeps in memory');

/**
 * The product's own copy of `kind`, made on first use. `owner` is the
 * product's database pool (ModuleContext.database.pool), the one object
 * every request, job and command of a product shares and no other product
 * has; everything kept goes with it when the product closes.
 */
export function keptBy<T>(owner: object, kind: KeptPerProduct<T>): T {
  let kept = (owner as { [KEPT]?: Map<KeptPerProduct<unknown>, unknown> })[KEPT];
  if (!kept) {
    kept = new Map();
    Object.defineProperty(owner, KEPT, { value: kept, enumerable: false });
  }
  if (!kept.has(kind)) kept.set(kind, kind.make());
  return kept.get(kind) as T;
}
