/**
 * Page text in each supported language. The language comes from the ui_locales request parameter
 * first (OpenID Connect Core section 3.1.2.1), then from Accept-Language, then English.
 */
const ENGLISH = {
  'login.title': 'Sign in',
  'login.continue_to': 'to continue to',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.failed': 'The username or password is incorrect.',
  'login.throttled': 'Too many failed sign-in attempts. Try again in {duration}.',
  'duration.one_minute': '1 minute',
  'duration.minutes': '{minutes} minutes',
  'login.disabled': 'This account is disabled. Contact your administrator to enable it again.',
  'consent.title': 'Authorize {client}',
  'consent.heading': '{client} wants to access your account',
  'consent.signed_in_as': 'Signed in as',
  'consent.able_to': 'If you allow it, {client} will be able to:',
  'consent.nothing_more': '{client} asks to know that you use this account, and nothing more.',
  'consent.already_allowed': '(already allowed)',
  'consent.sent_back_to': 'You will be sent back to',
  'consent.allow': 'Allow',
  'consent.deny': 'Deny',
  'scope.openid': 'Sign you in with your account',
  'scope.profile': 'See your name and username',
  'scope.email': 'See your email address',
  'scope.offline_access': 'Keep access while you are not using the app',
  'scope.custom': "Use the '{scope}' permission",
  'error.invalid_request': 'Invalid request',
  'error.unavailable': 'Temporarily unavailable',
  'error.server': 'Something went wrong',
  'error.not_found': 'Page not found',
  'error.close_hint': 'You can close this page and start again from the app you came from.',
  'error.code': 'Error code',
  'home.title': 'Account',
  'home.signed_in': 'Signed in',
  'home.signed_in_as': 'You are signed in as',
  'home.not_signed_in': 'Not signed in',
  'home.sign_in': 'Sign in',
  'home.sign_out': 'Sign out',
  'home.connected_apps': 'Connected apps',
  'connected.title': 'Connected apps',
  'connected.lead': 'Apps that {user} has allowed to access this account.',
  'connected.revoked': '{client} no longer has access.',
  'connected.none': 'No app has access to your account.',
  'connected.allowed_on': 'Allowed on {time}.',
  'connected.last_used_on': 'Last used on {time}.',
  'connected.not_used': 'Not used yet.',
  'connected.remove': 'Remove access',
  'connected.account': 'Account',
  'device.title': 'Connect a device',
  'device.lead': 'Enter the code that your device shows.',
  'device.code': 'Code',
  'device.continue': 'Continue',
  'device.too_many_attempts': 'Too many wrong codes from your network. Try again in {duration}.',
  'device.code_not_valid': 'This code is not valid, has expired or was already used. Check the code on your device.',
  'device.check_code': 'Allow only if your device shows the code {code} and you started this yourself.',
  'device.connected': 'Device connected',
  'device.connected_lead': 'You can return to your device. It continues on its own.',
  'device.denied': 'Access denied',
  'device.denied_lead': 'The device did not get access to your account.',
  'logout.title': 'Sign out',
  'logout.question': 'Do you want to sign out of Gatehouse?',
  'logout.client_asks': '{client} asks you to sign out.',
  'logout.confirm': 'Sign out',
  'logout.stay': 'Stay signed in',
  'logout.done': 'You are signed out.',
  'form_post.title': 'Continue',
  'form_post.explanation': 'Your browser did not continue automatically. Select Continue to return to the app.',
  'form_post.continue': 'Continue',
} as const;

export type MessageKey = keyof typeof ENGLISH;

const GERMAN: Record<MessageKey, string> = {
  'login.title': 'Anmelden',
  'login.continue_to': 'weiter zu',
  'login.username': 'Benutzername',
  'login.password': 'Passwort',
  'login.submit': 'Anmelden',
  'login.failed': 'Benutzername oder Passwort ist falsch.',
  'login.throttled': 'Zu viele fehlgeschlagene Anmeldeversuche. Versuchen Sie es in {duration} erneut.',
  'duration.one_minute': 'einer Minute',
  'duration.minutes': '{minutes} Minuten',
  'login.disabled': 'Dieses Konto ist gesperrt. Wenden Sie sich an Ihre Administration, um es wieder freizugeben.',
  'consent.title': '{client} autorisieren',
  'consent.heading': '{client} möchte auf Ihr Konto zugreifen',
  'consent.signed_in_as': 'Angemeldet als',
  'consent.able_to': 'Wenn Sie zustimmen, kann {client}:',
  'consent.nothing_more': '{client} möchte nur wissen, dass Sie dieses Konto verwenden.',
  'consent.already_allowed': '(bereits erlaubt)',
  'consent.sent_back_to': 'Danach werden Sie weitergeleitet zu',
  'consent.allow': 'Erlauben',
  'consent.deny': 'Ablehnen',
  'scope.openid': 'Sie mit Ihrem Konto anmelden',
  'scope.profile': 'Ihren Namen und Benutzernamen sehen',
  'scope.email': 'Ihre E-Mail-Adresse sehen',
  'scope.offline_access': 'Zugriff behalten, während Sie die App nicht nutzen',
  'scope.custom': "Die Berechtigung '{scope}' nutzen",
  'error.invalid_request': 'Ungültige Anfrage',
  'error.unavailable': 'Vorübergehend nicht verfügbar',
  'error.server': 'Ein Fehler ist aufgetreten',
  'error.not_found': 'Seite nicht gefunden',
  'error.close_hint': 'Sie können diese Seite schließen und in der App, von der Sie kamen, neu beginnen.',
  'error.code': 'Fehlercode',
  'home.title': 'Konto',
  'home.signed_in': 'Angemeldet',
  'home.signed_in_as': 'Sie sind angemeldet als',
  'home.not_signed_in': 'Nicht angemeldet',
  'home.sign_in': 'Anmelden',
  'home.sign_out': 'Abmelden',
  'home.connected_apps': 'Verbundene Apps',
  'connected.title': 'Verbundene Apps',
  'connected.lead': 'Apps, denen {user} Zugriff auf dieses Konto erlaubt hat.',
  'connected.revoked': '{client} hat keinen Zugriff mehr.',
  'connected.none': 'Keine App hat Zugriff auf Ihr Konto.',
  'connected.allowed_on': 'Erlaubt am {time}.',
  'connected.last_used_on': 'Zuletzt verwendet am {time}.',
  'connected.not_used': 'Noch nicht verwendet.',
  'connected.remove': 'Zugriff entfernen',
  'connected.account': 'Konto',
  'device.title': 'Gerät verbinden',
  'device.lead': 'Geben Sie den Code ein, den Ihr Gerät anzeigt.',
  'device.code': 'Code',
  'device.continue': 'Weiter',
  'device.too_many_attempts': 'Zu viele falsche Codes aus Ihrem Netzwerk. Versuchen Sie es in {duration} erneut.',
  'device.code_not_valid': 'Dieser Code ist ungültig, abgelaufen oder wurde bereits verwendet. Prüfen Sie den Code auf Ihrem Gerät.',
  'device.check_code': 'Erlauben Sie nur, wenn Ihr Gerät den Code {code} anzeigt und Sie dies selbst gestartet haben.',
  'device.connected': 'Gerät verbunden',
  'device.connected_lead': 'Sie können zu Ihrem Gerät zurückkehren. Es fährt von selbst fort.',
  'device.denied': 'Zugriff verweigert',
  'device.denied_lead': 'Das Gerät hat keinen Zugriff auf Ihr Konto erhalten.',
  'logout.title': 'Abmelden',
  'logout.question': 'Möchten Sie sich von Gatehouse abmelden?',
  'logout.client_asks': '{client} bittet Sie, sich abzumelden.',
  'logout.confirm': 'Abmelden',
  'logout.stay': 'Angemeldet bleiben',
  'logout.done': 'Sie sind abgemeldet.',
  'form_post.title': 'Weiter',
  'form_post.explanation':
    'Ihr Browser hat nicht automatisch fortgefahren. Wählen Sie Weiter, um zur App zurückzukehren.',
  'form_post.continue': 'Weiter',
};

const CATALOGS: Record<string, Record<MessageKey, string>> = { en: ENGLISH, de: GERMAN };
export const SUPPORTED_LOCALES = Object.keys(CATALOGS);
export const DEFAULT_LOCALE = 'en';

export type Translate = (key: MessageKey, values?: Record<string, string>) => string;

export interface PageLanguage {
  locale: string;
  t: Translate;
}

/**
 * Picks the page language: the first supported tag of `uiLocales` (space-separated, in order of
 * preference), else the best supported Accept-Language entry, else English. Region subtags match
 * their language, so "de-CH" selects German.
 */
export function choosePageLanguage(uiLocales: string | undefined, acceptLanguage: string | undefined): PageLanguage {
  const locale =
    firstSupported((uiLocales ?? '').split(' ')) ?? firstSupported(parseAcceptLanguage(acceptLanguage)) ?? DEFAULT_LOCALE;
  const catalog = CATALOGS[locale] ?? ENGLISH;
  const t: Translate = (key, values = {}) =>
    catalog[key].replace(/\{(\w+)\}/g, (placeholder, name: string) => values[name] ?? placeholder);
  return { locale, t };
}

function firstSupported(tags: readonly string[]): string | undefined {
  for (const tag of tags) {
    const language = tag.trim().toLowerCase().split('-')[0] ?? '';
    if (language in CATALOGS) return language;
  }
  return undefined;
}

/** Accept-Language tags ordered by their q value, highest first (RFC 9110 section 12.5.4). */
function parseAcceptLanguage(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .slice(0, 20)
    .map((entry, index) => {
      const [tag = '', ...parameters] = entry.trim().split(';');
      const qParameter = parameters.find((parameter) => parameter.trim().startsWith('q='));
      const quality = qParameter === undefined ? 1 : Number.parseFloat(qParameter.trim().slice(2));
      return { tag, quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((entry) => entry.quality > 0 && entry.tag !== '*')
    .sort((a, b) => b.quality - a.quality || a.index - b.index)
    .map((entry) => entry.tag);
}

/** Describes a scope in the page language; scopes without a built-in meaning are named as they are. */
export function describeScope(scope: string, t: Translate): string {
  switch (scope) {
    case 'openid':
      return t('scope.openid');
    case 'profile':
      return t('scope.profile');
    case 'email':
      return t('scope.email');
    case 'offline_access':
      return t('scope.offline_access');
    default:
      return t('scope.custom', { scope });
  }
}
