import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en } from './en';
import { zhTW, type MessageKey, type Messages } from './zh-TW';

export type Lang = 'zh-TW' | 'en';
const CATALOGUES: Record<Lang, Messages> = { 'zh-TW': zhTW, en };
const STORAGE_KEY = 'leasehold.lang';
/** The service's TZ unless it tells otherwise (GET /v1/auth/me). */
export const DEFAULT_TIME_ZONE = 'Asia/Taipei';

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

interface I18n {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: Translate;
  timeZone: string;
  setTimeZone: (tz: string) => void;
  /** An instant as a date and time in the configured time zone. */
  dateTime: (iso: string | undefined | null) => string;
  /** A request history step without a status change (`history.<action>` in the catalogue), else the action's code. */
  step: (action: string) => string;
  /** An instant as a date in the configured time zone. */
  date: (iso: string | undefined | null) => string;
  /**
   * An API error detail in the reader's language: the catalogue's sentence for a
   * rule it knows (`rule.<code>`), else the API's own text.
   */
  detail: (d: { rule?: string; message: string }) => string;
}

const Context = createContext<I18n | null>(null);

function storedLang(): Lang {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return v === 'en' ? 'en' : 'zh-TW';
  } catch {
    return 'zh-TW';
  }
}

/** Language (zh-TW by default, the choice remembered in this browser) and the time zone dates are shown in. */
export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(storedLang);
  const [timeZone, setTimeZone] = useState(DEFAULT_TIME_ZONE);
  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Private windows may refuse storage: the choice then lasts for this page only.
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang === 'zh-TW' ? 'zh-Hant-TW' : 'en';
  }, [lang]);
  const value = useMemo<I18n>(() => {
    const messages = CATALOGUES[lang];
    const t: Translate = (key, params) => messages[key].replace(/\{(\w+)\}/g, (m, name: string) => (params && name in params ? String(params[name]) : m));
    const locale = lang === 'zh-TW' ? 'zh-TW' : 'en-GB';
    const dt = new Intl.DateTimeFormat(locale, {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    const d = new Intl.DateTimeFormat(locale, { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    const safe = (f: Intl.DateTimeFormat) => (iso: string | undefined | null) => {
      if (!iso) return '—';
      const at = new Date(iso);
      return Number.isNaN(at.getTime()) ? iso : f.format(at);
    };
    const detail = (x: { rule?: string; message: string }) => {
      const key = `rule.${x.rule ?? ''}`;
      return lang !== 'en' && x.rule && key in messages ? messages[key as MessageKey] : x.message;
    };
    const step = (action: string) => {
      const key = `history.${action}`;
      return key in messages ? messages[key as MessageKey] : action;
    };
    return { lang, setLang, t, timeZone, setTimeZone, dateTime: safe(dt), date: safe(d), detail, step };
  }, [lang, setLang, timeZone]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Context);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
