// Test images made with sharp itself, a JPEG marker walk, and the upload as the editor sends it.
import sharp from 'sharp';
import request from 'supertest';
import type { Browser } from '../helpers/app.js';
import { TEST_ORIGIN } from '../helpers/app.js';

/** Red on the left half, blue on the right: which way is up can be read back from the pixels. */
export async function twoColourJpeg(width = 600, height = 400): Promise<Buffer> {
  const left = await sharp({ create: { width: width / 2, height, channels: 3, background: '#ff0000' } })
    .png()
    .toBuffer();
  return sharp({ create: { width, height, channels: 3, background: '#0000ff' } })
    .composite([{ input: left, left: 0, top: 0 }])
    .jpeg()
    .toBuffer();
}

/** An IPTC block (APP13, Photoshop 3.0 / 8BIM 0x0404) naming a city, spliced in after the SOI marker. */
export function withIptc(jpeg: Buffer, city: string): Buffer {
  const dataset = Buffer.concat([Buffer.from([0x1c, 0x02, 0x5a, 0x00, city.length]), Buffer.from(city, 'latin1')]);
  const resource = Buffer.concat([
    Buffer.from('8BIM', 'latin1'),
    Buffer.from([0x04, 0x04, 0x00, 0x00]),
    Buffer.alloc(4),
    dataset,
    Buffer.alloc(dataset.length % 2),
  ]);
  resource.writeUInt32BE(dataset.length, 8);
  const payload = Buffer.concat([Buffer.from('Photoshop 3.0\0', 'latin1'), resource]);
  const header = Buffer.from([0xff, 0xed, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, payload, jpeg.subarray(2)]);
}

/** A camera's JPEG: EXIF with GPS, make and model, Orientation 6 (turn right to view), XMP and IPTC. */
export async function cameraJpeg(): Promise<Buffer> {
  const exif = await sharp(await twoColourJpeg())
    .withMetadata({ orientation: 6 })
    .withExifMerge({
      IFD0: { Make: 'Canon', Model: 'Canon EOS 5D' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
    })
    .withXmp(
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Greenwich"/></rdf:RDF></x:xmpmeta>',
    )
    .jpeg()
    .toBuffer();
  return withIptc(exif, 'Greenwich');
}

/** The markers of a JPEG up to its image data (SOS), as numbers such as 0xe1 for APP1. */
export function jpegMarkers(bytes: Buffer): number[] {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error('not a JPEG');
  const markers: number[] = [];
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw new Error(`no marker at ${at}`);
    const marker = bytes[at + 1]!;
    markers.push(marker);
    if (marker === 0xda) break;
    at += 2 + bytes.readUInt16BE(at + 2);
  }
  return markers;
}

/** POST /api/photos as the editor sends it: the file in "photo", and the entry's id when it has one. */
export function uploadPhoto(app: Parameters<typeof request>[0], browser: Browser, bytes: Buffer, filename = 'photo.jpg', entryId?: string) {
  const test = request(app).post('/api/photos').set('Cookie', browser.jar.header()).set('Origin', TEST_ORIGIN);
  if (entryId) test.field('entry_id', entryId);
  return test.attach('photo', bytes, filename);
}
