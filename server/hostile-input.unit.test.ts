import { expect } from 'chai';
import type { Request } from 'express';
import { refuseHostileParameters, refuseHostilePath } from './hostile-input';

/** What the middleware decides for a request: undefined to let it through, else the status. */
function verdict(handler: typeof refuseHostileParameters, req: Partial<Request> & { json?: boolean }): number | undefined {
  let result: number | undefined;
  const fake = {
    query: {},
    body: {},
    originalUrl: '/',
    url: '/',
    is: (type: string) => (req.json && type === 'application/json' ? type : false),
    ...req,
  } as unknown as Request;
  handler(fake, {} as never, (err?: unknown) => {
    result = err ? (err as { status: number }).status : undefined;
  });
  return result;
}

describe('hostile input', () => {
  it('refuses control characters and prototype keys in forms and queries', () => {
    expect(verdict(refuseHostileParameters, { body: { email: 'a\u0000b' } })).to.equal(400);
    expect(verdict(refuseHostileParameters, { query: { q: 'x\u0007' } as never })).to.equal(400);
    expect(verdict(refuseHostileParameters, { body: Object.fromEntries([['__proto__', 'x']]) })).to.equal(400);
    expect(verdict(refuseHostileParameters, { body: { note: 'line one\r\nline two\tend' } })).to.equal(undefined);
  });

  it('lets a SCORM commit keep control characters in its JSON, but not a NUL', () => {
    expect(verdict(refuseHostileParameters, { json: true, body: { cmi: { 'cmi.suspend_data': 'ᯡࠫ䅜\u0001\u001f' } } })).to.equal(undefined);
    expect(verdict(refuseHostileParameters, { json: true, body: { cmi: { 'cmi.suspend_data': 'a\u0000' } } })).to.equal(400);
    expect(verdict(refuseHostileParameters, { json: true, body: JSON.parse('{"constructor": {"prototype": {}}}') })).to.equal(400);
  });

  it('refuses a path whose percent-encoding does not decode, or that decodes to a NUL', () => {
    expect(verdict(refuseHostilePath, { originalUrl: '/staff/%zz' })).to.equal(400);
    expect(verdict(refuseHostilePath, { originalUrl: '/%c0%ae%c0%ae/' })).to.equal(400);
    expect(verdict(refuseHostilePath, { originalUrl: '/a%00b' })).to.equal(400);
    expect(verdict(refuseHostilePath, { originalUrl: '/staff/some-slug?q=%zz' })).to.equal(undefined);
  });
});
