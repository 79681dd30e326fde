// npm run depcheck, second pass: the modules' own tests reach other modules only through api.ts (scripts/module-rules.js).
const { testOptions, testRules } = require('./scripts/module-rules');

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = { forbidden: testRules, options: testOptions };
