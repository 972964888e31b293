import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { FastifyReply } from 'fastify';
import { pageContentSecurityPolicy } from './content-security-policy.js';
import { describeScope } from './i18n.js';
import { pageLanguage } from './page-language.js';

/** The folder with the page templates and the stylesheet, at the package root. */
const VIEWS_DIRECTORY = fileURLToPath(new URL('../../../views/', import.meta.url));

export interface Views {
  render(reply: FastifyReply, template: string, data: Record<string, unknown>, status?: number): FastifyReply;
  stylesheet: string;
  /** The script that submits the response_mode=form_post page. */
  formPostScript: string;
}

/**
 * Loads the page templates. Eta escapes every `<%= %>` output, so request values are safe in
 * pages. A `uiLocales` value in the data selects the page language before Accept-Language does;
 * `formTargets` lists the client addresses the page's forms may end up at (see
 * pageContentSecurityPolicy), and `allowScript` permits Gatehouse's own script files.
 */
export function loadViews(): Views {
  const eta = new Eta({ views: VIEWS_DIRECTORY, autoEscape: true, cache: true });
  const readAsset = (name: string) => readFileSync(new URL(name, `file://${VIEWS_DIRECTORY}`), 'utf8');
  return {
    stylesheet: readAsset('gatehouse.css'),
    formPostScript: readAsset('form-post.js'),
    render(reply, template, data, status = 200) {
      // Every page gets the translation function and language tag for the request.
      const uiLocales = typeof data.uiLocales === 'string' ? data.uiLocales : undefined;
      const language = pageLanguage(reply.request, uiLocales);
      const html = eta.render(template, {
        ...data,
        t: language.t,
        lang: language.locale,
        describeScope: (scope: string) => describeScope(scope, language.t),
      });
      const formTargets = Array.isArray(data.formTargets) ? (data.formTargets as string[]) : [];
      return reply
        .status(status)
        .header('content-security-policy', pageContentSecurityPolicy(formTargets, data.allowScript === true))
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(html);
    },
  };
}
