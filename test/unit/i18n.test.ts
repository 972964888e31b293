import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_SCOPES } from '../../src/core/scope.js';
import { choosePageLanguage, type MessageKey } from '../../src/http/i18n.js';

describe('choosePageLanguage', () => {
  const cases: Array<{ name: string; uiLocales?: string; acceptLanguage?: string; locale: string }> = [
    { name: 'defaults to English', locale: 'en' },
    { name: 'follows ui_locales', uiLocales: 'de', acceptLanguage: 'en', locale: 'de' },
    { name: 'skips unsupported ui_locales', uiLocales: 'fr-CA de-AT', locale: 'de' },
    { name: 'falls back to Accept-Language', uiLocales: 'fr', acceptLanguage: 'fr;q=1, de;q=0.8', locale: 'de' },
    { name: 'orders Accept-Language by q', acceptLanguage: 'en;q=0.3, de-CH;q=0.9', locale: 'de' },
    { name: 'ignores q=0 entries', acceptLanguage: 'de;q=0, en;q=0.1', locale: 'en' },
    { name: 'ignores malformed headers', acceptLanguage: ';;;,q=x', locale: 'en' },
  ];
  for (const { name, uiLocales, acceptLanguage, locale } of cases) {
    it(name, () => {
      assert.equal(choosePageLanguage(uiLocales, acceptLanguage).locale, locale, `ui_locales '${uiLocales}', Accept-Language '${acceptLanguage}'`);
    });
  }

  it('fills placeholders', () => {
    const { t } = choosePageLanguage('de', undefined);
    assert.equal(t('consent.heading', { client: 'Fotodruck' }), 'Fotodruck möchte auf Ihr Konto zugreifen');
  });

  it('matches the core scope descriptions', () => {
    const { t } = choosePageLanguage('en', undefined);
    for (const [scope, description] of Object.entries(BUILTIN_SCOPES)) {
      assert.equal(t(`scope.${scope}` as MessageKey), description, `the English page text of scope '${scope}'`);
    }
  });
});
