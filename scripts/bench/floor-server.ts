/**
 * The floor for the SCORM commit benchmark: a bare Express route that does
 * one equivalent single-row upsert (the run-time data of one SCO, newer
 * sequence wins) and nothing else: no sign-in, no session, no CSRF check, no
 * validation, no attempt outcome. Started as its own process by
 * scripts/bench/scorm-commit.ts, with the same pool size as the product.
 *
 *   DATABASE_URL=... PORT=... npx tsx scripts/bench/floor-server.ts
 */
import express from 'express';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const app = express();
app.use(express.json({ limit: '1mb' }));
app.post('/commit/:attempt', async (req, res) => {
  const b = req.body as { sco: string; sequence: number; cmi: unknown };
  const { rowCount } = await pool.query(
    `insert into bench_floor_sco_states (attempt_id, sco_identifier, cmi, last_sequence, updated_at) values ($1, $2, $3, $4, now())
     on conflict (attempt_id, sco_identifier) do update set cmi = excluded.cmi, last_sequence = excluded.last_sequence, updated_at = now()
      where bench_floor_sco_states.last_sequence < excluded.last_sequence`,
    [req.params.attempt, b.sco, JSON.stringify(b.cmi), b.sequence],
  );
  res.json({ result: 'true', errorCode: 0, stored: rowCount === 1 });
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('floor is running'));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
