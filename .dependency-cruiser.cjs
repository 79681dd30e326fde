// npm run depcheck, first pass: the modules' boundaries (docs/architecture.md),
// from the rules in scripts/module-rules.js and what each modules/<name>/index.ts declares.
const { cruiseOptions, declaredModules, forbiddenRules } = require('./scripts/module-rules');

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = { forbidden: forbiddenRules(declaredModules()), options: cruiseOptions };
