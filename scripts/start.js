// What `npm start` and `npm run cli` run: builds first when the build is
// missing or stale, then runs the compiled code in this same process (no
// second process relaying signals).
//   node scripts/start.js            the server
//   node scripts/start.js cli ARGS   a CLI command
const path = require('node:path');
const { ensureBuilt, DIST } = require('./build');

try {
  ensureBuilt();
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
if (process.argv[2] === 'cli') {
  const { runCli } = require(path.join(DIST, 'scripts', 'cli.js'));
  runCli(process.argv.slice(3)).then((code) => process.exit(code));
} else {
  require(path.join(DIST, 'server', 'main.js'));
}
