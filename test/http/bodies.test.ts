import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { TEST_ORIGIN, useTestApp } from '../helpers/app.js';

const setup = useTestApp();

describe('malformed bodies', () => {
  it('answers 400 with a message for bad JSON', async () => {
    const res = await request(setup.t.app)
      .post('/login')
      .set('Origin', TEST_ORIGIN)
      .set('Content-Type', 'application/json')
      .send('{"email":');
    expect(res.status).toBe(400);
    expect(res.text).toContain('not valid JSON');
  });

  it('answers 400 JSON for bad JSON on a JSON route', async () => {
    const res = await request(setup.t.app).post('/refresh').set('Origin', TEST_ORIGIN).set('Content-Type', 'application/json').send('nope');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'body_malformed', message: 'The request body is not valid JSON.' });
  });

  it('answers 413 for a body over 1 MB, form or JSON', async () => {
    const big = 'a'.repeat(1024 * 1024 + 10);
    const form = await request(setup.t.app).post('/register').set('Origin', TEST_ORIGIN).type('form').send(`email=${big}`);
    expect(form.status).toBe(413);
    expect(form.text).toContain('larger than the 1 MB limit');
    const json = await request(setup.t.app)
      .post('/refresh')
      .set('Origin', TEST_ORIGIN)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ x: big }));
    expect(json.status).toBe(413);
    expect(json.body.error).toBe('body_too_large');
  });

  it('answers 400 when a field is not text', async () => {
    const res = await request(setup.t.app)
      .post('/login')
      .set('Origin', TEST_ORIGIN)
      .send({ email: ['a@b.c'], password: { $gt: '' } });
    expect(res.status).toBe(400);
    expect(res.text).toContain('must be text');
  });

  it('answers 400 for a JSON array where an object belongs', async () => {
    const res = await request(setup.t.app).post('/register').set('Origin', TEST_ORIGIN).send([1, 2]);
    expect(res.status).toBe(400);
  });

  it('answers 400 for missing fields, never 500', async () => {
    const res = await request(setup.t.app).post('/register').set('Origin', TEST_ORIGIN).type('form').send('');
    expect(res.status).toBe(400);
  });

  it('shows no stack trace on an unknown page', async () => {
    const res = await request(setup.t.app).get('/no/such/page');
    expect(res.status).toBe(404);
    expect(res.text).toContain('There is nothing at this address.');
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });
});
