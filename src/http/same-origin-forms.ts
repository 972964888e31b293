import type { FastifyInstance } from 'fastify';
import type { AppContext } from './context.js';
import { renderErrorPage } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The page accepts form posts from other sites: the authorization and logout requests of clients. */
    allowCrossOriginForm?: boolean;
  }
}

/**
 * Rejects form posts to Gatehouse's pages that a browser marks as coming from another origin, by
 * their Origin or Sec-Fetch-Site header (cross-site or same-site). The CSRF tokens already protect these forms; this check
 * stops a cross-site post before any work is done. Requests without either header (older
 * browsers, scripts) are left to the CSRF token.
 */
export function installSameOriginFormCheck(app: FastifyInstance, context: AppContext): void {
  const ownOrigin = new URL(context.config.issuer).origin;
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return;
    const config = request.routeOptions.config;
    if (config?.errorFormat !== 'page' || config.allowCrossOriginForm === true) return;
    const origin = request.headers.origin;
    const fetchSite = request.headers['sec-fetch-site']?.toLowerCase();
    // Gatehouse's pages send Referrer-Policy: no-referrer, under which browsers send Origin: null
    // even for their own forms, so null proves nothing, while Sec-Fetch-Site still names the site.
    const foreignOrigin = origin !== undefined && origin !== 'null' && origin !== ownOrigin;
    // A sibling host of the same site (same-site) is another origin as well.
    const foreignSite = fetchSite === 'cross-site' || fetchSite === 'same-site';
    if (!foreignOrigin && !foreignSite) return;
    request.log.info({ origin, fetchSite, path: request.routeOptions.url }, 'cross-origin form post rejected');
    return renderErrorPage(context, reply, {
      status: 403,
      title: 'Request rejected',
      message: 'This form was sent from another site. Go to the page on this site and submit it there.',
    });
  });
}
