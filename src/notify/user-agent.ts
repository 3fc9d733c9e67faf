// A short, human name for a browser from its User-Agent ("Chrome on macOS"), by bowser; never trusted for security.
import Bowser from 'bowser';

// Headers can be kilobytes long; the name needs only the start, and the parser's regexes stay cheap.
const MAX_PARSED = 512;
// Programs that are not browsers ("curl/8.5.0", "python-requests/2.32") name themselves first.
const PROGRAM = /^([A-Za-z][\w.-]{0,39})\/\d/;

function programName(userAgent: string): string | undefined {
  const name = PROGRAM.exec(userAgent)?.[1];
  return name && name !== 'Mozilla' ? name : undefined;
}

export function describeDevice(userAgent: string | null): string {
  const agent = userAgent?.trim().slice(0, MAX_PARSED);
  if (!agent) return 'Unknown device';
  const { browser, os } = Bowser.getParser(agent).getResult();
  if (browser.name && os.name) return `${browser.name} on ${os.name}`;
  return browser.name || os.name || programName(agent) || 'Unknown device';
}
