// Photos in the editor (DESIGN §17): the photo button, drag-and-drop and paste each send the image to
// POST /api/photos with a progress bar, one at a time, and put ![](/photos/<id>) in the text at the cursor.
// In a sealed journal (§16) the photo is stripped, resized and sealed here first (sealing/photos.js):
// the server only ever receives its ciphertext.
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

  const sealing = window.smritiSealing;
  const HEIC = /\.(heic|heif)$/i;
  const sealedJournal = () => sealing?.journalState() === 'sealed';

  /** The upload's form: the file as it is, or in a sealed journal its sealed sizes; a sentence when it cannot be. */
  async function formFor(file) {
    if (!sealedJournal()) {
      const data = new FormData();
      data.append('photo', file);
      return { data };
    }
    const key = await sealing.ready;
    if (!key) return { problem: 'Your journal is locked on this device: open it, then add the photo.' };
    await sealing.loadScript('/js/sealing/photos.js');
    const photos = window.smritiSealedPhotos;
    try {
      return { data: await photos.sealedUpload(key, file) };
    } catch (error) {
      if (!(error instanceof photos.UnreadablePhoto)) throw error;
      if (file.type === 'image/heic' || file.type === 'image/heif' || HEIC.test(file.name || ''))
        return { problem: 'This is a HEIC photo, which browsers cannot read: export it as JPEG and try again.' };
      return { problem: 'The photo could not be read: the file is damaged or not a picture. Try exporting it again.' };
    }
  }

  function post(data, bar) {
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
      if (form.dataset.entryId && !data.has('entry_id')) data.set('entry_id', form.dataset.entryId);
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
    const { data, problem } = await formFor(file).catch(() => ({
      problem: 'The photo could not be sealed here. Reload the page and try again.',
    }));
    let result = problem ? { status: 0, answer: { message: problem } } : await post(data, bar);
    if (result.status === 401) {
      // The access token lapsed: secureFetch renews it (or says the session is over), then once more.
      try {
        await window.secureFetch('/api/me');
        result = await post(data, bar);
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
