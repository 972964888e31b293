import { choosePageLanguage } from './i18n.js';
import { describeScope } from './routes/consent.js';

/**
 * The pages of the device flow and of connected apps are in English only, so their scope
 * descriptions are the English ones whatever the browser's languages.
 */
const ENGLISH = choosePageLanguage('en', undefined).t;

/** Describes each scope in plain English words. */
export function describeScopesInEnglish(scopes: readonly string[]): string[] {
  return scopes.map((scope) => describeScope(scope, ENGLISH));
}
