// Defect 4 of issue 34: a refused password change brings the form back into view with a summary that takes the focus.
import { describe, expect, it } from 'vitest';
import { signedInBrowser, useTestApp } from '../helpers/app.js';

const setup = useTestApp();

describe('a refused password change', () => {
  it('comes back at the form, with a focused summary and each wrong field marked', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const page = await browser.get('/account');
    expect(page.text).toContain('action="/account/password#change-password"');
    expect(page.text).not.toContain('data-error-summary');
    const res = await browser.post('/account/password', { current_password: '', new_password: 'short', new_password_confirm: 'short' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<h2 id="change-password">Change password</h2>');
    expect(res.text).toMatch(
      /<div class="error-summary" role="alert" tabindex="-1" id="password-error-summary" data-error-summary>\s*<p>Your password was not changed:<\/p>/,
    );
    expect(res.text).toContain('<a href="#current_password">Enter your current password.</a>');
    expect(res.text).toContain(
      'id="current_password" name="current_password" type="password" autocomplete="current-password" required aria-invalid="true" aria-describedby="current_password-error"',
    );
    expect(res.text).toContain('aria-invalid="true" aria-describedby="new_password-error"');
    expect(res.text).toContain('<script src="/js/error-summary.js" defer></script>');
  });
});
