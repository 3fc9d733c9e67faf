// A form answered with an error on the same page (a failed import at /account/import) names the
// address the page really lives at: the address bar shows it, so a reload or a bookmark works.
(() => {
  const home = document.querySelector('[data-page-home]')?.getAttribute('data-page-home');
  if (home?.startsWith('/') && !home.startsWith('//')) history.replaceState(history.state, '', home);
})();
