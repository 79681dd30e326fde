/**
 * Group commit for the player's everyday commit (service.ts,
 * commitInOneStatement). Each statement costs a round trip to PostgreSQL and
 * a transaction of its own, whatever it writes; when many learners commit at
 * once, that per-statement cost is what limits how many commits a second the
 * server stores. So commits that arrive while earlier ones are being written
 * wait for them and are then written together, in one statement.
 *
 * A commit arriving when fewer than `inFlight` statements are running goes at
 * once, alone: at ordinary load nothing waits. Each commit is answered only
 * after the statement that wrote it has committed, so an answer still means
 * the data is stored. One attempt is never in two statements at once, so one
 * learner's commits are written in the order they arrived. If a statement
 * fails, every commit in it is answered "not written here", and each then
 * takes the transactional path on its own, as a refused one-statement commit
 * always has: one bad commit cannot fail another learner's.
 */
export interface BatchOptions {
  /** Statements running at once; more commits wait and are written together. */
  inFlight: number;
  /** Commits in one statement at most. */
  largest: number;
}

interface Waiting<T> {
  row: T;
  key: string;
  answer: (written: number | undefined) => void;
}

export class CommitBatcher<T> {
  private waiting: Waiting<T>[] = [];
  private running = 0;
  private readonly busy = new Set<string>();

  /**
   * `write` stores the rows in one statement and returns each written row's revision by key;
   * a row it could not write is left out.
   */
  constructor(
    private readonly write: (rows: T[]) => Promise<Map<string, number>>,
    private readonly keyOf: (row: T) => string,
    private readonly options: BatchOptions,
  ) {}

  /** The revision the commit was stored as, or undefined when it was not written here. */
  submit(row: T): Promise<number | undefined> {
    return new Promise((answer) => {
      this.waiting.push({ row, key: this.keyOf(row), answer });
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.options.inFlight && this.waiting.length) {
      const batch: Waiting<T>[] = [];
      const later: Waiting<T>[] = [];
      const keys = new Set<string>();
      for (const w of this.waiting) {
        if (batch.length < this.options.largest && !keys.has(w.key) && !this.busy.has(w.key)) {
          batch.push(w);
          keys.add(w.key);
        } else later.push(w);
      }
      // Everything waiting is for attempts already being written: their statements' end calls next() again.
      if (!batch.length) return;
      this.waiting = later;
      this.running++;
      for (const k of keys) this.busy.add(k);
      this.write(batch.map((w) => w.row))
        .then(
          (written) => {
            for (const w of batch) w.answer(written.get(w.key));
          },
          () => {
            for (const w of batch) w.answer(undefined);
          },
        )
        .finally(() => {
          this.running--;
          for (const k of keys) this.busy.delete(k);
          this.next();
        });
    }
  }
}
