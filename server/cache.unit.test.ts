import { expect } from 'chai';
import { BoundedCache, cachePerProduct, keptBy, keptPerProduct } from './cache';

describe('bounded cache', () => {
  it('holds at most its size, letting the least recently used go first', () => {
    const cache = new BoundedCache<string, number>({ max: 3 });
    for (const [k, v] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ] as const)
      cache.set(k, v);
    expect(cache.get('a')).to.equal(1); // a is now the most recently used
    cache.set('d', 4);
    expect(cache.size).to.equal(3);
    expect(cache.get('b'), 'the least recently used went').to.equal(undefined);
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).to.deep.equal([1, 3, 4]);
    cache.set('c', 30);
    expect(cache.size, 'replacing an entry takes no more room').to.equal(3);
    expect(cache.get('c')).to.equal(30);
  });

  it('never holds more than its size however many entries are stored', () => {
    const cache = new BoundedCache<number, number>({ max: 100 });
    for (let i = 0; i < 10_000; i++) cache.set(i, i);
    expect(cache.size).to.equal(100);
    expect(cache.get(9_999)).to.equal(9_999);
    expect(cache.get(9_899)).to.equal(undefined);
  });

  it('counts entries by weight when given one, and does not hold an entry heavier than the whole cache', () => {
    const cache = new BoundedCache<string, string[]>({ max: 10, weight: (people) => people.length });
    cache.set('small', ['a', 'b']);
    cache.set('large', Array(7).fill('x'));
    expect(cache.weight).to.equal(9);
    cache.set('more', ['c', 'd']);
    expect(cache.get('small'), 'room was made by letting the oldest go').to.equal(undefined);
    expect(cache.weight).to.equal(9);
    cache.set('more', Array(11).fill('y'));
    expect(cache.get('more'), 'too heavy to hold, and the old entry is gone too').to.equal(undefined);
    expect(cache.weight).to.equal(7);
  });

  it('forgets an entry once it is older than its time to live', () => {
    let now = 1_000;
    const cache = new BoundedCache<string, string>({ max: 5, ttlMs: 100, now: () => now });
    cache.set('a', 'fresh');
    now += 99;
    expect(cache.get('a')).to.equal('fresh');
    now += 1;
    expect(cache.get('a')).to.equal(undefined);
    expect(cache.size).to.equal(0);
  });

  it('keeps one copy per product, never shared between two', () => {
    const firstPool = {};
    const secondPool = {};
    const kind = cachePerProduct<string, number>('test entries', { max: 2 });
    keptBy(firstPool, kind).set('row-1', 1);
    expect(keptBy(firstPool, kind).get('row-1')).to.equal(1);
    expect(keptBy(secondPool, kind).get('row-1')).to.equal(undefined);
    let made = 0;
    const counter = keptPerProduct('made once', () => ++made);
    expect([keptBy(firstPool, counter), keptBy(firstPool, counter), keptBy(secondPool, counter)]).to.deep.equal([1, 1, 2]);
    expect(Object.keys(firstPool), 'nothing shows on the pool itself').to.deep.equal([]);
  });
});
