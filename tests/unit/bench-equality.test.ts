import { compareAnswers, firstDifference, sortKeys } from '../../bench/equality';
import { Response } from '../../bench/service';

/** The bench's document-equality check between the service and its floor (bench/equality.ts). */

const answer = (document: unknown, status = 200, headers: Response['headers'] = {}): Response => ({
  status,
  headers: { 'content-type': 'application/vnd.api+json', ...headers },
  body: JSON.stringify(document),
});

describe('bench document equality', () => {
  it('ignores the order of object keys but not of array elements', () => {
    expect(JSON.stringify(sortKeys({ b: 1, a: { d: [2, 1], c: null } }))).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(compareAnswers(answer({ data: { id: '1', type: 'client' } }), answer({ data: { type: 'client', id: '1' } }), false)).toBeUndefined();
    expect(compareAnswers(answer({ data: [{ id: '1' }, { id: '2' }] }), answer({ data: [{ id: '2' }, { id: '1' }] }), false)).toEqual({ path: '$.data[0].id', service: '1', floor: '2' });
  });

  it('names the first differing path, with a member or an element missing on one side', () => {
    expect(firstDifference({ a: { x: 1 } }, { a: {} })).toEqual({ path: '$.a.x', service: 1, floor: undefined });
    expect(firstDifference({ a: [1] }, { a: [1, 2] })).toEqual({ path: '$.a[1]', service: undefined, floor: 2 });
    expect(firstDifference({ 'page[size]': 1 }, { 'page[size]': 2 })).toEqual({ path: '$["page[size]"]', service: 1, floor: 2 });
    expect(firstDifference({ a: null }, { a: {} })).toEqual({ path: '$.a', service: null, floor: {} });
  });

  it('compares status and Content-Type before the documents', () => {
    expect(compareAnswers(answer({}), answer({}, 400), false)).toEqual({ path: 'HTTP status', service: 200, floor: 400 });
    expect(compareAnswers(answer({}), answer({}, 200, { 'content-type': 'application/json' }), false)?.path).toBe('Content-Type');
  });

  it('compares created resources with their ids and timestamps as placeholders, links and Location included', () => {
    const created = (id: string, at: string, name = 'n') =>
      answer({ links: { self: `http://h/api/v2/clients/${id}` }, data: { type: 'client', id, attributes: { name, createdAt: at, updatedAt: at } } }, 201, {
        location: `http://h/api/v2/clients/${id}`,
      });
    const service = created('aaaaaaaaaaaaaaaaaaaaaaaa', '2026-01-01T00:00:00.000Z');
    expect(compareAnswers(service, created('bbbbbbbbbbbbbbbbbbbbbbbb', '2026-01-01T00:00:01.000Z'), true)).toBeUndefined();
    expect(compareAnswers(service, created('bbbbbbbbbbbbbbbbbbbbbbbb', '2026-01-01T00:00:01.000Z', 'm'), true)).toEqual({ path: '$.data.attributes.name', service: 'n', floor: 'm' });
    // Without the placeholders the ids differ.
    expect(compareAnswers(service, created('bbbbbbbbbbbbbbbbbbbbbbbb', '2026-01-01T00:00:00.000Z'), false)?.path).toBe('$.data.id');
  });
});
