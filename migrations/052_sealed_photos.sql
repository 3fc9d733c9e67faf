-- Photos of a sealed journal (DESIGN §16, §17): the browser strips, resizes and encrypts each one;
-- the server keeps its display size and thumbnail as opaque bytes (iv || AES-256-GCM ciphertext)
-- and answers them as application/octet-stream, to be opened in the browser.
ALTER TABLE photos ADD COLUMN sealed boolean NOT NULL DEFAULT false;
