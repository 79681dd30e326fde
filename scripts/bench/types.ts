/**
 * The contract between `scripts/bench/run.ts` and each benchmark in this folder.
 * Each benchmark file exports `run(ctx)`; the runner calls them in turn against
 * the generated data set and writes docs/benchmarks.md and docs/benchmarks.json
 * from what they return, so every figure is measured in the same run on the
 * same machine as its floor.
 */
export interface BenchContext {
  /** PostgreSQL holding the generated data set (see scripts/bench/generate.ts). */
  databaseUrl: string;
  /** Size of the generated data set, as the generator recorded it. */
  dataSet: { organisations: number; staff: number; evidence: number; seed: number };
  /** Fewer iterations, for a smoke run (`--quick`); figures are then indicative only. */
  quick: boolean;
  log(message: string): void;
}

export interface BenchFigure {
  label: string;
  value: number;
  unit: string;
}

export interface BenchResult {
  /** Stable id, e.g. 'organisation-compliance'. */
  id: string;
  title: string;
  /** The target in words, e.g. 'under 300 ms, ratio under 2'. */
  target: string;
  met: boolean;
  figures: BenchFigure[];
  /** Our figure against its floor, e.g. { label: 'median / SQL floor', value: 1.4 }. */
  ratios?: { label: string; value: number }[];
  /** What was measured and how, and any before/after of a fix. */
  notes?: string[];
}

export type Benchmark = (ctx: BenchContext) => Promise<BenchResult | BenchResult[]>;
