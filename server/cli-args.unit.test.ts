import { expect } from 'chai';
import { readFlags, required } from './cli-args';
import { UsageError } from './errors';

const USAGE = 'npm run cli -- staff:import --org SLUG FILE [--yes]';
const OPTIONS = { org: { type: 'string' }, yes: { type: 'boolean' } } as const;

function mistake(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a usage error');
}

describe('command-line flags', () => {
  it('reads flags in either spelling and the bare arguments', () => {
    const { values, positionals } = readFlags(['--org', 'vale', 'staff.csv', '--yes'], OPTIONS, USAGE, { positionals: 1 });
    expect(values).to.deep.equal({ org: 'vale', yes: true });
    expect(positionals).to.deep.equal(['staff.csv']);
    expect(readFlags(['--org=vale'], OPTIONS, USAGE).values.org).to.equal('vale');
  });

  it('names a mistyped flag and repeats the usage, rather than ignoring it', () => {
    const err = mistake(() => readFlags(['--ogr', 'vale'], OPTIONS, USAGE));
    expect(err.message).to.equal(`Unknown option --ogr.\nUsage: ${USAGE}`);
  });

  it('says which flag lacks its value, also when the next word is another flag', () => {
    expect(mistake(() => readFlags(['--org'], OPTIONS, USAGE)).message).to.match(/^--org needs a value\./);
    expect(mistake(() => readFlags(['--org', '--yes'], OPTIONS, USAGE)).message).to.match(/^--org needs a value\./);
  });

  it('refuses a value given to a yes-or-no flag, and bare arguments the command does not take', () => {
    expect(mistake(() => readFlags(['--yes=no'], OPTIONS, USAGE)).message).to.match(/^--yes takes no value\./);
    expect(mistake(() => readFlags(['a.csv', 'b.csv'], OPTIONS, USAGE, { positionals: 1 })).message).to.match(
      /^"b\.csv" is not something this command takes\./,
    );
  });

  it('says a required flag is required', () => {
    expect(mistake(() => required(undefined, 'org', USAGE)).message).to.equal(`--org is required.\nUsage: ${USAGE}`);
    expect(required('vale', 'org', USAGE)).to.equal('vale');
  });
});
