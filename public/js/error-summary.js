// A form the server refused opens with a summary of what to fix: focus goes there, so it is seen and read.
(() => {
  const summary = document.querySelector('[data-error-summary]');
  if (!summary) return;
  summary.focus();
  summary.scrollIntoView({ block: 'center' });
})();
