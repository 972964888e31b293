import type { FastifyRequest } from 'fastify';
import { choosePageLanguage, type PageLanguage } from './i18n.js';

/** The page language for a request: ui_locales when the flow carries it, else Accept-Language. */
export function pageLanguage(request: FastifyRequest, uiLocales?: string): PageLanguage {
  const header = request.headers['accept-language'];
  return choosePageLanguage(uiLocales, typeof header === 'string' ? header : undefined);
}
