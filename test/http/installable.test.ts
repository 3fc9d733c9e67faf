// The favicon, the web app manifest and its icons (DESIGN §15; defect 10 of issue 23: /favicon.ico was 404).
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

const setup = useTestApp();

describe('installable', () => {
  it('serves /favicon.ico as an icon, to anyone', async () => {
    const res = await request(setup.t.app).get('/favicon.ico');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/(x-icon|vnd\.microsoft\.icon)/);
    expect(res.body.readUInt16LE(2)).toBe(1);
  });

  it('serves /manifest.webmanifest with icons that exist, and every page links to it', async () => {
    const res = await request(setup.t.app).get('/manifest.webmanifest');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/manifest\+json/);
    const manifest = JSON.parse(res.text);
    expect(manifest).toMatchObject({ name: 'Smriti', start_url: '/journal', display: 'standalone' });
    const sizes = manifest.icons.map((icon: { sizes: string }) => icon.sizes);
    expect(sizes).toEqual(expect.arrayContaining(['192x192', '512x512']));
    for (const icon of manifest.icons) {
      const file = await request(setup.t.app).get(icon.src);
      expect(file.status, icon.src).toBe(200);
      expect(file.headers['content-type']).toContain(icon.type);
    }
    const login = (await request(setup.t.app).get('/login')).text;
    expect(login).toContain('<link rel="manifest" href="/manifest.webmanifest">');
    expect(login).toContain('<link rel="icon" href="/favicon.ico"');
  });
});
