// Remembering the browser of every new session (a session hook), and telling the owner about a new one.
import type { Request, Response } from 'express';
import { deviceSighting, recordSighting, type Sighting } from '../auth/devices.js';
import type { AppContext } from '../context.js';
import type { SessionHook } from '../sign-in/methods.js';
import { sendSecurityEmail } from './security-email.js';

async function seeDevice(ctx: AppContext, sighting: Sighting): Promise<void> {
  const { userId, at } = sighting;
  const { isNew, announce } = await recordSighting(ctx.db, sighting);
  ctx.logger.info({ security: 'device', userId, newDevice: isNew, announced: announce }, 'sign-in device recorded');
  if (announce) sendSecurityEmail(ctx, userId, 'new_device', { ip: sighting.ip, userAgent: sighting.userAgent, at });
}

/**
 * The session hook createApp hands the sign-in flow, for every way in: sets or renews the device
 * cookie before the response is sent; records the device and emails the owner about a new one once
 * the response has gone. A new account's first device is no news.
 */
export function rememberDevices(ctx: AppContext): SessionHook {
  return (req: Request, res: Response, signIn) => {
    const sighting = deviceSighting(ctx.config, req, res, signIn.userId, signIn.newAccount !== undefined, new Date(ctx.now()));
    // 'close' follows the last byte sent, or a client that went away: the sign-in stands either way.
    res.once('close', () => {
      seeDevice(ctx, sighting).catch((error: unknown) => {
        ctx.logger.error({ security: 'device', userId: signIn.userId, err: error }, 'sign-in device could not be recorded');
      });
    });
  };
}
