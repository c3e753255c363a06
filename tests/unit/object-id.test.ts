import { isObjectId, newObjectId, OBJECT_ID } from '../../src/data/object-id';

/** Ids as SPEC §1 lays them out: 4 bytes of Unix seconds, 5 process bytes, a 3-byte counter. */

/** A fresh copy of the module, so a test can steer the clock without moving the shared one. */
function freshModule(counterStart?: number): typeof import('../../src/data/object-id') {
  let mod: typeof import('../../src/data/object-id') | undefined;
  jest.isolateModules(() => {
    if (counterStart !== undefined) {
      // Only the counter's random start is pinned, so the wrap is reached in a few calls.
      jest.doMock('node:crypto', () => ({ ...jest.requireActual('node:crypto'), randomInt: () => counterStart }));
    }
    mod = jest.requireActual<typeof import('../../src/data/object-id')>('../../src/data/object-id');
  });
  jest.dontMock('node:crypto');
  return mod!;
}

describe('newObjectId', () => {
  it('When ids are made, then each is 24 lowercase hex characters', () => {
    for (let i = 0; i < 1000; i++) expect(newObjectId()).toMatch(/^[0-9a-f]{24}$/);
  });

  it('When 200,000 ids are made in a row, then each sorts strictly after the one before', () => {
    let previous = newObjectId();
    let outOfOrder = 0;
    for (let i = 0; i < 200_000; i++) {
      const id = newObjectId();
      if (!(id > previous)) outOfOrder++;
      previous = id;
    }
    expect(outOfOrder).toBe(0);
  });

  it('When an id is made, then its first 8 hex characters are the current Unix seconds', () => {
    // A fresh copy of the module: earlier tests here make enough ids to wrap the counter, which
    // (by design) moves later ids of this process past the wall clock.
    const fresh = freshModule().newObjectId;
    const before = Math.floor(Date.now() / 1000);
    const id = fresh();
    const after = Math.floor(Date.now() / 1000);
    const seconds = parseInt(id.slice(0, 8), 16);
    expect(seconds).toBeGreaterThanOrEqual(before);
    expect(seconds).toBeLessThanOrEqual(after);
  });

  it('When ids are made in one process, then the 5 bytes after the seconds are the same in each and the last 3 bytes count up by one', () => {
    const a = newObjectId();
    const b = newObjectId();
    expect(b.slice(8, 18)).toBe(a.slice(8, 18));
    expect((parseInt(b.slice(18), 16) - parseInt(a.slice(18), 16) + 0x1000000) % 0x1000000).toBe(1);
  });

  it('When a clock time is given, then the first 8 hex characters are its Unix seconds', () => {
    const { newObjectId: make } = freshModule();
    const now = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
    expect(make(now).slice(0, 8)).toBe(
      Math.floor(now / 1000)
        .toString(16)
        .padStart(8, '0'),
    );
    expect(make(now).slice(0, 8)).toBe('70dd5525');
  });

  it('When the clock steps back, then the next id still sorts after the last one', () => {
    const { newObjectId: make } = freshModule();
    const now = Date.UTC(2030, 0, 2, 3, 4, 5);
    const first = make(now);
    const second = make(now - 60_000);
    expect(second > first).toBe(true);
  });

  it('When the 3-byte counter wraps within one second, then the ids still increase', () => {
    const { newObjectId: make } = freshModule(0xfffffc);
    const now = Date.UTC(2030, 0, 2, 3, 4, 5);
    const ids = Array.from({ length: 6 }, () => make(now));
    expect(ids.map((id) => id.slice(18))).toEqual(['fffffd', 'fffffe', 'ffffff', '000000', '000001', '000002']);
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
  });
});

describe('isObjectId', () => {
  it.each([
    ['65f0a1b2c3d4e5f6a7b8c9d0', true],
    ['65F0A1B2C3D4E5F6A7B8C9D0', false],
    ['65f0a1b2c3d4e5f6a7b8c9d', false],
    ['65f0a1b2c3d4e5f6a7b8c9d0a', false],
    ['65f0a1b2c3d4e5f6a7b8c9dg', false],
    ['', false],
  ])('When %p is checked, then isObjectId says %p', (value, expected) => {
    expect(isObjectId(value)).toBe(expected);
    expect(OBJECT_ID.test(value)).toBe(expected);
  });

  it.each([null, undefined, 123, {}, ['65f0a1b2c3d4e5f6a7b8c9d0']])('When a non-string (%p) is checked, then it is not an id', (value) => {
    expect(isObjectId(value)).toBe(false);
  });
});
