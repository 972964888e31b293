import type { FastifyInstance } from 'fastify';
import { findUserById } from '../../storage/users.js';
import { csrfToken, loadSession } from '../browser.js';
import type { AppContext } from '../context.js';
import { LOGOUT_CSRF_PURPOSE } from './logout.js';

/** The account page at `/`, the stylesheet the pages share and the form_post script. */
export function registerHomeRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/', { config: { errorFormat: 'page' } }, async (request, reply) => {
    const current = await loadSession(context, request);
    const user = current === undefined ? undefined : await findUserById(context.db, current.session.userId);
    return context.views.render(reply, 'home', {
      username: user === undefined ? undefined : (user.name ?? user.username),
      csrfToken: current === undefined ? undefined : csrfToken(current.secret, LOGOUT_CSRF_PURPOSE),
    });
  });

  app.get('/assets/gatehouse.css', { exposeHeadRoute: true }, (_request, reply) =>
    reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(context.views.stylesheet),
  );

  // Browsers ask for a favicon on every page; 204 keeps their consoles free of 404 errors.
  app.get('/favicon.ico', { exposeHeadRoute: true }, (_request, reply) => reply.header('cache-control', 'public, max-age=86400').status(204).send());

  app.get('/assets/form-post.js', { exposeHeadRoute: true }, (_request, reply) =>
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(context.views.formPostScript),
  );
}
