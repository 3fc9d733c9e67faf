// Shows every <time data-local> in the reader's own time zone. The server writes UTC
// (it cannot know the reader's zone), so that is what a page shows without JavaScript.
(() => {
  // The server's own words for moments (formatMoment in src/time-zone.ts), so a page never mixes
  // "7 December 2026" with "Dec 7, 2026, 12:10 PM"; only the zone becomes the reader's.
  const FORMATS = {
    date: { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' },
    datetime: { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  };
  const formatters = {};

  function formatterFor(style) {
    if (!FORMATS[style]) return null;
    formatters[style] ??= new Intl.DateTimeFormat('en-GB', FORMATS[style]);
    return formatters[style];
  }

  function localiseTimes(root = document) {
    for (const element of root.querySelectorAll('time[data-local][datetime]')) {
      const at = new Date(element.dateTime);
      const formatter = formatterFor(element.dataset.local);
      if (formatter && !Number.isNaN(at.getTime())) element.textContent = formatter.format(at);
    }
  }

  localiseTimes();
  // The editor fills in times it learns later (the version saved elsewhere).
  window.localiseTimes = localiseTimes;
})();
