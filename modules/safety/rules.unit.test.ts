import { expect } from 'chai';
import { OFFER_SUBJECT, REMINDER_SUBJECT } from '../training-sessions/api';
import { exitUrlProblem, formatSupportLinks, parseSupportLinks, subjectRevealsProgress } from './rules';

describe('safety rules', () => {
  it('reads one local support service a line and names every line it cannot read', () => {
    const { links, errors } = parseSupportLinks('Vale IDVA service | https://vale.example/idva | 01234 567890\n\nNo address here\nBad | ftp://x');
    expect(links).to.deep.equal([{ name: 'Vale IDVA service', url: 'https://vale.example/idva', description: '01234 567890' }]);
    expect(errors.map((e) => e.text)).to.deep.equal([
      'Line 3: give a name and a web address, separated by "|"',
      'Line 4: "ftp://x" is not a web address (it must start with https://)',
    ]);
    expect(parseSupportLinks(formatSupportLinks(links)).links).to.deep.equal(links);
  });

  it('accepts only an https quick exit address', () => {
    expect(exitUrlProblem('https://www.bbc.co.uk/weather')).to.equal(null);
    expect(exitUrlProblem('http://example.com')).to.match(/https/);
    expect(exitUrlProblem('')).to.match(/Enter/);
  });
});

describe('email subject lines', () => {
  it('every subject the product sends says nothing about a person’s progress', () => {
    const subjects = [
      REMINDER_SUBJECT,
      OFFER_SUBJECT,
      'A question about your training',
      'Reset your password',
      'You are invited to Vale Partnership training',
      'Training reminder from Vale Partnership',
      'Welcome to training with Vale Partnership',
      'Staff training follow-up from Vale Partnership',
      'Training digest from Vale Partnership',
    ];
    for (const s of subjects) expect(subjectRevealsProgress(s), s).to.equal(false);
    for (const s of ['You are overdue', 'Your certificate has expired', 'Course not passed']) expect(subjectRevealsProgress(s), s).to.equal(true);
  });
});
