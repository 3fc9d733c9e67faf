// Tells the server the writer's time zone, so the dates it writes are the writer's own: in the
// hidden field of the sign-in and registration forms, and, on a signed-in page whose saved zone
// differs from this device's (a trip, a new laptop), once through the account API.
(() => {
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return;
  }
  if (!zone) return;
  for (const field of document.querySelectorAll('input[data-time-zone]')) field.value = zone;

  const saved = document.querySelector('meta[name="smriti-time-zone"]')?.content;
  if (!saved || saved === zone || !window.secureFetch) return;
  window
    .secureFetch('/api/account/time-zone', {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ timeZone: zone }),
    })
    .catch(() => {
      // The next page tries again; dates meanwhile stay in the zone saved before.
    });
})();
