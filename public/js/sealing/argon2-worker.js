// Argon2id for a sealed journal's passphrase (DESIGN §16), off the page's thread: 64 MiB and three
// passes take about a second, and the page stays responsive meanwhile.
/* global hashwasm */
importScripts('/vendor/hash-wasm/argon2.umd.min.js');

self.addEventListener('message', async (event) => {
  const { id, password, salt, params } = event.data;
  try {
    const hash = await hashwasm.argon2id({
      password,
      salt,
      parallelism: params.p,
      iterations: params.t,
      memorySize: params.m,
      hashLength: 32,
      outputType: 'binary',
    });
    self.postMessage({ id, hash }, [hash.buffer]);
  } catch (error) {
    self.postMessage({ id, error: String(error?.message ?? error) });
  }
});
