// A form the server refused opens with a summary of what to fix: focus goes there, so it is seen and read.
(() => {
  const summary = document.querySelector('[data-error-summary]');
  if (!summary) return;
  const focus = () => {
    summary.focus();
    summary.scrollIntoView({ block: 'center' });
  };
  // After the page's own scroll to a #fragment (the form's address), which would otherwise take the focus back.
  if (document.readyState === 'complete') focus();
  else window.addEventListener('load', () => setTimeout(focus, 0), { once: true });
})();
