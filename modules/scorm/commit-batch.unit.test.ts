import { expect } from 'chai';
import { CommitBatcher } from './commit-batch';

interface Row {
  attempt: string;
  n: number;
}

/** A write that is held open until the test lets it finish, recording what each statement held. */
function heldWrites() {
  const statements: Row[][] = [];
  const finish: ((fail?: boolean) => void)[] = [];
  const write = (rows: Row[]) =>
    new Promise<Map<string, number>>((resolve, reject) => {
      statements.push(rows);
      finish.push((fail) => (fail ? reject(new Error('deadlock detected')) : resolve(new Map(rows.map((r) => [r.attempt, r.n])))));
    });
  return { statements, finish, write };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('SCORM group commit (commit-batch.ts)', () => {
  it('writes a commit at once, alone, when nothing else is being written', async () => {
    const { statements, finish, write } = heldWrites();
    const batcher = new CommitBatcher(write, (r: Row) => r.attempt, { inFlight: 2, largest: 10 });
    const answer = batcher.submit({ attempt: 'a', n: 1 });
    expect(statements).to.deep.equal([[{ attempt: 'a', n: 1 }]]);
    finish[0]();
    expect(await answer).to.equal(1);
  });

  it('writes commits that arrived while the statements were busy together, each answered only once its statement has finished', async () => {
    const { statements, finish, write } = heldWrites();
    const batcher = new CommitBatcher(write, (r: Row) => r.attempt, { inFlight: 1, largest: 10 });
    const answers: (number | undefined)[] = [];
    batcher.submit({ attempt: 'a', n: 1 }).then((n) => answers.push(n));
    for (const attempt of ['b', 'c', 'd']) batcher.submit({ attempt, n: 2 }).then((n) => answers.push(n));
    await tick();
    expect(statements).to.have.length(1);
    expect(answers, 'nothing is answered before its statement ends').to.deep.equal([]);
    finish[0]();
    await tick();
    expect(answers).to.deep.equal([1]);
    expect(statements[1].map((r) => r.attempt)).to.deep.equal(['b', 'c', 'd']);
    finish[1]();
    await tick();
    expect(answers).to.deep.equal([1, 2, 2, 2]);
  });

  it('never has one attempt in two statements at once, so its commits are written in the order they came', async () => {
    const { statements, finish, write } = heldWrites();
    const batcher = new CommitBatcher(write, (r: Row) => r.attempt, { inFlight: 3, largest: 10 });
    batcher.submit({ attempt: 'a', n: 1 });
    batcher.submit({ attempt: 'a', n: 2 });
    batcher.submit({ attempt: 'b', n: 1 });
    batcher.submit({ attempt: 'a', n: 3 });
    await tick();
    expect(statements).to.deep.equal([[{ attempt: 'a', n: 1 }], [{ attempt: 'b', n: 1 }]]);
    finish[0]();
    await tick();
    expect(statements[2]).to.deep.equal([{ attempt: 'a', n: 2 }]);
    finish[2]();
    await tick();
    expect(statements[3]).to.deep.equal([{ attempt: 'a', n: 3 }]);
  });

  it('answers every commit of a failed statement "not written here", so each takes the transactional path on its own', async () => {
    const { finish, write } = heldWrites();
    const batcher = new CommitBatcher(write, (r: Row) => r.attempt, { inFlight: 1, largest: 10 });
    const first = batcher.submit({ attempt: 'a', n: 1 });
    const second = batcher.submit({ attempt: 'b', n: 1 });
    const third = batcher.submit({ attempt: 'c', n: 1 });
    finish[0](true);
    expect(await first).to.equal(undefined);
    await tick();
    finish[1](true);
    expect([await second, await third]).to.deep.equal([undefined, undefined]);
  });

  it('puts no more than `largest` commits in one statement', async () => {
    const { statements, finish, write } = heldWrites();
    const batcher = new CommitBatcher(write, (r: Row) => r.attempt, { inFlight: 1, largest: 2 });
    for (const attempt of ['a', 'b', 'c', 'd', 'e']) batcher.submit({ attempt, n: 1 });
    for (let i = 0; i < 3; i++) {
      await tick();
      finish[i]();
    }
    await tick();
    expect(statements.map((s) => s.map((r) => r.attempt).join(''))).to.deep.equal(['a', 'bc', 'de']);
  });
});
