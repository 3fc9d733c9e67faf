// Checklist boxes on an entry's page: ticking one saves through secureFetch without leaving the page.
// Without this script each box still works: it submits the page's small checklist form.
(() => {
  const form = document.querySelector('form[data-checklist]');
  if (!form || !window.secureFetch) return;
  const version = form.querySelector('input[name="version"]');

  // The plain form post: the server answers with the page, or with the 409 page if the entry changed.
  function submitPlainly(box) {
    const task = document.createElement('input');
    task.type = 'hidden';
    task.name = 'task';
    task.value = box.value;
    form.append(task);
    form.submit();
  }

  form.addEventListener('submit', async (event) => {
    const box = event.submitter;
    if (box?.name !== 'task') return;
    event.preventDefault();
    if (box.getAttribute('aria-busy') === 'true') return;
    box.setAttribute('aria-busy', 'true');
    try {
      const response = await window.secureFetch(form.action, {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ version: version.value, task: box.value }),
      });
      if (!response.ok) return submitPlainly(box);
      const saved = await response.json();
      version.value = String(saved.version);
      box.setAttribute('aria-checked', String(saved.checked));
      box.textContent = saved.checked ? '✓' : '';
      box.value = `${saved.task}:${saved.checked ? 0 : 1}`;
    } catch {
      submitPlainly(box);
    } finally {
      box.removeAttribute('aria-busy');
    }
  });
})();
