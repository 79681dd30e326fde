import { expect } from 'chai';
import { ConfigError, loadConfig } from './config';

// On PostgreSQL with a session secret given, loading the configuration writes nothing to disk.
const base = { DATABASE_URL: 'postgres://localhost/lms', SESSION_SECRET: 'x'.repeat(40) };

describe('configuration: settings the modules read', () => {
  it('takes the board threshold from BOARD_SUPPRESSION_THRESHOLD, and stops on a bad one naming it', () => {
    expect(loadConfig(base).boardSuppressionThreshold).to.equal(undefined);
    expect(loadConfig({ ...base, BOARD_SUPPRESSION_THRESHOLD: '8' }).boardSuppressionThreshold).to.equal(8);
    expect(loadConfig({ ...base, BOARD_SUPPRESSION_THRESHOLD: '  ' }).boardSuppressionThreshold).to.equal(undefined);
    expect(() => loadConfig({ ...base, BOARD_SUPPRESSION_THRESHOLD: 'one' })).to.throw(ConfigError, /BOARD_SUPPRESSION_THRESHOLD/);
    expect(() => loadConfig({ ...base, BOARD_SUPPRESSION_THRESHOLD: '2' })).to.throw(ConfigError, /from 3 to 50/);
    expect(() => loadConfig({ ...base, BOARD_SUPPRESSION_THRESHOLD: '5.5' })).to.throw(ConfigError, /from 3 to 50/);
  });

  it('takes the leavers’ retention period from LEAVER_RETENTION_MONTHS, and stops on a bad one naming it', () => {
    expect(loadConfig(base).leaverRetentionMonths).to.equal(undefined);
    expect(loadConfig({ ...base, LEAVER_RETENTION_MONTHS: ' 36 ' }).leaverRetentionMonths).to.equal(36);
    for (const bad of ['forever', '0', '1201', '1.5', '-3']) {
      expect(() => loadConfig({ ...base, LEAVER_RETENTION_MONTHS: bad }), bad).to.throw(
        ConfigError,
        /LEAVER_RETENTION_MONTHS: must be a whole number of months from 1 to 1200/,
      );
    }
  });

  it('reads SCORM_DIR from the environment it is given, not the process’s', () => {
    expect(loadConfig({ ...base, SCORM_DIR: '/srv/elearning' }).scormDir).to.equal('/srv/elearning');
    const before = process.env.SCORM_DIR;
    process.env.SCORM_DIR = '/somewhere/else';
    try {
      expect(loadConfig(base).scormDir).to.not.equal('/somewhere/else');
    } finally {
      if (before === undefined) delete process.env.SCORM_DIR;
      else process.env.SCORM_DIR = before;
    }
  });
});
