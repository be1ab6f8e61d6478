import { Harness, startHarness } from './support/harness';

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** A JSON body on a bearer route nests at most 32 levels: deeper is a 400 that names the limit. */
describe('JSON nesting limit (e2e)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['a 1,500-deep array', nested(1_500)],
    ['a value nested 1,500 deep', `{"value":${nested(1_500)}}`],
    ['an object nested 40 deep', `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`],
  ])('should answer 400 naming the limit for %s, not 500', async (_name, body) => {
    const res = await h
      .api()
      .put('/api/switches/dryRun')
      .set('Content-Type', 'application/json')
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      field: 'body',
      message: 'body is nested deeper than 32 levels',
    });
  });

  it('should still take an ordinary body', async () => {
    const res = await h.api().put('/api/switches/dryRun').send({ value: false });
    expect(res.status).toBe(200);
  });
});
