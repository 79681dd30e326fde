/**
 * Suites whose pages and browsers behave the same on either database run on one
 * of the two CI passes only (.ci/run runs the passes side by side: PGlite with
 * PAGE_SWEEP_ON_OTHER_PASS=1, PostgreSQL with 0). Each such suite names the pass
 * it belongs to, so the two passes take about the same time. Run outside CI
 * (the variable unset), every suite runs.
 */
export function runsOnThisPass(pass: 'pglite' | 'postgres'): boolean {
  const flag = process.env.PAGE_SWEEP_ON_OTHER_PASS;
  if (flag === undefined) return true;
  return pass === 'pglite' ? flag === '1' : flag !== '1';
}
