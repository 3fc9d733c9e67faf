// Photos of a sealed journal (DESIGN §16, §17), in the browser: each photo is drawn upright on a
// canvas and encoded again (which leaves every metadata block behind: EXIF, GPS, XMP, IPTC), as a
// display size and a thumbnail, and each is sealed with the journal key for its photo id and size
// (additional data `smriti:v1:<user_id>:photo:<photo_id>:<size>`). The server keeps the ciphertext;
// pages fetch it, open it here and show it from a blob: URL. Exposes window.smritiSealedPhotos.
(() => {
  const sealing = window.smritiSealing;
  if (!sealing) return;

  const DISPLAY_EDGE = 2048;
  const THUMB_EDGE = 400;
  const TYPE = 'image/jpeg';
  const QUALITY = { display: 0.86, thumb: 0.8 };
  const PHOTO_URL = /^\/photos\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\?size=thumb)?$/i;

  class UnreadablePhoto extends Error {}

  const label = (photoId, size) => `photo:${photoId.toLowerCase()}:${size}`;

  /** iv (12 bytes) || AES-256-GCM ciphertext, as the server stores it. */
  async function seal(key, photoId, size, bytes) {
    const { iv, sealed } = await sealing.sealBytes(key, label(photoId, size), bytes);
    const out = new Uint8Array(12 + sealed.length);
    out.set(iv);
    out.set(sealed, 12);
    return out;
  }
  function open(key, photoId, size, bytes) {
    return sealing.openBytes(key, label(photoId, size), { iv: bytes.slice(0, 12), sealed: bytes.slice(12) });
  }

  /** The picture at most `edge` px on its longer side (never enlarged), encoded anew: nothing but pixels. */
  async function encode(bitmap, edge, quality) {
    const scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d');
    // A transparent PNG would turn black in a JPEG: white behind it, as on paper.
    context.fillStyle = '#fff';
    context.fillRect(0, 0, width, height);
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, 0, 0, width, height);
    const blob = await canvas.convertToBlob({ type: TYPE, quality });
    return { bytes: new Uint8Array(await blob.arrayBuffer()), width, height };
  }

  /** The photo's display size and thumbnail, upright (EXIF orientation applied) and stripped. */
  async function prepare(file) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      throw new UnreadablePhoto();
    }
    try {
      const display = await encode(bitmap, DISPLAY_EDGE, QUALITY.display);
      const thumb = await encode(bitmap, THUMB_EDGE, QUALITY.thumb);
      return { display, thumb };
    } finally {
      bitmap.close();
    }
  }

  /** What POST /api/photos takes for a sealed photo: its new id, both sizes sealed, the display size's width and height. */
  async function sealedUpload(key, file, id = crypto.randomUUID()) {
    const { display, thumb } = await prepare(file);
    const data = new FormData();
    data.append('sealed', '1');
    data.append('id', id);
    data.append('width', String(display.width));
    data.append('height', String(display.height));
    data.append('photo', new Blob([await seal(key, id, 'display', display.bytes)], { type: 'application/octet-stream' }), 'photo.sealed');
    data.append('thumb', new Blob([await seal(key, id, 'thumb', thumb.bytes)], { type: 'application/octet-stream' }), 'thumb.sealed');
    return data;
  }

  /**
   * One existing photo re-written in place (same id, so the entries' references stay): sealed here
   * while sealing; opened here while unsealing, for the server to re-encode as an open journal's.
   */
  async function rewrite(key, state, id) {
    const fetched = await window.secureFetch(`/photos/${id}`, { cache: 'no-store' });
    if (!fetched.ok) throw new Error(`A photo could not be downloaded (the server answered ${fetched.status}). Reload this page to go on.`);
    const bytes = new Uint8Array(await fetched.arrayBuffer());
    const sealedNow = (fetched.headers.get('Content-Type') || '').startsWith('application/octet-stream');
    let data;
    if (state === 'sealed') {
      if (sealedNow) return { rewritten: false };
      try {
        data = await sealedUpload(key, new Blob([bytes], { type: fetched.headers.get('Content-Type') || '' }), id);
      } catch (error) {
        if (error instanceof UnreadablePhoto)
          throw new Error('One of your photos could not be read by this browser, so it cannot be sealed here. Try another browser.');
        throw error;
      }
    } else {
      if (!sealedNow) return { rewritten: false };
      data = new FormData();
      data.append('id', id);
      data.append('photo', new Blob([await open(key, id, 'display', bytes)], { type: TYPE }), 'photo.jpg');
    }
    const answer = await window.secureFetch('/api/sealing/photos', { method: 'POST', body: data, headers: { Accept: 'application/json' } });
    const body = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Error(body.message || `The server answered ${answer.status}.`);
    return body;
  }

  const shown = new Map(); // photo URL → Promise of a blob: URL, once per page

  /** A blob: URL of the photo at `url`, opened with the journal key when the server holds it sealed. */
  function blobUrl(key, url) {
    if (!shown.has(url)) {
      shown.set(
        url,
        (async () => {
          const [, id, thumb] = PHOTO_URL.exec(url);
          const response = await window.secureFetch(url, { headers: { Accept: 'image/*,application/octet-stream' } });
          if (!response.ok) throw new Error(`photo ${response.status}`);
          const bytes = new Uint8Array(await response.arrayBuffer());
          const sealed = (response.headers.get('Content-Type') || '').startsWith('application/octet-stream');
          const picture = sealed ? await open(key, id, thumb ? 'thumb' : 'display', bytes) : bytes;
          const type = sealed ? TYPE : response.headers.get('Content-Type') || TYPE;
          return URL.createObjectURL(new Blob([picture], { type }));
        })(),
      );
    }
    return shown.get(url);
  }

  /** Keeps the browser from fetching a page's own photos as images, until they are opened here. */
  function hold(root) {
    for (const img of root.querySelectorAll('img[src^="/photos/"]')) {
      if (!PHOTO_URL.test(img.getAttribute('src'))) continue;
      img.dataset.photo = img.getAttribute('src');
      img.removeAttribute('src');
    }
  }

  /** Shows every held photo (and any own photo the server put on the page) under `root`. */
  async function show(key, root = document) {
    hold(root);
    const images = [...root.querySelectorAll('img[data-photo]')];
    await Promise.all(
      images.map(async (img) => {
        try {
          img.src = await blobUrl(key, img.dataset.photo);
          img.dataset.photoOpened = '';
        } catch {
          img.alt = img.alt || 'A photo that could not be opened with this journal key';
          img.dataset.photoOpened = 'failed';
        }
      }),
    );
  }

  window.smritiSealedPhotos = { UnreadablePhoto, prepare, seal, open, sealedUpload, rewrite, hold, show };
})();
