// Mocha's spec reporter, followed by how long each test file took (its hooks and
// tests, slowest first). .ci/run uses it, so each pass's log shows where its time
// goes and which suites to move between the passes (test/support/one-pass.ts).
// Plain JavaScript: mocha loads reporters before tsx is registered.
const Mocha = require('mocha');

const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_RUN_END } = Mocha.Runner.constants;

class SpecWithFileTimes extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const started = new Map();
    const times = [];
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.file && suite.parent?.root) started.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      if (started.has(suite)) times.push({ file: suite.file.replace(`${process.cwd()}/`, ''), ms: Date.now() - started.get(suite) });
    });
    // After the spec reporter's summary, which .ci/run reads for the counts.
    runner.once(EVENT_RUN_END, () => {
      const byFile = new Map();
      for (const t of times) byFile.set(t.file, (byFile.get(t.file) ?? 0) + t.ms);
      console.log('\n  Time per test file, slowest first:');
      for (const [file, ms] of [...byFile].sort((a, b) => b[1] - a[1])) console.log(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${file}`);
    });
  }
}

module.exports = SpecWithFileTimes;
