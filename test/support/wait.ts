/** Polls `fn` every 200 ms until it gives something truthy, or fails naming `what` after `ms` (long enough for a browser test on a loaded 2-core CI machine, where both database passes run at once). */
export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, what: string, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
