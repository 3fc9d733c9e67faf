// Photos in the editor (DESIGN §17): the photo button, drag-and-drop and paste each send the image to
// POST /api/photos with a progress bar, one at a time, and put ![](/photos/<id>) in the text at the cursor.
(() => {
  const form = document.querySelector('form[data-editor]');
  const input = form?.querySelector('input[type=file][name=photo]');
  const body = form?.querySelector('textarea[name=body]');
  const list = form?.querySelector('[data-photo-progress]');
  if (!form || !input || !body || !list) return;

  const waiting = [];
  let sending = false;

  function insertAtCursor(text) {
    const start = body.selectionStart;
    const before = body.value.slice(0, start);
    const gap = before === '' || before.endsWith('\n') ? '' : '\n';
    body.focus();
    body.setRangeText(`${gap}${text}\n`, start, body.selectionEnd, 'end');
    // The editor saves on input, as if the reference had been typed.
    body.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function post(file, bar) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/photos');
      xhr.responseType = 'json';
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable) bar.value = event.loaded / event.total;
      });
      xhr.addEventListener('load', () => resolve({ status: xhr.status, answer: xhr.response }));
      xhr.addEventListener('error', () => resolve({ status: 0, answer: null }));
      const data = new FormData();
      if (form.dataset.entryId) data.append('entry_id', form.dataset.entryId);
      data.append('photo', file);
      xhr.send(data);
    });
  }

  async function upload(file) {
    const item = document.createElement('li');
    const bar = document.createElement('progress');
    bar.max = 1;
    bar.value = 0;
    const label = document.createElement('span');
    label.textContent = `Uploading ${file.name || 'photo'}…`;
    bar.setAttribute('aria-label', `Uploading ${file.name || 'photo'}`);
    item.append(bar, label);
    list.append(item);
    let result = await post(file, bar);
    if (result.status === 401) {
      // The access token lapsed: secureFetch renews it (or says the session is over), then once more.
      try {
        await window.secureFetch('/api/me');
        result = await post(file, bar);
      } catch {
        result = { status: 401, answer: { message: 'Your session has expired; sign in again, then add the photo.' } };
      }
    }
    if (result.status === 201 && result.answer?.url) {
      insertAtCursor(`![](${result.answer.url})`);
      item.remove();
      return;
    }
    bar.remove();
    item.className = 'form-error';
    item.setAttribute('role', 'alert');
    label.textContent = `${file.name || 'The photo'}: ${result.answer?.message || 'the upload failed; check the connection and try again.'}`;
  }

  async function drain() {
    if (sending) return;
    sending = true;
    while (waiting.length > 0) await upload(waiting.shift());
    sending = false;
  }

  function add(files) {
    const images = [...files].filter((file) => file.type === '' || file.type.startsWith('image/'));
    if (images.length === 0) return false;
    waiting.push(...images);
    drain();
    return true;
  }

  input.addEventListener('change', () => {
    add(input.files);
    input.value = '';
  });
  body.addEventListener('paste', (event) => {
    if (event.clipboardData && add(event.clipboardData.files)) event.preventDefault();
  });
  body.addEventListener('dragover', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    body.classList.add('dropping');
  });
  body.addEventListener('dragleave', () => body.classList.remove('dropping'));
  body.addEventListener('drop', (event) => {
    body.classList.remove('dropping');
    if (!event.dataTransfer?.files.length) return;
    event.preventDefault();
    // The photo lands where it was dropped, when the browser says where that is.
    body.focus();
    add(event.dataTransfer.files);
  });
})();
