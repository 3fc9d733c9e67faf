// Turning an uploaded image into what Smriti keeps: its type checked by its bytes, re-encoded upright
// with no metadata at all (EXIF, GPS, XMP, IPTC, ICC), in a display size and a thumbnail.
import type { Metadata } from 'sharp';

type SharpLib = typeof import('sharp');
let loading: Promise<SharpLib> | undefined;

/** sharp (libvips) loaded at the first photo, not at every process start: most never need it. */
function loadSharp(): Promise<SharpLib> {
  loading ??= import('sharp').then((module) => {
    // One libvips thread per image: the machine's other cores stay free for pages (DESIGN §17).
    module.default.concurrency(1);
    // Decoded images are not kept between requests: memory goes back as soon as a photo is stored.
    module.default.cache(false);
    return module;
  });
  return loading;
}

export const DISPLAY_EDGE = 2048;
export const THUMB_EDGE = 400;
// About 100 megapixels: a decoded image this size is ~300 MB; larger ones are refused before decoding.
const MAX_INPUT_PIXELS = 100_000_000;

export type ImageType = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif';

export type Sniffed = { kind: 'image'; type: ImageType } | { kind: 'heic' } | { kind: 'other' };

const ascii = (bytes: Buffer, start: number, end: number) => bytes.subarray(start, end).toString('latin1');

/** What the bytes are, whatever the file's name or declared type says. */
export function sniffImage(bytes: Buffer): Sniffed {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { kind: 'image', type: 'jpeg' };
  if (ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return { kind: 'image', type: 'png' };
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return { kind: 'image', type: 'webp' };
  if (/^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return { kind: 'image', type: 'gif' };
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const brand = ascii(bytes, 8, 12);
    if (brand === 'avif' || brand === 'avis') return { kind: 'image', type: 'avif' };
    if (/^(heic|heix|hevc|hevx|heim|heis|mif1|msf1)$/.test(brand)) return { kind: 'heic' };
  }
  return { kind: 'other' };
}

export interface ProcessedPhoto {
  display: Buffer;
  contentType: string;
  width: number;
  height: number;
  thumb: Buffer;
  thumbType: string;
}

export type ProcessResult = { kind: 'ok'; photo: ProcessedPhoto } | { kind: 'unreadable' } | { kind: 'too_many_pixels' };

const thumbnail = async (display: Buffer) =>
  (await loadSharp())
    .default(display)
    .resize(THUMB_EDGE, THUMB_EDGE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 75 })
    .toBuffer();

/**
 * Decodes, turns upright and re-encodes: a photo without transparency as JPEG, one with it (or an
 * animation) as WebP.
 * sharp writes no metadata unless asked, so nothing of the camera or the place survives.
 */
export async function processPhoto(input: Buffer): Promise<ProcessResult> {
  const sharp = (await loadSharp()).default;
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch {
    return { kind: 'unreadable' };
  }
  // An animated GIF or WebP stays animated (as WebP); every frame counts towards the pixel limit.
  const animated = (meta.pages ?? 1) > 1 && (meta.format === 'gif' || meta.format === 'webp');
  const frames = animated ? (meta.pages ?? 1) : 1;
  if ((meta.width ?? 0) * (meta.height ?? 0) * frames > MAX_INPUT_PIXELS) return { kind: 'too_many_pixels' };
  const webp = meta.hasAlpha || animated;
  try {
    const resized = sharp(input, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', animated })
      .autoOrient()
      .resize(DISPLAY_EDGE, DISPLAY_EDGE, { fit: 'inside', withoutEnlargement: true });
    const encoded = webp ? resized.webp({ quality: 85 }) : resized.jpeg({ quality: 85, mozjpeg: true });
    const display = await encoded.toBuffer({ resolveWithObject: true });
    const thumb = await thumbnail(display.data);
    return {
      kind: 'ok',
      photo: {
        display: display.data,
        contentType: webp ? 'image/webp' : 'image/jpeg',
        width: display.info.width,
        height: display.info.pageHeight ?? display.info.height,
        thumb,
        thumbType: 'image/webp',
      },
    };
  } catch {
    return { kind: 'unreadable' };
  }
}

/**
 * A photo from a Smriti export, kept byte for byte when it is already what Smriti would have stored
 * (so an export and re-import round-trips exactly); anything else goes through processPhoto.
 */
export async function keepOrProcess(input: Buffer): Promise<ProcessResult> {
  const sniffed = sniffImage(input);
  if (sniffed.kind !== 'image') return { kind: 'unreadable' };
  const sharp = (await loadSharp()).default;
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  } catch {
    return { kind: 'unreadable' };
  }
  const ours =
    (sniffed.type === 'jpeg' || sniffed.type === 'webp') &&
    !meta.exif &&
    !meta.xmp &&
    !meta.iptc &&
    !meta.icc &&
    (meta.orientation ?? 1) === 1 &&
    (meta.width ?? 0) <= DISPLAY_EDGE &&
    (meta.height ?? 0) <= DISPLAY_EDGE;
  if (!ours) return processPhoto(input);
  try {
    // Decoded whole once, so a truncated or corrupt file is refused rather than kept.
    await sharp(input, { failOn: 'error' }).raw().toBuffer();
    const thumb = await thumbnail(input);
    const contentType = sniffed.type === 'jpeg' ? 'image/jpeg' : 'image/webp';
    return { kind: 'ok', photo: { display: input, contentType, width: meta.width!, height: meta.height!, thumb, thumbType: 'image/webp' } };
  } catch {
    return { kind: 'unreadable' };
  }
}

export const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/webp': 'webp' };
