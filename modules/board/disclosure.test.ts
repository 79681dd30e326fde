import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DEMO_PASSWORD } from '../../server/demo';
import { addCsv, attack, fromApi, type PublishedDay } from '../../test/support/board-attacker';
import { TEST_DB } from '../../test/support/database';
import { startTestServer, TestAgent, type TestServer } from '../../test/support/server';
import { londonToday } from '../../server/london';
import { SECTORS } from '../organisations/api';
import { lastEndedQuarter, previousQuarter, quarterEndingOn } from './quarters';
import { refreshFigures, takeSnapshot } from './store';

/**
 * The attack of issue 20, performed: a board member fetches every figure the
 * board can reach for each day it can reach, and a MIP solver works out the
 * range of true values each withheld figure could have. The method promises
 * that no withheld figure is pinned to a single value.
 */
describe(`board figures against an attacker with a linear-programming solver (${TEST_DB})`, function () {
  this.timeout(300_000);
  let server: TestServer;
  let board: TestAgent;
  const today = londonToday();
  const last = lastEndedQuarter(today);
  const earlier = previousQuarter(last);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-board-attack-'));
  const pool = () => server.product.database.pool;

  before(async () => {
    server = await startTestServer({ demo: true });
    board = new TestAgent(server.url);
    await board.signIn('board@vale-partnership.example', DEMO_PASSWORD);
  });
  after(async () => {
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Everything the board can fetch, as days of published figures (several answers for one day are one day). */
  async function harvest(): Promise<{ days: Map<string, PublishedDay>; texts: string[] }> {
    const days = new Map<string, PublishedDay>();
    const addApi = async (query: string) => {
      const res = await board.getJson(`/api/v1/board/coverage${query}`);
      if (res.status !== 200) return;
      const day = fromApi(res.body);
      const known = days.get(day.asOf);
      if (known) known.rows.push(...day.rows);
      else days.set(day.asOf, day);
      return res.body;
    };
    const current = await addApi('');
    const names = {
      sector: new Map<string, string>(current.sectors.map((s: { name: string; sector: string }) => [s.name, s.sector])),
      org: new Map<string, string>(current.organisations.map((o: { name: string; slug: string }) => [o.name, o.slug])),
    };
    // Every day of the last fortnight and of the two quarters' ends: a day-by-day series if the API gives one.
    for (let i = 0; i < 14; i++) await addApi(`?asOf=${new Date(Date.parse(today) - i * 86_400_000).toISOString().slice(0, 10)}`);
    for (const q of [earlier, last]) {
      await addApi(`?asOf=${q.end}`);
      await addApi(`?asOf=${new Date(Date.parse(q.end) - 86_400_000).toISOString().slice(0, 10)}`);
      const csv = await board.request('GET', `/board/report/${q.id}.csv`);
      const day = days.get(q.end);
      if (csv.status === 200 && day) addCsv(day, await csv.text(), names);
    }
    // The pages and the PDF carry the same figures; the attacker checks they give nothing more away.
    const pages = await Promise.all(
      ['/board', '/board/sectors', '/board/organisations', `/board?quarter=${last.id}`, `/board/organisations?quarter=${earlier.id}`].map((u) => board.get(u)),
    );
    const pdf = await board.request('GET', `/board/report/${last.id}.pdf`);
    const file = path.join(tmp, 'report.pdf');
    fs.writeFileSync(file, Buffer.from(await pdf.arrayBuffer()));
    const pdfText = execFileSync('pdftotext', ['-layout', file, '-']).toString();
    return { days, texts: [...pages.map((p) => p.text), pdfText] };
  }

  /** Only the published points: quarter ends and today, however many days were asked for. */
  function expectOnlyPublishedDays(days: Map<string, PublishedDay>) {
    const published = [...days.keys()].filter((d) => d === today || quarterEndingOn(d));
    expect([...days.keys()].sort(), 'days the board was given figures for').to.deep.equal(published.sort());
    expect(days.size).to.be.at.most(4);
  }

  /** One label for every withheld figure on the pages and in the PDF, whatever the reason it is withheld. */
  function expectOneLabel(texts: string[]) {
    for (const text of texts) expect(text).to.not.match(/fewer than \d|>hidden<|hidden \(small/);
    expect(texts.join('\n')).to.include('[c]');
  }

  async function attackAll(days: Map<string, PublishedDay>) {
    const pinned: string[] = [];
    let withheld = 0;
    for (const day of [...days.values()].sort((a, b) => a.asOf.localeCompare(b.asOf))) {
      const result = await attack(day);
      withheld += result.ranges.length;
      pinned.push(...result.pinned.map((r) => `${r.figure} = ${r.min}`));
      // One day with figures worked out is enough to fail; the others would only take time.
      if (pinned.length) break;
    }
    return { pinned, withheld };
  }

  it('on the demo partnership: figures are published only for quarter ends and today, and no withheld figure can be worked out', async () => {
    const { days, texts } = await harvest();
    const { pinned, withheld } = await attackAll(days);
    expect(withheld, 'the demo data has withheld figures to attack').to.be.greaterThan(0);
    expect(pinned, `${pinned.length} of ${withheld} withheld figures worked out exactly:\n${pinned.slice(0, 20).join('\n')}`).to.deep.equal([]);
    expectOnlyPublishedDays(days);
    expectOneLabel(texts);
  });

  it('on a partnership of many small organisations, with declarations of 0 and of fewer than on the system: no withheld figure can be worked out', async () => {
    // A fixed pseudo-random partnership, so a failure can be replayed.
    let seed = 20;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
    const sectors = Object.keys(SECTORS);
    const { rows: competencies } = await pool().query<{ id: string; group_number: number }>(
      `select c.id, c.group_number from competencies c join frameworks f on f.id = c.framework_id and f.status = 'published'`,
    );
    for (let i = 0; i < 24; i++) {
      const { rows: org } = await pool().query<{ id: string }>(
        `insert into organisations (slug, name, sector, in_area) values ($1, $2, $3, true) returning id`,
        [`small-${i}`, `Small Organisation ${i}`, pick(sectors)],
      );
      const people = 1 + Math.floor(random() * 7);
      for (let p = 0; p < people; p++) {
        const group = 1 + Math.floor(random() * 4);
        const startedDaysAgo = pick([10, 40, 200, 800]);
        const { rows: staff } = await pool().query<{ id: string }>(
          `insert into staff (organisation_id, name, job_title, group_number, group_source, start_date, is_volunteer)
           values ($1, $2, 'Worker', $3, 'import', current_date - $4::int, $5) returning id`,
          [org[0].id, `Small ${i} person ${p}`, group, startedDaysAgo, random() < 0.3],
        );
        const trainedDaysAgo = pick([null, 5, 60, 300, 700, 1200]);
        if (trainedDaysAgo !== null) {
          const mine = competencies.filter((c) => c.group_number === group).map((c) => c.id);
          await pool().query(
            `insert into evidence (staff_id, competency_id, achieved_on, source, note)
             select $1, c, current_date - $3::int, 'sign-off', 'generated' from unnest($2::uuid[]) c`,
            [staff[0].id, mine, trainedDaysAgo],
          );
        }
      }
      // Some declare nothing, some 0 for every group, some a little more than they have.
      const declaration = pick(['none', 'zero', 'some']);
      if (declaration !== 'none') {
        await pool().query(
          `insert into board_declared_headcount (organisation_id, group_number, staff, volunteers)
           select $1, g, case when $2 = 'zero' then 0 else 1 + (g * 7 + $3::int) % 4 end, 0 from generate_series(1, 4) g`,
          [org[0].id, declaration, i],
        );
      }
    }
    for (const q of [earlier, last]) await takeSnapshot(pool(), q, { userId: null, retake: true });
    await refreshFigures(pool(), today);
    const { days, texts } = await harvest();
    const { pinned, withheld } = await attackAll(days);
    expect(withheld).to.be.greaterThan(50);
    expect(pinned, `${pinned.length} of ${withheld} withheld figures worked out exactly:\n${pinned.slice(0, 20).join('\n')}`).to.deep.equal([]);
    expectOnlyPublishedDays(days);
    expectOneLabel(texts);
  });
});
